"""Shape errors from the JSON Schema: each names its field path, its exact location and a fix."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from egain_provision.schemas import load_schema
from tests.manifest.manifest_support import AUTH, Workspace


def only(ws: Workspace) -> tuple[str, str, str, str, str | None]:
    """The one error of the workspace's manifests (warnings aside), with its hint."""
    [diagnostic] = ws.load().errors
    return (*ws.row(diagnostic), diagnostic.hint)


def test_schema_is_valid_json_schema_2020_12_with_an_id() -> None:
    schema = load_schema("manifest")
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("manifest.schema.json")


def test_every_field_of_every_kind_has_a_description() -> None:
    schema = load_schema("manifest")

    def undocumented(node: object, path: str) -> list[str]:
        found = []
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if isinstance(sub, dict) and "description" not in sub and "$ref" not in sub:
                    found.append(f"{path}.{name}")
            for key, sub in node.items():
                found += undocumented(sub, f"{path}.{key}")
        return found

    assert undocumented(schema, "") == []


def test_typo_in_a_field_name_is_an_unknown_field_with_did_you_mean(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        """
        version: 1
        channels:
          - type: custom.web
            displayNme: Web
            displayName: Web
            icon: aWNvbg==
        """,
    )
    assert only(ws) == (
        "error",
        "m.yaml:4:5",
        "channels[0].displayNme",
        "unknown field 'displayNme'",
        "did you mean 'displayName'?",
    )


def test_typo_in_a_kind_name_is_caught_at_the_top_level(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nclientApplication: []\n")
    assert only(ws) == (
        "error",
        "m.yaml:2:1",
        "clientApplication",
        "unknown field 'clientApplication'",
        "did you mean 'clientApplications'?",
    )


def test_ignore_accepts_only_known_kinds(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nignore:\n  participant: ['egain-*']\n")
    assert only(ws) == (
        "error",
        "m.yaml:3:3",
        "ignore.participant",
        "unknown field 'participant'",
        "did you mean 'participants'?",
    )


def test_unsupported_version_is_an_error(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 2\n")
    assert only(ws) == ("error", "m.yaml:1:10", "version", "must be 1, not 2", "Manifest format version; always 1.")


def test_wrong_type_says_what_was_expected_and_found(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        """
        version: 1
        channels:
          - type: custom.web
            displayName: Web
            icon: aWNvbg==
            restrictions: {inbound: {maxTextLength: lots}}
        """,
    )
    assert only(ws)[:4] == (
        "error",
        ws.at("m.yaml", "lots"),
        "channels[0].restrictions.inbound.maxTextLength",
        "expected an integer, got a string",
    )


def test_a_number_where_text_is_expected_gets_a_hint_to_quote_it(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        "version: 1\naccounts:\n  - {name: a, address: 123456789, channel: c, chatConfigurations: {orchestration: o,"
        " entryPoint: {id: '1'}}}\n",
    )
    row = only(ws)
    assert row == (
        "error",
        ws.at("m.yaml", "123456789"),
        "accounts[0].address",
        "expected a string, got an integer",
        'quote the value so YAML reads it as text, e.g. "123"',
    )


def test_enum_value_out_of_range_lists_the_allowed_values(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nparticipants:\n  - {name: p, type: custombot, application: app}\n")
    assert ws.load().diagnostics[0].message == "'custombot' is not one of: custom_bot, egain_bot"
    assert ws.load().diagnostics[0].hint == "did you mean 'custom_bot'? write type: custom_bot"
    assert ws.row(ws.load().diagnostics[0])[1] == ws.at("m.yaml", "custombot")


def test_string_longer_than_the_api_limit_is_an_error_without_echoing_it(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        f"version: 1\naccounts:\n  - name: {'n' * 256}\n    address: a\n    channel: c\n"
        "    chatConfigurations: {orchestration: o, entryPoint: {id: '1'}}\n",
    )
    assert only(ws)[:4] == ("error", "m.yaml:3:11", "accounts[0].name", "is too long: 256 characters, at most 255")


def test_empty_string_is_an_error(ws: Workspace) -> None:
    ws.write("m.yaml", 'version: 1\nchannels:\n  - {type: custom.a, displayName: "", icon: aWNvbg==}\n')
    assert only(ws)[:4] == ("error", ws.at("m.yaml", '""'), "channels[0].displayName", "must not be empty")


def test_icon_over_512000_characters_is_an_error(ws: Workspace) -> None:
    ws.write("m.yaml", f"version: 1\nchannels:\n  - type: custom.a\n    displayName: A\n    icon: {'A' * 512001}\n")
    assert only(ws)[:4] == (
        "error",
        "m.yaml:5:11",
        "channels[0].icon",
        "is too long: 512001 characters, at most 512000",
    )


def test_missing_required_field_points_at_the_object_and_says_what_to_add(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nchannels:\n  - type: custom.a\n    icon: aWNvbg==\n")
    severity, where, path, message, hint = only(ws)
    assert (severity, where, path, message) == (
        "error",
        "m.yaml:3:5",
        "channels[0]",
        "missing required field 'displayName'",
    )
    assert hint is not None and hint.startswith("add displayName: Name shown to agents")


def test_client_application_needs_one_to_seven_roles(ws: Workspace) -> None:
    role = '{name: customer, version: v3, callback: "https://x.example.com", notificationEmail: a@x.com}'
    ws.write("m.yaml", f"version: 1\nclientApplications:\n  - name: a\n    roles: [{', '.join([role] * 8)}]\n")
    messages = [row[3] for row in ws.diagnostics()]
    assert "allows at most 7 items (has 8)" in messages


def test_callback_must_be_an_http_url(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        """
        version: 1
        clientApplications:
          - name: a
            roles:
              - {name: customer, version: v3, callback: "ftp://x", notificationEmail: a@x.com}
        """,
    )
    assert only(ws)[:4] == (
        "error",
        ws.at("m.yaml", '"ftp'),
        "clientApplications[0].roles[0].callback",
        "'ftp://x' is not a valid http(s) URL",
    )


def test_oauth2_authentication_requires_its_oauth2_settings(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nauthentications:\n  - {name: a, type: oauth2}\n")
    assert only(ws)[:4] == ("error", "m.yaml:3:5", "authentications[0]", "missing required field 'oauth2'")


def test_basic_credentials_are_not_allowed_on_an_oauth2_authentication(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        "version: 1\n"
        + AUTH
        + "    basicAuth:\n      username: u\n      password: ${env:EGAIN_VAR_AGENT_DESK_PASSWORD}\n",
    )
    assert only(ws) == (
        "error",
        ws.at("m.yaml", "username"),
        "authentications[0].basicAuth",
        "field 'basicAuth' is not allowed here",
        "basicAuth goes with type: basic; remove it or change the type.",
    )


def test_orchestration_needs_a_bot_or_an_agent_configuration(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        "version: 1\norchestrations:\n  - name: o\n    applications: {customerConfiguration: {customer: {id: x}}}\n",
    )
    messages = [row[3] for row in ws.diagnostics()]
    assert "needs botConfiguration or agentConfiguration" in messages


def test_reference_of_the_wrong_type_says_both_accepted_forms(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nparticipants:\n  - {name: p, type: custom_bot, application: 42}\n")
    assert only(ws)[:4] == (
        "error",
        ws.at("m.yaml", "42"),
        "participants[0].application",
        "expected a string or a mapping, got an integer",
    )


def test_literal_id_must_be_a_36_character_uuid(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nparticipants:\n  - {name: p, type: custom_bot, application: {id: abc}}\n")
    assert only(ws)[:4] == (
        "error",
        ws.at("m.yaml", "abc"),
        "participants[0].application.id",
        "is too short: at least 36 characters",
    )


def test_literal_id_object_takes_no_other_fields(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        "version: 1\nparticipants:\n"
        "  - {name: p, type: custom_bot, application: {id: 9e1d7993-cc82-4d5f-a193-0d6b0d48a959, nam: x}}\n",
    )
    assert only(ws)[:4] == ("error", ws.at("m.yaml", "nam:"), "participants[0].application.nam", "unknown field 'nam'")


def test_entry_point_is_always_a_literal_id(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        "version: 1\naccounts:\n"
        "  - {name: a, address: x, channel: c, chatConfigurations: {orchestration: o, entryPoint: main}}\n",
    )
    assert only(ws)[:4] == (
        "error",
        ws.at("m.yaml", "main"),
        "accounts[0].chatConfigurations.entryPoint",
        "expected a mapping, got a string",
    )


def test_previous_names_must_be_a_list_of_names(ws: Workspace) -> None:
    ws.write(
        "m.yaml", "version: 1\nchannels:\n  - {type: custom.a, displayName: A, icon: aWNvbg==, previousNames: old}\n"
    )
    assert only(ws)[:4] == (
        "error",
        ws.at("m.yaml", "old"),
        "channels[0].previousNames",
        "expected a list, got a string",
    )


def test_a_kind_list_holding_a_scalar_is_an_error_at_the_item(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nchannels:\n  - custom.web\n")
    assert only(ws)[:4] == ("error", "m.yaml:3:5", "channels[0]", "expected a mapping, got a string")


def test_all_errors_of_a_file_are_reported_in_one_run_sorted_by_line(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        """
        version: 1
        channels:
          - {type: custom.a, displayName: A}
          - {type: custom.b, icon: aWNvbg==}
        participants:
          - {name: p, type: bot, application: x}
        """,
    )
    rows = ws.diagnostics()
    assert [row[1] for row in rows if row[0] == "error"] == ["m.yaml:3:5", "m.yaml:4:5", "m.yaml:6:21"]


def test_schema_command_prints_the_manifest_schema(capsys: pytest.CaptureFixture[str]) -> None:
    from egain_provision.cli import main

    assert main(["schema", "manifest"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == load_schema("manifest")


def test_unknown_field_without_a_close_match_lists_the_allowed_fields(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nchannels:\n  - {type: custom.a, displayName: A, icon: aWNvbg==, zzz: 1}\n")
    assert (
        only(ws)[4]
        == "allowed here: active, description, displayName, icon, l10nProperties, previousNames, restrictions, type"
    )


def test_fast_check_declines_schemas_with_keywords_it_does_not_implement() -> None:
    import pytest

    from egain_provision.manifest.fastcheck import Unsupported, compile_schema

    with pytest.raises(Unsupported):
        compile_schema({"patternProperties": {"^x": {"type": "string"}}}, {})

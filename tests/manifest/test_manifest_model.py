"""What later stages receive: `ManifestSet` and API-shaped `DesiredObject`s."""

from __future__ import annotations

from pathlib import Path

import pytest

from egain_provision.errors import UsageError
from egain_provision.kinds import SETUP_ORDER
from egain_provision.manifest import load_manifests
from egain_provision.model import DesiredObject, Ref, SourceLocation
from tests.manifest.manifest_support import EXAMPLE_ENV, EXAMPLES, Workspace


def byoc() -> dict[str, DesiredObject]:
    manifest_set = load_manifests([EXAMPLES / "byoc"], environ=EXAMPLE_ENV)
    return {obj.natural_key: obj for obj in manifest_set.objects}


def test_objects_come_in_setup_order_then_source_order() -> None:
    manifest_set = load_manifests([EXAMPLES / "byoc"], environ=EXAMPLE_ENV)
    kinds = [obj.kind for obj in manifest_set.objects]
    assert kinds == sorted(kinds, key=SETUP_ORDER.index)
    apps = [obj.natural_key for obj in manifest_set.objects if obj.kind == "clientApplications"]
    assert apps == ["byoc-web-customer", "byoc-order-bot-app", "byoc-agent-desk"]


def test_references_by_name_become_refs_at_the_api_path() -> None:
    participant = byoc()["byoc-order-bot"]
    assert participant.body["application"] == Ref("clientApplications", "byoc-order-bot-app")


def test_bot_application_moves_to_the_api_field_bots_id() -> None:
    orchestration = byoc()["byoc-bot-first"]
    [bot] = orchestration.body["applications"]["botConfiguration"]["bots"]
    assert bot == {
        "id": Ref("clientApplications", "byoc-order-bot-app"),
        "participant": Ref("participants", "byoc-order-bot"),
        "onEscalation": {"agent": Ref("clientApplications", "byoc-agent-desk")},
    }


def test_literal_ids_stay_literal_and_bare_references_hold_the_bare_id(ws: Workspace) -> None:
    uuid = "9e1d7993-cc82-4d5f-a193-0d6b0d48a959"
    ws.write(
        "m.yaml",
        f"""
        version: 1
        orchestrations:
          - name: o
            applications:
              botConfiguration:
                bots: [{{application: {{id: {uuid}}}, participant: {{id: {uuid}}}}}]
              agentConfiguration: {{agents: [{{id: {uuid}}}, desk]}}
        """,
    )
    [orchestration] = ws.load().objects
    applications = orchestration.body["applications"]
    assert applications["botConfiguration"]["bots"] == [{"id": uuid, "participant": {"id": uuid}}]
    assert applications["agentConfiguration"]["agents"] == [{"id": uuid}, Ref("clientApplications", "desk")]


def test_entry_point_stays_a_literal_object() -> None:
    account = byoc()["byoc-web-account"]
    assert account.body["chatConfigurations"]["entryPoint"] == {"id": "1001"}


def test_previous_names_leave_the_body_for_their_own_field(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        "version: 1\nchannels:\n  - {type: custom.new, displayName: A, icon: aWNvbg==, previousNames: [custom.old]}\n",
    )
    [channel] = ws.load().objects
    assert channel.previous_names == ("custom.old",)
    assert "previousNames" not in channel.body


def test_field_locations_cover_reference_slots_and_leaves_by_manifest_path() -> None:
    orchestration = byoc()["byoc-bot-first"]
    locations = orchestration.field_locations
    file = str(EXAMPLES / "byoc" / "50-orchestrations.yaml")
    assert locations["applications.botConfiguration.bots[0].application"] == SourceLocation(file, 12, 26)
    assert locations["applications.customerConfiguration.customer"] == SourceLocation(file, 17, 19)
    assert locations["name"] == SourceLocation(file, 5, 11)
    assert orchestration.location == SourceLocation(file, 5, 5)


def test_sensitive_lists_secret_fields_with_their_source_expression() -> None:
    auth = byoc()["byoc-bot-callback"]
    assert auth.sensitive == {"oauth2.payload": "${env:EGAIN_VAR_BOT_TOKEN_PAYLOAD}"}
    assert auth.body["oauth2"]["payload"] == EXAMPLE_ENV["EGAIN_VAR_BOT_TOKEN_PAYLOAD"]


def test_literal_secret_is_sensitive_with_no_expression(ws: Workspace) -> None:
    ws.write(
        "m.yaml", "version: 1\nauthentications:\n  - {name: a, type: basic, basicAuth: {username: u, password: pw}}\n"
    )
    [auth] = ws.load().objects
    assert auth.sensitive == {"basicAuth.password": None}


def test_env_values_are_sensitive_wherever_they_land(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        """
        version: 1
        clientApplications:
          - name: a
            roles:
              - name: customer
                version: v3
                callback: https://x.example.com
                notificationEmail: a@x.com
                headers: [{name: Authorization, value: "Bearer ${env:EGAIN_VAR_TOKEN}"}]
        """,
    )
    [app] = ws.load(env={"EGAIN_VAR_TOKEN": "t0k"}).objects
    assert app.sensitive == {"roles[0].headers[0].value": "Bearer ${env:EGAIN_VAR_TOKEN}"}
    assert app.body["roles"][0]["headers"][0]["value"] == "Bearer t0k"


def test_var_values_are_not_sensitive_outside_secret_fields(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nchannels:\n  - {type: custom.web, displayName: '${var:T}', icon: aWNvbg==}\n")
    [channel] = ws.load(variables={"T": "Web"}).objects
    assert channel.sensitive == {}


def test_manifest_set_separates_errors_and_warnings(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nparticipants:\n  - {name: p, type: bot, application: x}\n")
    manifest_set = ws.load()
    assert [d.severity for d in manifest_set.errors] == ["error"]
    assert [d.severity for d in manifest_set.warnings] == ["warning"]
    assert manifest_set.has_errors


def test_directory_reads_its_yaml_and_yml_files_sorted_but_not_subdirectories(ws: Workspace) -> None:
    ws.write("b.yml", "version: 1\n")
    ws.write("a.yaml", "version: 1\n")
    ws.write("notes.txt", "not a manifest")
    ws.write("sub/c.yaml", "version: 1\nbroken: [\n")
    manifest_set = load_manifests([ws.root])
    assert [Path(file).name for file in manifest_set.files] == ["a.yaml", "b.yml"]
    assert manifest_set.diagnostics == []


def test_a_file_given_twice_is_read_once(ws: Workspace) -> None:
    path = ws.write("a.yaml", "version: 1\nchannels:\n  - {type: custom.a, displayName: A, icon: aWNvbg==}\n")
    manifest_set = load_manifests([path, ws.root])
    assert (len(manifest_set.files), manifest_set.diagnostics) == (1, [])


def test_missing_path_is_a_usage_error(ws: Workspace) -> None:
    with pytest.raises(UsageError, match="no such file or directory"):
        load_manifests([ws.root / "nope.yaml"])


def test_directory_without_manifests_is_a_usage_error(ws: Workspace) -> None:
    with pytest.raises(UsageError, match="directory holds no manifests"):
        load_manifests([ws.root])


def test_diagnostics_are_sorted_by_file_then_line(ws: Workspace) -> None:
    ws.write("b.yaml", "version: 1\nchannels:\n  - {type: custom.b}\n")
    ws.write("a.yaml", "version: 1\nchannels:\n  - {type: custom.a}\n  - {type: custom.c}\n")
    assert [row[1] for row in ws.diagnostics()] == [
        "a.yaml:3:5",
        "a.yaml:3:5",
        "a.yaml:4:5",
        "a.yaml:4:5",
        "b.yaml:3:5",
        "b.yaml:3:5",
    ]


def test_previous_names_of_the_wrong_type_are_an_error_and_not_split_into_characters(ws: Workspace) -> None:
    ws.write(
        "m.yaml", "version: 1\nchannels:\n  - {type: custom.new, displayName: A, icon: aWNvbg==, previousNames: old}\n"
    )
    manifest_set = ws.load()
    [channel] = manifest_set.objects
    assert manifest_set.has_errors
    assert channel.previous_names == ()

"""Checks across objects and files: duplicate keys, references, roles, previous names, secrets."""

from __future__ import annotations

import pytest

from egain_provision.manifest import load_manifests
from tests.manifest.manifest_support import APPS, AUTH, Workspace


def test_natural_key_declared_in_two_files_is_an_error_naming_both_places(ws: Workspace) -> None:
    ws.write("a.yaml", "version: 1\nchannels:\n  - {type: custom.web, displayName: A, icon: aWNvbg==}\n")
    ws.write("b.yaml", "version: 1\n\nchannels:\n  - {type: custom.web, displayName: B, icon: aWNvbg==}\n")
    first = ws.root / "a.yaml"
    assert ws.diagnostics() == [
        (
            "error",
            "b.yaml:4:12",
            "channels[0].type",
            f"Channel 'custom.web' is declared twice: here and at {first}:3:12",
        )
    ]


def test_natural_key_declared_twice_in_one_multi_document_file_is_an_error(ws: Workspace) -> None:
    ws.write(
        "m.yaml", APPS.replace("clientApplications:", "version: 1\nclientApplications:") + "---\nversion: 1\n" + APPS
    )
    messages = [row[3] for row in ws.diagnostics() if row[0] == "error"]
    path = ws.root / "m.yaml"
    assert messages == [
        f"Client Application 'web-customer' is declared twice: here and at {path}:3:11",
        f"Client Application 'bot-app' is declared twice: here and at {path}:6:11",
        f"Client Application 'agent-desk' is declared twice: here and at {path}:13:11",
    ]


def test_same_name_in_different_kinds_is_fine(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        "version: 1\n" + AUTH + APPS + "participants:\n  - {name: bot-app, type: custom_bot, application: bot-app}\n",
    )
    assert ws.diagnostics() == []


def test_reference_to_an_undeclared_object_is_a_warning_that_it_must_exist_in_the_tenant(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nparticipants:\n  - {name: p, type: egain_bot, application: va-app}\n")
    manifest_set = ws.load()
    [warning] = manifest_set.warnings
    assert ws.row(warning) == (
        "warning",
        "m.yaml:3:45",
        "participants[0].application",
        "Client Application 'va-app' is not declared in these manifests; it must exist in the tenant",
    )
    assert not manifest_set.has_errors


def test_near_miss_reference_suggests_the_declared_name(ws: Workspace) -> None:
    ws.write(
        "m.yaml", "version: 1\n" + AUTH + APPS + "participants:\n  - {name: p, type: custom_bot, application: bot-ap}\n"
    )
    [warning] = ws.load().warnings
    assert warning.hint == "did you mean 'bot-app'?"


def test_reference_to_an_object_of_another_kind_says_so(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        "version: 1\n" + AUTH + "participants:\n  - {name: p, type: custom_bot, application: bot-callback}\n",
    )
    [warning] = ws.load().warnings
    assert warning.hint == "'bot-callback' is declared as a Authentication, not a Client Application"


def test_literal_id_references_are_not_checked(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        "version: 1\nparticipants:\n"
        "  - {name: p, type: egain_bot, application: {id: 9e1d7993-cc82-4d5f-a193-0d6b0d48a959}}\n",
    )
    assert ws.diagnostics() == []


def test_reference_to_an_app_without_the_expected_role_is_a_warning(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        "version: 1\n" + AUTH + APPS + "participants:\n  - {name: p, type: custom_bot, application: web-customer}\n",
    )
    [warning] = ws.load().warnings
    assert ws.row(warning)[1:] == (
        ws.at("m.yaml", "web-customer}"),
        "participants[0].application",
        "Client Application 'web-customer' has no custom_bot or egain_bot role (it has customer)",
    )
    assert warning.hint is not None and warning.hint.startswith("add a role named custom_bot to it (at ")


def test_orchestration_roles_are_checked_for_every_reference(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        "version: 1\n"
        + AUTH
        + APPS
        + """\
participants:
  - {name: bot, type: custom_bot, application: bot-app}
orchestrations:
  - name: o
    applications:
      botConfiguration:
        bots:
          - {application: agent-desk, participant: bot, onEscalation: {agent: bot-app}}
      customerConfiguration: {customer: agent-desk}
      agentConfiguration: {agents: [web-customer, agent-desk]}
""",
    )
    assert [warning.path for warning in ws.load().warnings] == [
        "orchestrations[0].applications.botConfiguration.bots[0].application",
        "orchestrations[0].applications.botConfiguration.bots[0].onEscalation.agent",
        "orchestrations[0].applications.customerConfiguration.customer",
        "orchestrations[0].applications.agentConfiguration.agents[0]",
    ]


def test_duplicate_role_name_within_one_application_is_an_error(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        """
        version: 1
        clientApplications:
          - name: a
            roles:
              - {name: customer, version: v3, callback: "https://x.example.com", notificationEmail: a@x.com}
              - {name: customer, version: v1, callback: "https://y.example.com", notificationEmail: a@x.com}
        """,
    )
    path = ws.root / "m.yaml"
    assert ws.diagnostics() == [
        (
            "error",
            "m.yaml:6:16",
            "clientApplications[0].roles[1].name",
            f"duplicate name 'customer' in roles (first at {path}:5:16)",
        )
    ]


def test_duplicate_language_in_channel_messages_is_an_error(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        """
        version: 1
        channels:
          - type: custom.web
            displayName: Web
            icon: aWNvbg==
            l10nProperties:
              - {language: en-US, properties: [{name: msg_hub_off_hours, value: Closed}]}
              - {language: en-US, properties: [{name: msg_hub_off_hours, value: Closed}]}
        """,
    )
    assert [row[3] for row in ws.diagnostics()] == [
        f"duplicate language 'en-US' in l10nProperties (first at {ws.root / 'm.yaml'}:7:20)"
    ]


def test_previous_name_that_is_another_declared_objects_name_is_an_error(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        """
        version: 1
        channels:
          - {type: custom.web, displayName: A, icon: aWNvbg==}
          - {type: custom.web2, displayName: B, icon: aWNvbg==, previousNames: [custom.old, custom.web]}
        """,
    )
    path = ws.root / "m.yaml"
    assert ws.diagnostics() == [
        (
            "error",
            ws.at("m.yaml", "custom.web]"),
            "channels[1].previousNames[1]",
            f"previous name 'custom.web' is the type of another declared Channel (at {path}:3:5)",
        )
    ]


def test_previous_name_equal_to_the_objects_own_name_is_an_error(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        "version: 1\nchannels:\n  - {type: custom.web, displayName: A, icon: aWNvbg==, previousNames: [custom.web]}\n",
    )
    assert [row[3] for row in ws.diagnostics()] == ["previousNames lists the object's own type"]


def test_literal_secret_is_a_warning_recommending_an_env_variable(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\n" + AUTH.replace("${env:EGAIN_VAR_BOT_TOKEN_PAYLOAD}", '\'{"secret": "x"}\''))
    [warning] = ws.load().warnings
    assert ws.row(warning) == (
        "warning",
        "m.yaml:9:16",
        "authentications[0].oauth2.payload",
        "secret field oauth2.payload holds a literal value",
    )
    assert warning.hint == "keep secrets out of git: write ${env:EGAIN_VAR_NAME} and export EGAIN_VAR_NAME"


def test_an_unset_env_variable_in_a_secret_field_is_one_error_and_no_literal_warning(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EGAIN_VAR_BOT_TOKEN_PAYLOAD", raising=False)
    ws.write("m.yaml", "version: 1\n" + AUTH)
    manifest_set = load_manifests([ws.root / "m.yaml"], environ={})
    assert [d.severity for d in manifest_set.diagnostics] == ["error"]
    assert manifest_set.diagnostics[0].message == "environment variable EGAIN_VAR_BOT_TOKEN_PAYLOAD is not set"


def test_ignore_globs_merge_across_files_by_kind(ws: Workspace) -> None:
    ws.write("a.yaml", "version: 1\nignore: {participants: ['egain-*'], channels: [legacy.*]}\n")
    ws.write("b.yaml", "version: 1\nignore: {participants: ['va-*', 'egain-*']}\n")
    assert ws.load().ignore == {"participants": ("egain-*", "va-*"), "channels": ("legacy.*",)}

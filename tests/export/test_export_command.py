"""`egain-provision export`: an existing tenant into git in one command, and back without changes."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from benchmarks.tenant import BENCH_ENV, write_tenant
from egain_provision.sandbox.testing import ServedSandbox
from egain_provision.schemas import load_schema
from tests.support import (
    PASSWORD_SECRET,
    SECRET_ENV,
    CliResult,
    Tenant,
    create_full_setup,
    run_cli,
    target_env,
    write_manifest,
)

FULL_SETUP_VARIABLES = {
    "EGAIN_VAR_AUTHENTICATION_BOT_CALLBACK_OAUTH2_PAYLOAD": SECRET_ENV["EGAIN_VAR_BOT_TOKEN_PAYLOAD"],
    "EGAIN_VAR_AUTHENTICATION_AGENT_BASIC_BASICAUTH_PASSWORD": PASSWORD_SECRET,
}


def cli(sandbox: ServedSandbox, *args: str, env: Mapping[str, str | None] | None = None) -> CliResult:
    return run_cli([args[0], "--target", sandbox.base_url, *args[1:]], env={**target_env(sandbox), **(env or {})})


def tree_digest(directory: Path) -> dict[str, str]:
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_export_then_plan_has_no_changes(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    create_full_setup(tenant)
    out = tmp_path / "exported"
    result = cli(sandbox, "export", "--out", str(out))
    assert result.exit_code == 0, result.output
    plan = cli(sandbox, "plan", str(out), "--detailed-exitcode", env=dict(FULL_SETUP_VARIABLES))
    assert plan.exit_code == 0, plan.output


def test_export_writes_references_by_name_and_secrets_as_placeholders(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    out = tmp_path / "exported"
    result = cli(sandbox, "export", "--out", str(out))
    text = (out / "tenant.yaml").read_text()
    assert "application: order-bot-app" in text
    assert "agent: agent-desk" in text
    assert "${env:EGAIN_VAR_AUTHENTICATION_AGENT_BASIC_BASICAUTH_PASSWORD}" in text
    assert "created:" not in text and "modified:" not in text
    assert "active: true" not in text
    assert sorted((out / ".env.example").read_text().split()[-2:]) == sorted(f"{n}=" for n in FULL_SETUP_VARIABLES)
    for name in FULL_SETUP_VARIABLES:
        assert name in result.stdout
    # Only the API's secret fields are known to be secret; a token in a plain header is exported as is.
    for leaked in (PASSWORD_SECRET, SECRET_ENV["EGAIN_VAR_BOT_TOKEN_PAYLOAD"]):
        assert leaked not in text + result.stdout + result.stderr + (out / ".env.example").read_text()


def test_channel_icons_become_files(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    create_full_setup(tenant)
    out = tmp_path / "exported"
    cli(sandbox, "export", "--out", str(out))
    icon = out / "icons" / "custom_web.png"
    assert base64.b64encode(icon.read_bytes()).decode() == "iVBORw0KGgo="
    assert "icon: ${file:icons/custom_web.png}" in (out / "tenant.yaml").read_text()


def test_the_same_tenant_exports_the_same_bytes(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    create_full_setup(tenant)
    first, second = tmp_path / "first", tmp_path / "second"
    cli(sandbox, "export", "--out", str(first), "--split-by-kind")
    cli(sandbox, "export", "--out", str(second), "--split-by-kind")
    assert tree_digest(first) == tree_digest(second)
    assert (first / "accounts.yaml").is_file() and (first / "authentications.yaml").is_file()


def test_a_dangling_reference_is_kept_as_a_literal_id_with_a_warning(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    ids = create_full_setup(tenant)
    # Exporting accounts only: the orchestration and channel are not exported, so they stay ids.
    out = tmp_path / "accounts-only"
    result = cli(sandbox, "export", "--out", str(out), "--kind", "accounts")
    text = (out / "tenant.yaml").read_text()
    assert f"id: {ids['bot-first']}" in text
    assert "is not exported" in result.stderr
    plan = cli(sandbox, "plan", str(out), "--kind", "accounts", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output


def test_literal_dollar_braces_in_live_values_survive_the_round_trip(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    tenant.create("channels", {"type": "custom.x", "displayName": "Costs ${price}", "icon": "iVBORw0KGgo="})
    out = tmp_path / "exported"
    cli(sandbox, "export", "--out", str(out))
    assert cli(sandbox, "plan", str(out), "--detailed-exitcode").exit_code == 0


def test_reexport_removes_the_file_of_a_kind_that_became_empty(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    tenant.create("channels", {"type": "custom.x", "displayName": "X", "icon": "iVBORw0KGgo="})
    out = tmp_path / "exported"
    cli(sandbox, "export", "--out", str(out), "--split-by-kind")
    assert (out / "channels.yaml").is_file()
    tenant.http.delete(f"/channels/{tenant.find('channels', 'custom.x')['id']}").raise_for_status()
    cli(sandbox, "export", "--out", str(out), "--split-by-kind")
    assert not (out / "channels.yaml").exists()


def test_a_generated_tenant_of_hundreds_of_objects_round_trips(
    sandbox: ServedSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    manifest = write_tenant(tmp_path / "declared", 40)
    applied = cli(sandbox, "apply", "--auto-approve", str(manifest), env=dict(BENCH_ENV))
    assert applied.exit_code == 0, applied.output[-2000:]
    out = tmp_path / "exported"
    assert cli(sandbox, "export", "--out", str(out)).exit_code == 0
    variables = {
        line.removesuffix("="): BENCH_ENV["EGAIN_VAR_BENCH_PAYLOAD"]
        for line in (out / ".env.example").read_text().splitlines()
        if line.startswith("EGAIN_VAR_")
    }
    assert len(variables) == 40
    plan = cli(sandbox, "plan", str(out), "--detailed-exitcode", env=variables)
    assert plan.exit_code == 0, plan.output[-2000:]


def test_export_of_an_empty_tenant_writes_no_manifest(sandbox: ServedSandbox, tmp_path: Path) -> None:
    out = tmp_path / "empty"
    result = cli(sandbox, "export", "--out", str(out))
    assert result.exit_code == 0
    assert "Exported 0 objects" in result.stdout
    assert not list(out.glob("*.yaml"))


def test_exported_manifests_validate(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    create_full_setup(tenant)
    out = tmp_path / "exported"
    cli(sandbox, "export", "--out", str(out))
    result = run_cli(["validate", str(out)], env=dict(FULL_SETUP_VARIABLES))
    assert result.exit_code == 0, result.output


def test_manifest_written_by_hand_and_exported_plan_the_same(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    write_manifest(tmp_path / "hand")
    assert (
        cli(sandbox, "apply", "--auto-approve", str(tmp_path / "hand"), "--journal", str(tmp_path / "j")).exit_code == 0
    )
    out = tmp_path / "exported"
    cli(sandbox, "export", "--out", str(out))
    assert cli(sandbox, "plan", str(out), "--detailed-exitcode", env=dict(FULL_SETUP_VARIABLES)).exit_code == 0


# One setup using every field the manifest schema knows (the coverage test below keeps it so).
EVERY_FIELD = """\
version: 1
authentications:
  - name: oauth-callback
    description: OAuth2 callback credentials
    active: true
    type: oauth2
    oauth2:
      tokenRequestUrl: https://bots.example.com/oauth/token
      method: POST
      headers: [{name: Accept, value: application/json}]
      payload: ${env:EGAIN_VAR_BOT_TOKEN_PAYLOAD}
      accessTokenPath: $.accessToken
  - name: basic-callback
    description: Basic callback credentials
    active: false
    type: basic
    basicAuth: {username: egain, password: "${env:EGAIN_VAR_AGENT_PASSWORD}"}
clientApplications:
  - name: all-roles-app
    description: Every role
    active: true
    roles:
      - name: customer
        version: v3
        callback: https://web.example.com/cb
        notificationEmail: ops@example.com
        headers: [{name: X-Brand, value: acme}]
        authentication: oauth-callback
      - name: custom_bot
        version: v1
        callback: https://bots.example.com/cb
        notificationEmail: ops@example.com
        authentication: basic-callback
      - name: custom_agent
        version: v3
        callback: https://agents.example.com/cb
        notificationEmail: ops@example.com
participants:
  - name: every-field-bot
    description: A bot with intents and options
    active: true
    type: custom_bot
    application: all-roles-app
    intents: {intent: [{value: order_status, displayValue: Order status}]}
    options: [{name: language, value: en-US}]
channels:
  - type: custom.every
    displayName: Every field
    description: A channel with every restriction
    active: true
    icon: iVBORw0KGgo=
    restrictions:
      inbound:
        maxTextLength: 800
        features: [typing_events, attachments, richText]
        attachmentPolicy: {enabled: true, maxSize: 12345, type: block, extensions: [bat, exe]}
      outbound:
        maxTextLength: 1600
        systemMessages: true
        midChatAuth: false
        features: [typing_events]
        richMessageTypes: [listpicker, quickreply]
        customerServiceWindow: {durationMinutes: 1440, continueMessageTypes: [template]}
        attachmentPolicy: {enabled: false, maxSize: 999, type: allow, extensions: [jpeg, txt]}
    l10nProperties:
      - language: en-US
        properties: [{name: msg_hub_off_hours, value: "Closed; back at {0}"}]
orchestrations:
  - name: every-field-flow
    description: Bot first, agents, customer
    active: true
    applications:
      botConfiguration:
        forwardTranscript: true
        bypassVaDuration: 15
        bots: [{application: all-roles-app, participant: every-field-bot, onEscalation: {agent: all-roles-app}}]
      customerConfiguration: {customer: all-roles-app}
      agentConfiguration: {agents: [all-roles-app]}
accounts:
  - name: every-field-account
    description: Every account field
    active: true
    address: "+15550100"
    channel: custom.every
    caseManagement: {sameCaseDuration: 60, copyCustomAttributes: true}
    chatConfigurations:
      timeout: 30
      defaultLanguage: en-US
      onAgentUnavailability: off_hours
      allowLogoutWithOpenChats: true
      allowQueueTransferOnAgentUnavailability: false
      orchestration: every-field-flow
      entryPoint: {id: "1001"}
    attributes: [{name: brand, value: acme}]
"""
NOT_EXPORTED = {"version", "ignore", "scope", "sensitive", "previousNames"}  # manifest-level choices, not tenant state


def schema_field_paths() -> set[str]:
    """Every field path the manifest schema declares, e.g. `channels.restrictions.inbound.features`."""
    schema = load_schema("manifest")

    def resolve(node: dict) -> dict:
        while "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        return node

    def walk(node: dict, prefix: str) -> set[str]:
        node = resolve(node)
        if node.get("type") == "array" and "items" in node:
            return walk(node["items"], prefix)
        paths = {prefix} if prefix else set()
        for name, child in node.get("properties", {}).items():
            if name not in NOT_EXPORTED:
                paths |= walk(child, f"{prefix}.{name}" if prefix else name)
        return paths

    return walk(schema, "")


def document_field_paths(value: object, prefix: str = "") -> set[str]:
    paths = {prefix} if prefix else set()
    if isinstance(value, dict):
        for name, child in value.items():
            paths |= document_field_paths(child, f"{prefix}.{name}" if prefix else name)
    elif isinstance(value, list):
        for item in value:
            paths |= document_field_paths(item, prefix)
    return paths


def test_the_every_field_manifest_uses_every_field_of_the_schema() -> None:
    used = document_field_paths(yaml.safe_load(EVERY_FIELD))
    # A reference written as a name has no `.id` below it; literal ids are covered by entryPoint.
    missing = {path for path in schema_field_paths() - used if not path.endswith(".id") or "entryPoint" in path}
    assert missing == set()


def test_a_tenant_using_every_field_round_trips(
    sandbox: ServedSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    manifest = write_manifest(tmp_path / "declared", EVERY_FIELD)
    assert cli(sandbox, "apply", "--auto-approve", str(manifest)).exit_code == 0
    out = tmp_path / "exported"
    assert cli(sandbox, "export", "--out", str(out)).exit_code == 0
    text = (out / "tenant.yaml").read_text()
    assert "active: false" in text
    variables = {
        "EGAIN_VAR_AUTHENTICATION_OAUTH_CALLBACK_OAUTH2_PAYLOAD": SECRET_ENV["EGAIN_VAR_BOT_TOKEN_PAYLOAD"],
        "EGAIN_VAR_AUTHENTICATION_BASIC_CALLBACK_BASICAUTH_PASSWORD": PASSWORD_SECRET,
    }
    plan = cli(sandbox, "plan", str(out), "--detailed-exitcode", env=dict(variables))
    assert plan.exit_code == 0, plan.output


def test_export_refuses_a_directory_holding_manifests_it_did_not_write(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    out = tmp_path / "manifests"
    write_manifest(out, name="setup.yaml")
    before = tree_digest(out)
    result = cli(sandbox, "export", "--out", str(out))
    assert result.exit_code == 1
    assert f"{out} holds files that no export wrote: setup.yaml; nothing was written" in result.stderr
    assert "export into an empty or new directory" in result.stderr
    assert tree_digest(out) == before


def test_export_refuses_to_overwrite_a_file_it_did_not_write(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    out = tmp_path / "exported"
    out.mkdir()
    (out / ".env.example").write_text("MINE=1\n", "utf-8")
    result = cli(sandbox, "export", "--out", str(out))
    assert result.exit_code == 1
    assert ".env.example" in result.stderr
    assert (out / ".env.example").read_text("utf-8") == "MINE=1\n"


def test_export_lists_what_it_wrote_in_a_marker(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    create_full_setup(tenant)
    out = tmp_path / "exported"
    assert cli(sandbox, "export", "--out", str(out)).exit_code == 0
    listed = [line for line in (out / ".egain-export").read_text("utf-8").splitlines() if not line.startswith("#")]
    assert listed == sorted(name for name in tree_digest(out) if name != ".egain-export")
    assert "icons/custom_web.png" in listed and "tenant.yaml" in listed


def test_export_again_replaces_its_own_files_and_leaves_others_alone(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    out = tmp_path / "exported"
    cli(sandbox, "export", "--out", str(out))
    (out / "README.md").write_text("Exported from the sandbox.\n", "utf-8")
    tenant.edit("channels", "custom.web", displayName="Web chat 2")
    again = cli(sandbox, "export", "--out", str(out))
    assert again.exit_code == 0, again.output
    assert "Web chat 2" in (out / "tenant.yaml").read_text("utf-8")
    assert (out / "README.md").read_text("utf-8") == "Exported from the sandbox.\n"
    validated = run_cli(["validate", str(out)], env=dict(FULL_SETUP_VARIABLES))
    assert validated.exit_code == 0, validated.output


def test_a_marker_naming_files_outside_its_directory_removes_nothing_there(
    sandbox: ServedSandbox, tmp_path: Path
) -> None:
    out = tmp_path / "exported"
    out.mkdir()
    outside = tmp_path / "precious.yaml"
    outside.write_text("keep: me\n", "utf-8")
    (out / ".egain-export").write_text(f"../precious.yaml\n{outside}\n", "utf-8")
    assert cli(sandbox, "export", "--out", str(out)).exit_code == 0
    assert outside.read_text("utf-8") == "keep: me\n"


def test_a_symbolic_link_in_the_directory_leads_nothing_outside_it(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    # A checked-in `icons -> elsewhere` link and a marker naming a file through it: the file there
    # is neither deleted (marker) nor overwritten (the icons export writes).
    create_full_setup(tenant)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    precious = elsewhere / "authorized_keys"
    precious.write_text("ssh-ed25519 AAAA me\n", "utf-8")
    out = tmp_path / "exported"
    out.mkdir()
    (out / "icons").symlink_to(elsewhere, target_is_directory=True)
    (out / ".egain-export").write_text("icons/authorized_keys\n", "utf-8")

    result = cli(sandbox, "export", "--out", str(out))

    assert result.exit_code == 1
    assert "outside the directory through a symbolic link" in result.stderr and "icons/" in result.stderr
    assert precious.read_text("utf-8") == "ssh-ed25519 AAAA me\n"
    assert sorted(path.name for path in elsewhere.iterdir()) == ["authorized_keys"]

"""Fields a tenant answers that the manifest schema does not know are neither compared nor sent back.

A tenant may answer more than eGain's spec describes; no manifest can declare such a field, so a
difference there would be a change no apply could ever remove. The plan names each one once.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from egain_provision.sandbox.testing import ServedSandbox
from tests.support import FULL_SETUP, Tenant, create_full_setup, run_cli, target_env, write_manifest

# (object name, JSON path in the stored body, value): top level, nested, inside list items, inside a reference.
EXTRA_FIELDS = [
    ("order-bot", "$.tenantId", "t-81"),
    ("order-account", "$.tenantId", "t-81"),
    ("order-account", "$.chatConfigurations.queue", "vip"),
    ("bot-callback", "$.oauth2.headers[0].secure", 1),
    ("order-bot-app", "$.roles[0].tenantId", "t-81"),
    ("web-customer", "$.roles[0].tenantId", "t-82"),
    ("order-bot-app", "$.roles[0].authentication.name", "bot-callback"),  # an enriched reference: understood
    ("bot-first", "$.applications.botConfiguration.bots[0].priority", 3),
    ("custom.web", "$.restrictions.inbound.emoji", 0),
]
WARNINGS = [
    "tenant answers field oauth2.headers[].secure on authentications; not managed",
    "tenant answers field roles[].tenantId on clientApplications; not managed",
    "tenant answers field tenantId on participants; not managed",
    "tenant answers field restrictions.inbound.emoji on channels; not managed",
    "tenant answers field applications.botConfiguration.bots[].priority on orchestrations; not managed",
    "tenant answers field chatConfigurations.queue on accounts; not managed",
    "tenant answers field tenantId on accounts; not managed",
]


def add_fields(sandbox: ServedSandbox, fields: list[tuple[str, str, Any]]) -> None:
    """Put fields into stored objects behind the sandbox's API, which refuses unknown attributes on write."""
    with sqlite3.connect(sandbox.config.db_path) as db:
        for label, path, value in fields:
            changed = db.execute("UPDATE objects SET body = json_set(body, ?, ?) WHERE label = ?", (path, value, label))
            assert changed.rowcount == 1, label


@pytest.fixture
def tenant(clean_sandbox: ServedSandbox) -> Iterator[Tenant]:
    client = Tenant(clean_sandbox)
    create_full_setup(client)
    add_fields(clean_sandbox, EXTRA_FIELDS)
    yield client
    client.close()


def cli(sandbox: ServedSandbox, command: str, *args: str) -> tuple[int, str, str]:
    result = run_cli([command, "--target", sandbox.base_url, *args], env=target_env(sandbox))
    return result.exit_code, result.stdout, result.stderr


def test_unknown_fields_at_any_depth_are_no_change_with_one_warning_per_field_and_kind(
    clean_sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    assert tenant.find("participants", "order-bot")["tenantId"] == "t-81"  # the tenant really answers them
    manifest = str(write_manifest(tmp_path))
    code, out, err = cli(clean_sandbox, "plan", manifest, "--detailed-exitcode", "--format", "json")
    assert code == 0, out + err
    document = json.loads(out)
    assert document["actions"] == []
    assert document["warnings"] == WARNINGS
    code, text, _ = cli(clean_sandbox, "plan", manifest, "--no-color")
    assert code == 0
    assert "Warning: tenant answers field roles[].tenantId on clientApplications; not managed" in text
    assert text.count("roles[].tenantId") == 1


def test_an_update_sends_only_the_declared_fields(clean_sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, FULL_SETUP.replace("description: Order bot", "description: Orders"))
    code, out, err = cli(clean_sandbox, "plan", str(manifest), "--format", "json")
    [action] = json.loads(out)["actions"]
    assert [change["path"] for change in action["changes"]] == ["description"]
    code, out, err = cli(clean_sandbox, "apply", str(manifest), "--auto-approve", "--journal", str(tmp_path / "j"))
    assert code == 0, out + err  # the sandbox refuses unknown attributes: none was sent
    [role] = tenant.find("clientApplications", "order-bot-app")["roles"]
    assert "tenantId" not in role and set(role["authentication"]) == {"id"}
    code, out, _ = cli(clean_sandbox, "plan", str(manifest), "--format", "json")
    assert "tenant answers field roles[].tenantId on clientApplications; not managed" in json.loads(out)["warnings"]


def test_a_delete_lists_only_the_fields_the_tool_knows(
    clean_sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    without_account = FULL_SETUP[: FULL_SETUP.index("accounts:")]
    code, out, err = cli(
        clean_sandbox, "plan", str(write_manifest(tmp_path, without_account)), "--prune", "--format", "json"
    )
    assert code == 0, err
    [delete] = json.loads(out)["actions"]
    paths = {change["path"] for change in delete["changes"]}
    assert "chatConfigurations.timeout" in paths
    assert not paths & {"tenantId", "chatConfigurations.queue"}


def test_ignored_objects_are_not_warned_about(clean_sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    ignoring = FULL_SETUP.replace("version: 1\n", "version: 1\nignore:\n  accounts: [order-*]\n", 1)
    without_account = ignoring[: ignoring.index("accounts:\n  - name")]
    code, out, err = cli(clean_sandbox, "plan", str(write_manifest(tmp_path, without_account)), "--format", "json")
    assert code == 0, err
    warnings = json.loads(out)["warnings"]
    assert "tenant answers field tenantId on participants; not managed" in warnings
    assert not any("on accounts" in warning for warning in warnings)


def test_export_leaves_unknown_fields_out_and_says_so(
    clean_sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    code, _, err = cli(clean_sandbox, "export", "--out", str(tmp_path / "exported"))
    assert code == 0, err
    exported = (tmp_path / "exported" / "tenant.yaml").read_text()
    assert "tenantId" not in exported and "priority" not in exported and "emoji" not in exported
    assert "tenant answers field tenantId on participants; not exported" in err
    assert err.count("roles[].tenantId") == 1
    validated = run_cli(
        ["validate", str(tmp_path / "exported")],
        env={
            "EGAIN_VAR_AUTHENTICATION_BOT_CALLBACK_OAUTH2_PAYLOAD": "x",
            "EGAIN_VAR_AUTHENTICATION_AGENT_BASIC_BASICAUTH_PASSWORD": "y",
        },
    )
    assert validated.exit_code == 0, validated.stdout

"""A tenant that does not reveal secrets answers them masked, empty, or not at all: never a phantom change."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from egain_provision.sandbox.testing import ServedSandbox
from tests.plan.test_keyed_lists import AUTH_TOKEN, create_in_another_order
from tests.plan.test_keyed_lists import ENV as KEYED_ENV
from tests.plan.test_keyed_lists import MANIFEST as KEYED_MANIFEST
from tests.support import SECRETS, Tenant, assert_no_secrets, create_full_setup, run_cli, target_env, write_manifest

SECRET_FIELDS = {"bot-callback": "$.oauth2.payload", "agent-basic": "$.basicAuth.password"}


def answer_secrets_as(sandbox: ServedSandbox, answer: str | None) -> None:
    """Make the tenant answer both authentications' secrets as `answer` (None: leave the field out).

    Written into the sandbox's store behind its API, which (rightly) refuses such values on write.
    """
    with sqlite3.connect(sandbox.config.db_path) as db:
        for name, path in SECRET_FIELDS.items():
            if answer is None:
                db.execute("UPDATE objects SET body = json_remove(body, ?) WHERE label = ?", (path, name))
            else:
                db.execute("UPDATE objects SET body = json_set(body, ?, ?) WHERE label = ?", (path, answer, name))


@pytest.fixture
def tenant(clean_sandbox: ServedSandbox) -> Iterator[Tenant]:
    client = Tenant(clean_sandbox)
    create_full_setup(client)
    yield client
    client.close()


def plan(sandbox: ServedSandbox, manifest: Path, *args: str) -> tuple[int, str, str]:
    result = run_cli(["plan", "--target", sandbox.base_url, str(manifest), *args], env=target_env(sandbox))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("answer", ["", "*", "***", "************", None], ids=["empty", "1", "3", "12", "absent"])
def test_a_secret_answered_empty_masked_or_absent_is_not_compared(
    clean_sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path, answer: str | None
) -> None:
    answer_secrets_as(clean_sandbox, answer)
    assert tenant.find("authentications", "bot-callback")["oauth2"].get("payload") == answer  # as arranged
    manifest = write_manifest(tmp_path)
    code, out, err = plan(clean_sandbox, manifest, "--detailed-exitcode", "--no-color")
    assert code == 0, out + err
    assert "2 secret field(s) are write-only on this tenant and were not compared" in out
    code, out, err = plan(clean_sandbox, manifest, "--rotate-secrets", "--format", "json")
    document = json.loads(out)
    notes = {action["natural_key"]: action["notes"] for action in document["actions"]}
    assert notes == {
        "bot-callback": ["oauth2.payload: write-only on this tenant; sent because of --rotate-secrets"],
        "agent-basic": ["basicAuth.password: write-only on this tenant; sent because of --rotate-secrets"],
    }
    assert_no_secrets([out, err])


def test_a_secret_the_tenant_reveals_is_compared(clean_sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    # Only masks are skipped: a real (if short) answer that differs is a change.
    answer_secrets_as(clean_sandbox, "*x*")
    code, out, _ = plan(clean_sandbox, write_manifest(tmp_path), "--detailed-exitcode", "--format", "json")
    assert code == 2
    changed = {(a["natural_key"], c["path"]) for a in json.loads(out)["actions"] for c in a["changes"]}
    assert changed == {("bot-callback", "oauth2.payload"), ("agent-basic", "basicAuth.password")}
    assert not any(secret in out for secret in (*SECRETS, "*x*"))


def test_the_sandboxs_mask_option_is_a_write_only_tenant(tmp_path: Path) -> None:
    with ServedSandbox(db_path=str(tmp_path / "masked.db"), mask_secrets=True) as masked:
        client = Tenant(masked)
        create_full_setup(client)
        assert client.find("authentications", "agent-basic")["basicAuth"]["password"] == "********"
        client.close()
        code, out, err = plan(masked, write_manifest(tmp_path), "--detailed-exitcode", "--no-color")
    assert code == 0, out + err
    assert "2 secret field(s) are write-only on this tenant and were not compared" in out


@pytest.mark.parametrize("answer", ["", "********"])
def test_a_secret_attribute_answered_masked_is_found_by_name_and_not_compared(
    clean_sandbox: ServedSandbox, tmp_path: Path, answer: str
) -> None:
    client = Tenant(clean_sandbox)
    create_in_another_order(client)  # the account lists authToken first, the manifest second
    client.close()
    with sqlite3.connect(clean_sandbox.config.db_path) as db:
        db.execute(
            "UPDATE objects SET body = json_set(body, '$.attributes[0].value', ?) WHERE label = 'sms'", (answer,)
        )
    manifest = write_manifest(tmp_path, KEYED_MANIFEST)
    env = {**target_env(clean_sandbox), **KEYED_ENV}
    result = run_cli(["plan", "--target", clean_sandbox.base_url, str(manifest), "--detailed-exitcode"], env=env)
    assert result.exit_code == 0, result.output
    assert "1 secret field(s) are write-only on this tenant and were not compared" in result.stdout
    args = ["plan", "--target", clean_sandbox.base_url, str(manifest), "--rotate-secrets", "--format", "json"]
    result = run_cli(args, env=env)
    [action] = json.loads(result.stdout)["actions"]
    assert action["notes"] == [
        "attributes[authToken].value: write-only on this tenant; sent because of --rotate-secrets"
    ]
    assert [change["path"] for change in action["changes"]] == ["attributes[authToken].value"]
    assert AUTH_TOKEN not in result.output

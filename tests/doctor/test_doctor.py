"""`doctor` names how a target behaves and what blocks it, and writes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from egain_provision.sandbox.testing import ServedSandbox
from tests.support import Tenant, create_full_setup, run_cli, target_env


@pytest.fixture
def tenant(sandbox: ServedSandbox) -> Iterator[Tenant]:
    client = Tenant(sandbox)
    create_full_setup(client)
    yield client
    client.close()


def doctor(sandbox: ServedSandbox, *args: str, base: str | None = None) -> tuple[int, str]:
    result = run_cli(["doctor", "--target", base or sandbox.base_url, *args], env=target_env(sandbox))
    return result.exit_code, result.stdout + result.stderr


def by_kind(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {kind["kind"]: kind for kind in document["kinds"]}


def test_doctor_on_the_sandbox_finds_no_blocker_and_makes_no_write(sandbox: ServedSandbox, tenant: Tenant) -> None:
    sandbox.clear_requests()
    code, out = doctor(sandbox, "--format", "json")
    assert code == 0, out
    document = json.loads(out)
    assert document["blockers"] == []
    assert document["scopes"]["https://api.egain.cloud/auth/.default"] == "granted"
    kinds = by_kind(document)
    assert kinds["authentications"]["paging"] == "honours $pagesize and $pagenum"
    assert kinds["clientApplications"]["list_key"] == "singular"
    assert kinds["clientApplications"]["pagination_info"] is True
    assert kinds["participants"]["references"] == "{id}"
    # Nested references too: roles[].authentication, and an orchestration's bots (a bare id, then {id}s).
    assert kinds["clientApplications"]["references"] == "{id}"
    assert kinds["orchestrations"]["references"] == "bare id, {id}"
    assert kinds["accounts"]["references"] == "{id}"
    assert kinds["channels"]["modified_in_items"] is True
    assert kinds["authentications"]["secrets"] == ["shown in clear"]
    assert kinds["accounts"]["read_whole"] == "yes (1 objects)"
    api_writes = [r for r in sandbox.requests() if r["method"] != "GET" and "/v3/" in r["path"]]
    assert api_writes == []


def test_doctor_names_masked_secrets(tmp_path: Path) -> None:
    with ServedSandbox(db_path=str(tmp_path / "masked.db"), mask_secrets=True) as masked:
        client = Tenant(masked)
        try:
            create_full_setup(client)
        finally:
            client.close()
        code, out = doctor(masked, "--format", "json")
    assert code == 0, out
    assert by_kind(json.loads(out))["authentications"]["secrets"][0].startswith("masked as")


def test_doctor_stops_on_a_wrong_base_url_with_the_fix(sandbox: ServedSandbox) -> None:
    code, out = doctor(sandbox, base=sandbox.url)  # without /conversation/conversationmgr/v3
    assert code == 1
    assert "Blockers (plan and apply will stop):" in out
    assert "/conversation/conversationmgr/v3" in out


def test_doctor_text_lists_every_kind(sandbox: ServedSandbox, tenant: Tenant) -> None:
    code, out = doctor(sandbox)
    assert code == 0
    for kind in ("authentications", "clientApplications", "participants", "channels", "orchestrations", "accounts"):
        assert f"  {kind}:" in out
    assert "No blockers" in out

"""What an apply from empty costs the tenant, request by request (README: Rate limits, request economy).

From empty: the token, one list page per kind for the plan (all empty), one write per action, and
one whole listing of each kind written, its re-read. The orchestrations' twin checks wait for every
create of their kind and share that listing, however many waves the creates go out in.
"""

from __future__ import annotations

import collections
import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.tenant import BENCH_ENV, tenant_manifest, write_tenant
from egain_provision.kinds import SETUP_ORDER
from egain_provision.sandbox.config import BASE_PATH, TOKEN_PATH
from egain_provision.sandbox.testing import ServedSandbox
from tests.support import Tenant, run_cli, target_env

SETUPS = 4  # 32 objects: 12 client applications, 4 of each other kind
PAGE = 3  # the tenant's own page size (`paging: fixed:3`), so the re-reads take several pages


def requests_from_empty(objects_per_kind: dict[str, int], page: int) -> int:
    """The README's count: 1 token + one page per kind (the plan) + one per action + each kind's pages (re-read)."""
    reread = sum(math.ceil(count / page) for count in objects_per_kind.values() if count)
    return 1 + len(SETUP_ORDER) + sum(objects_per_kind.values()) + reread


def apply_from_empty(sandbox: ServedSandbox, manifest: Path, *options: str) -> dict[str, Any]:
    sandbox.clear_requests()
    arguments = ["apply", "--target", sandbox.base_url, "--auto-approve", "--format", "json", *options, str(manifest)]
    result = run_cli(arguments, env=target_env(sandbox) | BENCH_ENV)
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.stdout)
    assert summary["totals"]["created"] == SETUPS * 8
    assert [outcome["verification"] for outcome in summary["outcomes"]] == ["verified"] * (SETUPS * 8)
    return summary


def listed(log: list[dict[str, Any]], kind: str) -> int:
    return sum(entry["method"] == "GET" and entry["path"] == f"{BASE_PATH}/{kind.lower()}" for entry in log)


@pytest.fixture(autouse=True)
def _journal_in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # apply's journal goes under the working directory


def test_an_apply_from_empty_sends_the_count_of_the_formula(clean_sandbox: ServedSandbox, tmp_path: Path) -> None:
    clean_sandbox.set_options(paging=f"fixed:{PAGE}")
    manifest = write_tenant(tmp_path, SETUPS)
    per_kind = {kind: len(objects) for kind, objects in tenant_manifest(SETUPS).items() if kind != "version"}
    # Parallelism 2: the four orchestrations are created in two waves, each once a twin check's occasion.
    apply_from_empty(clean_sandbox, manifest, "--parallelism", "2")
    log = clean_sandbox.requests()
    assert len(log) == requests_from_empty(per_kind, PAGE) == 1 + 6 + 32 + (4 + 5 * 2)
    assert sum(entry["path"] == TOKEN_PATH for entry in log) == 1
    writes = collections.Counter(entry["path"].rsplit("/", 1)[-1] for entry in log if entry["method"] == "POST")
    assert {kind.lower(): count for kind, count in per_kind.items()} == writes - collections.Counter(token=1)
    for kind, count in per_kind.items():
        # The plan's one (empty) page, then one whole listing after the writes: the twin checks add none.
        assert listed(log, kind) == 1 + math.ceil(count / PAGE), kind
    assert listed(log, "orchestrations") == 3


def test_the_plans_estimate_of_its_apply_is_what_the_apply_from_empty_sends(
    clean_sandbox: ServedSandbox, tmp_path: Path
) -> None:
    manifest = write_tenant(tmp_path, SETUPS)
    plan = run_cli(
        ["plan", "--target", clean_sandbox.base_url, str(manifest)], env=target_env(clean_sandbox) | BENCH_ENV
    )
    assert plan.exit_code == 0, plan.output
    # Pages of 100: one re-read page per kind.
    assert f"its apply about GET {len(SETUP_ORDER)}, POST {SETUPS * 8}" in plan.stderr
    summary = apply_from_empty(clean_sandbox, manifest)
    assert summary["requests_per_method"] == {"GET": len(SETUP_ORDER), "POST": SETUPS * 8}


def test_a_twin_check_does_not_wait_for_an_orchestration_create_that_is_skipped(
    clean_sandbox: ServedSandbox, tmp_path: Path
) -> None:
    # Setup 0's participant names, by literal id, an application deleted after planning: its create
    # fails and setup 0's orchestration is skipped, never sent; setup 1's twin check must not wait for it.
    tenant = Tenant(clean_sandbox)
    try:
        role = {
            "name": "custom_bot",
            "version": "v3",
            "callback": "https://doomed.example.com/cb",
            "notificationEmail": "o@example.com",
        }
        doomed = tenant.create("clientApplications", {"name": "doomed-app", "roles": [role]})
        document = tenant_manifest(2)
        document["participants"][0]["application"] = {"id": doomed}
        manifest = tmp_path / "broken.yaml"
        manifest.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        saved = str(tmp_path / "plan.json")
        env = target_env(clean_sandbox) | BENCH_ENV
        planned = run_cli(["plan", "--target", clean_sandbox.base_url, str(manifest), "--out", saved], env=env)
        assert planned.exit_code == 0, planned.output
        assert tenant.http.delete(f"/clientapplications/{doomed}").status_code == 204
        result = run_cli(["apply", "--target", clean_sandbox.base_url, "--format", "json", saved], env=env)
    finally:
        tenant.close()
    assert result.exit_code == 1, result.output
    outcomes = {o["address"]: o for o in json.loads(result.stdout)["outcomes"]}
    assert outcomes["participants/bot-0000"]["status"] == "failed"
    assert outcomes["orchestrations/bot-first-0000"]["status"] == "skipped"
    assert outcomes["orchestrations/bot-first-0001"]["status"] == "done"
    assert outcomes["orchestrations/bot-first-0001"]["verification"] == "verified"
    assert outcomes["accounts/account-0001"]["verification"] == "verified"

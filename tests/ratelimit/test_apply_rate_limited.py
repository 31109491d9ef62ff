"""`apply` against a rate-limited sandbox: paced it sees at most one 429, unpaced it converges through them,
and a Retry-After beyond the retry budget fails that request saying so, the summary exact.

Rates are time-scaled (20 req/s, burst 5, where a tenant allows 1 req/s, burst 30) so a run
takes seconds; nothing here measures time, only requests and 429s. At such rates the jitter of a
loaded machine is a large share of an interval, so a paced run may see one 429 (the pacer then
widens its allowance); it never sees them again and again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from egain_provision.kinds import KINDS
from egain_provision.sandbox.config import BASE_PATH
from egain_provision.sandbox.testing import ServedSandbox
from tests.support import FULL_SETUP, CliResult, Tenant, run_cli, target_env, write_manifest

SANDBOX_RATE = "20/5"
UNPACED_SANDBOX_RATE = "10/3"
EXTRA_AUTHENTICATIONS = 24
# FULL_SETUP (9 objects) and 24 independent authentications: more work at once than a burst of 5.
MANY = FULL_SETUP.replace(
    "clientApplications:\n",
    "".join(
        f"  - name: extra-{index:02}\n    type: basic\n    basicAuth:\n      username: u{index}\n"
        "      password: ${env:EGAIN_VAR_AGENT_PASSWORD}\n"
        for index in range(EXTRA_AUTHENTICATIONS)
    )
    + "clientApplications:\n",
    1,
)
MANY_COUNTS = {
    "authentications": 2 + EXTRA_AUTHENTICATIONS,
    "clientApplications": 3,
    "participants": 1,
    "channels": 1,
    "orchestrations": 1,
    "accounts": 1,
}
MANY_OBJECTS = sum(MANY_COUNTS.values())


@pytest.fixture
def tenant(clean_sandbox: ServedSandbox) -> Iterator[Tenant]:
    """Direct access to the session sandbox; its token is taken before any limit is set."""
    client = Tenant(clean_sandbox)
    yield client
    client.close()


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # apply's journal goes under the working directory
    return tmp_path


def apply(sandbox: ServedSandbox, manifest: Path, *options: str) -> tuple[CliResult, dict[str, Any]]:
    arguments = ["apply", "--target", sandbox.base_url, "--auto-approve", "--format", "json", *options]
    result = run_cli([*arguments, str(manifest)], env=target_env(sandbox))
    return result, json.loads(result.stdout)


def api_statuses(sandbox: ServedSandbox) -> list[int]:
    return [entry["status"] for entry in sandbox.requests() if entry["path"].startswith(BASE_PATH)]


def converged(sandbox: ServedSandbox, manifest: Path) -> bool:
    arguments = ["plan", "--target", sandbox.base_url, "--detailed-exitcode", str(manifest)]
    return run_cli(arguments, env=target_env(sandbox)).exit_code == 0


@pytest.mark.parametrize("pace", [SANDBOX_RATE, "16/4"], ids=["at the rate", "below it"])
def test_an_apply_paced_at_or_below_the_tenant_rate_sees_at_most_one_429_and_converges(
    clean_sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path, pace: str
) -> None:
    manifest = write_manifest(tmp_path, MANY)
    clean_sandbox.set_faults(rate_limit=SANDBOX_RATE)
    result, summary = apply(clean_sandbox, manifest, "--rate-limit", pace)
    assert result.exit_code == 0, result.output
    statuses = api_statuses(clean_sandbox)
    assert statuses.count(429) <= 1
    assert len(statuses) >= MANY_OBJECTS  # a create each, and the reads
    assert summary["totals"]["created"] == MANY_OBJECTS
    assert summary["throttled"] <= statuses.count(429)  # the apply's own; a 429 may come to the plan's reads
    clean_sandbox.set_faults(rate_limit=None)
    assert tenant.counts() == MANY_COUNTS
    assert converged(clean_sandbox, manifest)


@pytest.mark.parametrize("retry_after", [True, False], ids=["Retry-After", "no Retry-After"])
def test_an_unpaced_apply_converges_through_429s_and_reports_them(
    clean_sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path, retry_after: bool
) -> None:
    manifest = write_manifest(tmp_path, MANY)
    # Slower than SANDBOX_RATE: an unpaced client on a loaded machine still sends faster than this.
    clean_sandbox.set_faults(rate_limit=UNPACED_SANDBOX_RATE, rate_limit_retry_after=retry_after)
    result, summary = apply(clean_sandbox, manifest, "--rate-limit", "none")
    assert result.exit_code == 0, result.output
    statuses = api_statuses(clean_sandbox)
    refused = statuses.count(429)
    assert refused > 0
    # Every request was answered: a 429, or what it asked for (201 created, 200 read, 204).
    assert set(statuses) <= {200, 201, 204, 429}
    assert statuses.count(201) == MANY_OBJECTS  # each object created once, however often refused
    assert summary["totals"] == {
        "created": MANY_OBJECTS,
        "updated": 0,
        "deleted": 0,
        "failed": 0,
        "skipped": 0,
        "unknown": 0,
        "adopted": 0,
        "differs": 0,
        "unverified": 0,
    }
    # The summary counts the apply's own requests (not the plan's reads before it): at most the log's.
    assert 0 < summary["throttled"] <= refused
    assert summary["requests"] - summary["throttled"] <= len(statuses) - refused
    assert summary["requests"] >= MANY_OBJECTS + summary["throttled"]
    clean_sandbox.set_faults(rate_limit=None)
    assert tenant.counts() == MANY_COUNTS
    assert converged(clean_sandbox, manifest)


def test_a_retry_after_beyond_the_retry_budget_fails_that_request_and_the_summary_is_exact(
    clean_sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path)  # FULL_SETUP: 9 objects
    # One token per 100 s: the plan's six reads and two creates get through, nothing after them.
    clean_sandbox.set_faults(rate_limit="0.01/8")
    result, summary = apply(clean_sandbox, manifest, "--rate-limit", "none", "--retry-budget", "5")
    assert result.exit_code == 1
    statuses = api_statuses(clean_sandbox)
    assert statuses.count(201) == 2
    totals = summary["totals"]
    failed = [o for o in summary["outcomes"] if o["status"] == "failed"]
    assert totals["failed"] == len(failed) > 0
    # The two creates were carried out, but the re-read of their kind was refused too: not yet verified.
    assert (totals["created"], totals["unverified"]) == (0, 2)
    assert totals["unverified"] + totals["failed"] + totals["skipped"] == 9
    assert (totals["updated"], totals["deleted"], totals["unknown"], totals["adopted"]) == (0, 0, 0, 0)
    # Each failed action and the re-read asked once and were told to wait the 100 s to the next token.
    assert statuses.count(429) == totals["failed"] + 1 == summary["throttled"]
    for outcome in failed:
        assert "the tenant asks to wait 100 s (Retry-After), beyond the retry budget of 5 s" in outcome["message"]
    unverified = [o for o in summary["outcomes"] if o["verification"] == "unverified"]
    assert all("re-reading it failed" in outcome["message"] for outcome in unverified)
    clean_sandbox.set_faults(rate_limit=None)
    assert sum(tenant.counts().values()) == totals["unverified"] == 2


# Slow enough that the allowance (2% of the interval at burst 1: 10 ms) outgrows a loaded machine's jitter.
@pytest.mark.parametrize("rate", ["2/1", "4/2"], ids=["burst 1", "burst 2"])
def test_a_plan_and_an_apply_paced_at_burst_1_or_2_see_at_most_one_429_each(
    clean_sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path, rate: str
) -> None:
    manifest = write_manifest(tmp_path)  # FULL_SETUP: 9 objects
    clean_sandbox.set_faults(rate_limit=rate)
    plan = run_cli(
        ["plan", "--target", clean_sandbox.base_url, "--rate-limit", rate, str(manifest)], env=target_env(clean_sandbox)
    )
    assert plan.exit_code == 0, plan.output
    assert "requests per method: plan GET" in plan.stderr and "its apply about GET 6, POST 9" in plan.stderr
    planned = api_log(clean_sandbox)
    clean_sandbox.set_faults(rate_limit=rate)  # a full bucket again, as after an idle minute
    clean_sandbox.clear_requests()
    result, summary = apply(clean_sandbox, manifest, "--rate-limit", rate)
    assert result.exit_code == 0, result.output
    applied = api_log(clean_sandbox)
    for log in (planned, applied):
        refused = [index for index, entry in enumerate(log) if entry["status"] == 429]
        assert len(refused) <= 1
        # A refused request went again later and was answered.
        for index in refused:
            again = [
                e for e in log[index + 1 :] if (e["method"], e["path"]) == (log[index]["method"], log[index]["path"])
            ]
            assert again and again[0]["status"] in (200, 201)
    assert [entry["status"] for entry in applied].count(201) == 9
    # The executor's POSTs, each 429 among them included (the reads before it are GETs).
    assert summary["requests_per_method"]["POST"] == [entry["method"] for entry in applied].count("POST")
    clean_sandbox.set_faults(rate_limit=None)
    assert converged(clean_sandbox, manifest)


def api_log(sandbox: ServedSandbox) -> list[dict[str, Any]]:
    return [entry for entry in sandbox.requests() if entry["path"].startswith(BASE_PATH)]


def test_an_apply_over_the_monthly_quota_stops_before_its_first_write_unless_allowed(
    clean_sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path, MANY)
    # 1000 req/s, burst 50, a quota of 20 requests per method per month: the 33 creates are over it.
    result, _ = apply_text(clean_sandbox, manifest, "--rate-limit", "1000/50/20")
    assert result.exit_code == 1
    assert "this run alone needs POST 33 requests, more than the given tier's monthly quota of 20" in result.stderr
    assert "--allow-over-quota" in result.stderr
    assert {entry["method"] for entry in api_log(clean_sandbox)} == {"GET"}  # read, nothing written
    assert sum(tenant.counts().values()) == 0
    clean_sandbox.clear_requests()
    result, summary = apply(clean_sandbox, manifest, "--rate-limit", "1000/50/20", "--allow-over-quota")
    assert result.exit_code == 0, result.output
    assert "Warning: this run alone needs POST 33 requests" in result.stderr
    sent = [entry["method"] for entry in api_log(clean_sandbox)]
    # The executor's own requests, per method (the plan's reads before it, six GETs, not counted).
    assert sum(summary["requests_per_method"].values()) == summary["requests"] == len(sent) - 6
    assert summary["requests_per_method"]["POST"] == sent.count("POST") == MANY_OBJECTS
    assert tenant.counts() == MANY_COUNTS


def test_the_text_summary_says_the_requests_per_method(clean_sandbox: ServedSandbox, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path)
    result, _ = apply_text(clean_sandbox, manifest, "--rate-limit", "none")
    assert result.exit_code == 0, result.output
    found = re.search(r"(\d+) requests \(GET (\d+), POST 9; 0 answered 429\)", result.stdout)
    assert found is not None, result.output
    # Each kind's write re-read once (6 GETs), and the orchestration's check for a twin.
    assert int(found.group(1)) == int(found.group(2)) + 9 and int(found.group(2)) >= len(KINDS)


def apply_text(sandbox: ServedSandbox, manifest: Path, *options: str) -> tuple[CliResult, None]:
    arguments = ["apply", "--target", sandbox.base_url, "--auto-approve", *options, str(manifest)]
    return run_cli(arguments, env=target_env(sandbox)), None

"""doctor ends within its total time budget, whatever the tenant's Retry-After, and says what it did not finish."""

from __future__ import annotations

import json

import pytest

from tests.client.scripted_tenant import Script, scripted_tenant
from tests.support import run_cli

READY = {"EGAIN_ACCESS_TOKEN": "doctor-token"}
KINDS = 6


def throttled(retry_after: str) -> Script:
    def script(method: str, path: str, authorization: str) -> tuple[int, dict[str, str], bytes]:
        return 429, {"Retry-After": retry_after}, b'{"code": "429-101", "developerMessage": "slow down"}'

    return script


@pytest.mark.parametrize("given", ["option", "environment"])
def test_doctor_against_retry_after_zero_stops_at_its_time_budget_and_says_what_it_did_not_finish(given: str) -> None:
    option = ["--time-budget", "1"] if given == "option" else []
    env = READY if given == "option" else {**READY, "EGAIN_PROVISION_TIME_BUDGET": "1"}
    with scripted_tenant(throttled("0")) as tenant:
        result = run_cli(["doctor", "--target", tenant.base_url, *option], env=env)
        sent = len(tenant.seen)
    assert result.exit_code == 1, result.output
    assert "Not finished within --time-budget 1 s (unknown, neither passed nor failed): " in result.stdout
    assert "No blockers" not in result.stdout
    # Every wait is at least the retry floor (0.05 s): one second holds at most 20, plus one probe per kind.
    assert sent <= 20 + 1 + KINDS


def test_doctor_reports_a_retry_after_beyond_its_budget_as_unfinished_saying_so() -> None:
    with scripted_tenant(throttled("86400")) as tenant:
        result = run_cli(["doctor", "--target", tenant.base_url, "--format", "json"], env=READY)
        sent = len(tenant.seen)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["time_budget"] == 60
    assert len(report["unfinished"]) == KINDS and report["blockers"] == []
    for kind in report["kinds"]:
        assert kind["read_whole"].startswith("unknown: ")
        assert (
            "the tenant asks to wait 86400 s (Retry-After), beyond the time left of doctor's --time-budget of 60 s"
            in kind["read_whole"]
        )
    assert sent == 2 * KINDS  # the plain probe and the first list read of each kind, none retried

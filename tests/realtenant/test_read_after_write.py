"""Apply re-reads what it wrote, waits for a tenant that lists its writes late, and never sends a lost create twice.

The sandbox's `list_lag` hides objects younger than the lag from every list; `lost_answer_rate`
stores a write and then drops its answer. The windows are set short by option, so these tests
are about the rule (found, waited for, or reported), not about the time they take.
"""

from __future__ import annotations

import json
from pathlib import Path

from egain_provision.journal import read_journal
from tests.realtenant.realtenant_support import (
    BASE_PATH,
    DECLARED,
    PRUNED,
    SMALL,
    UPDATED,
    cli,
    live_names,
    manifest,
    variant_sandbox,
)


def test_a_tenant_listing_writes_late_is_waited_for_and_its_lag_reported(tmp_path: Path) -> None:
    path = manifest(tmp_path, SMALL)
    with variant_sandbox(tmp_path, list_lag=1.0) as sandbox:
        applied = cli(sandbox, "apply", path, "--read-after-write", "4", "--format", "json")
        assert applied.exit_code == 0, applied.output
        summary = json.loads(applied.stdout)
        assert summary["converged"] and summary["totals"]["created"] == 4
        assert {outcome["verification"] for outcome in summary["outcomes"]} == {"verified"}
        # Listings started before the lag was over missed the new objects: the lag seen is about the tenant's.
        assert 0.5 <= summary["lag_s"] <= summary["read_after_write_s"]
        # Apply waited until the tenant showed every write: the plan right after it has nothing to do.
        replanned = cli(sandbox, "plan", path, "--detailed-exitcode")
        assert replanned.exit_code == 0, replanned.output


def test_writes_the_tenant_does_not_show_in_time_are_not_yet_verified_with_their_own_exit_code(
    tmp_path: Path,
) -> None:
    path = manifest(tmp_path, SMALL)
    with variant_sandbox(tmp_path, list_lag=30.0) as sandbox:
        applied = cli(sandbox, "apply", path, "--read-after-write", "0.3")
        assert applied.exit_code == 5, applied.output
        assert "Applied, but the tenant differs" in applied.stdout
        assert "Written, not yet verified" in applied.stdout
        assert "not yet verified: the tenant does not list it after" in applied.stdout
        assert "Created:" not in applied.stdout  # never reported as plainly done
        verified = [entry for entry in read_journal(path.parent / "journal.jsonl") if entry["event"] == "verify"]
        assert {entry["outcome"] for entry in verified} == {"unverified"} and len(verified) == 4
        sandbox.set_options(list_lag=0)
        assert live_names(sandbox) == DECLARED
        assert cli(sandbox, "plan", path, "--detailed-exitcode").exit_code == 0


def test_a_lost_create_the_lagging_tenant_does_not_show_is_unknown_and_never_sent_again(tmp_path: Path) -> None:
    path = manifest(tmp_path, SMALL)
    with variant_sandbox(tmp_path, list_lag=30.0) as sandbox:
        sandbox.set_faults(lost_answer_rate=1.0, seed=3)
        applied = cli(sandbox, "apply", path, "--read-after-write", "0.3", "--format", "json")
        summary = json.loads(applied.stdout)
        assert applied.exit_code == 1, applied.output
        status = {outcome["address"]: outcome["status"] for outcome in summary["outcomes"]}
        # Both creates without dependencies were stored, their answers lost, and the lists do not show them yet.
        assert status == {
            "authentications/agent-basic": "unknown",
            "clientApplications/spare-desk": "unknown",
            "clientApplications/agent-desk": "skipped",
            "orchestrations/agents-only": "skipped",
        }
        posts = [
            entry for entry in sandbox.requests() if entry["method"] == "POST" and entry["path"].startswith(BASE_PATH)
        ]
        assert len(posts) == 2, posts  # each sent once: a second send could only make a copy
        sandbox.clear_faults()
        # Once the tenant shows them, the next run adopts them (identical, by name) and creates what depended on them.
        sandbox.set_options(list_lag=0)
        again = cli(sandbox, "apply", path, "--format", "json")
        assert again.exit_code == 0, again.output
        created = {outcome["address"] for outcome in json.loads(again.stdout)["outcomes"]}
        assert created == {"clientApplications/agent-desk", "orchestrations/agents-only"}
        assert live_names(sandbox) == DECLARED  # no duplicate anywhere


def test_updates_and_deletes_are_confirmed_by_the_listing_and_the_next_plan_is_empty(tmp_path: Path) -> None:
    path = manifest(tmp_path, SMALL)
    with variant_sandbox(tmp_path) as sandbox:
        assert cli(sandbox, "apply", path).exit_code == 0
        path.write_text(UPDATED)
        assert cli(sandbox, "apply", path).exit_code == 0
        path.write_text(PRUNED)
        pruned = cli(sandbox, "apply", path, "--prune", "--format", "json")
        assert pruned.exit_code == 0, pruned.output
        outcomes = json.loads(pruned.stdout)["outcomes"]
        assert [(o["action"], o["verification"]) for o in outcomes] == [("delete", "verified")]
        assert cli(sandbox, "plan", path, "--prune", "--detailed-exitcode").exit_code == 0
        checked = [entry for entry in read_journal(path.parent / "journal.jsonl") if entry["event"] == "verify"]
        assert {entry["action"] for entry in checked} == {"create", "update", "delete"}
        assert {entry["outcome"] for entry in checked} == {"verified"}

"""Applies that overlap: no duplicates, shared objects once, conflicts reported and never overwritten."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from egain_provision.apply import ApplyResult, Executor, new_run_id
from egain_provision.context import RunContext
from egain_provision.journal import Journal
from egain_provision.planner import PlanOptions
from egain_provision.sandbox.config import TOKEN_PATH
from egain_provision.sandbox.testing import ServedSandbox
from egain_provision.targets import url_target
from egain_provision.workflow import compute_plan, load_valid_manifests
from tests.resilience.resilience_support import (
    ApplyProcess,
    apply_in_process,
    applying,
    assert_done_or_reported_conflict,
    assert_journal_readable,
    assert_no_secrets_in,
    declared_names,
    generated_tenant,
    live_names,
    open_tenant,
    plan_in_process,
    served,
    team_manifest,
    write_document,
)
from tests.support import FULL_SETUP, SECRET_ENV, target_env, write_manifest

SETUPS = 5  # 40 objects per manifest
# Some latency keeps both runs in flight together for most of their work.
LATENCY = {"latency_ms": 5, "latency_jitter_ms": 5}
# FULL_SETUP up to (not including) its orchestration and account.
WITHOUT_ORCHESTRATION = FULL_SETUP[: FULL_SETUP.index("orchestrations:")]


class StartTogether:
    """ASGI middleware holding the first `parties` token requests until all of them have arrived.

    A child process needs about half a second (more under load) to start, import and load its
    manifests before its first request, and apply converges this tenant in a few hundred ms: started
    at once, one run could plan after the other had finished and find nothing to do. Every run asks
    for its token first, so they all begin reading the tenant at the same moment instead."""

    def __init__(self, app: ASGIApp, parties: int) -> None:
        self.app = app
        self.waiting = parties
        self.all_arrived = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == TOKEN_PATH and self.waiting > 0:
            self.waiting -= 1
            if self.waiting == 0:
                self.all_arrived.set()
            await self.all_arrived.wait()
        await self.app(scope, receive, send)


@contextmanager
def served_together(db_path: Path, parties: int, **settings: Any) -> Iterator[ServedSandbox]:
    """`served(...)`, where the first `parties` token requests are answered together (`StartTogether`)."""
    sandbox = served(db_path, **settings)
    config = sandbox._server.config  # the app is wrapped before the server loads it
    assert isinstance(config.app, Starlette)
    config.app = StartTogether(config.app, parties)
    with sandbox:
        yield sandbox


def run_together(
    sandbox: ServedSandbox, runs: list[tuple[Path, Path]], journal: Path, *options: str
) -> list[ApplyProcess]:
    """Start one child-process apply per (manifest, workdir) at once, all on one journal; wait for all.

    The sandbox comes from `served_together(..., len(runs))`, so the runs also begin planning at once."""
    with applying() as processes:
        for manifest, workdir in runs:
            processes.append(ApplyProcess(sandbox, manifest, journal, workdir, *options))
        for process in processes:
            process.wait()
    return processes


def union_of_names(*documents: dict[str, Any]) -> dict[str, list[str]]:
    names: dict[str, set[str]] = {}
    for document in documents:
        for kind, keys in declared_names(document).items():
            names.setdefault(kind, set()).update(keys)
    return {kind: sorted(keys) for kind, keys in names.items()}


def assert_after_concurrent_runs(
    sandbox: ServedSandbox, runs: list[ApplyProcess], documents: list[dict[str, Any]]
) -> None:
    """Each run succeeded or reported what failed; no name is taken twice; a run that succeeded left
    every object it declares in the tenant."""
    for run in runs:
        assert_done_or_reported_conflict(run.process.returncode, run.stdout, run.stderr)
    with open_tenant(sandbox) as tenant:
        live = live_names(tenant)
    assert {kind: sorted(k for k, n in Counter(keys).items() if n > 1) for kind, keys in live.items()} == {
        kind: [] for kind in live
    }
    for run, document in zip(runs, documents, strict=True):
        if run.process.returncode == 0:
            for kind, keys in declared_names(document).items():
                assert set(keys) <= set(live[kind]), (kind, run.output)


def test_two_applies_of_the_same_manifests_at_once_leave_no_duplicates_and_converge(tmp_path: Path) -> None:
    document = generated_tenant(SETUPS)
    manifest = write_document(tmp_path / "tenant.yaml", document)
    journal = tmp_path / "journal.jsonl"
    with served_together(tmp_path / "sandbox.db", 2, **LATENCY) as sandbox:
        runs = run_together(sandbox, [(manifest, tmp_path / "first"), (manifest, tmp_path / "second")], journal)
        assert_after_concurrent_runs(sandbox, runs, [document, document])
        again = apply_in_process(sandbox, manifest, journal)
        assert again.exit_code == 0, again.output
        with open_tenant(sandbox) as tenant:
            assert live_names(tenant) == declared_names(document)
        replanned = plan_in_process(sandbox, manifest)
        assert replanned.exit_code == 0, replanned.output
    entries = assert_journal_readable(journal)
    assert len({entry["run"] for entry in entries}) >= 2
    texts = [text for run in runs for text in (run.stdout, run.stderr)]
    assert_no_secrets_in([*texts, again.output, replanned.output, journal.read_text()])


def test_two_applies_sharing_an_authentication_and_channel_create_them_once_and_all_their_own_objects(
    tmp_path: Path,
) -> None:
    red, blue = team_manifest("red", SETUPS), team_manifest("blue", SETUPS)
    manifests = [write_document(tmp_path / team / "tenant.yaml", doc) for team, doc in (("red", red), ("blue", blue))]
    journal = tmp_path / "journal.jsonl"
    with served_together(tmp_path / "sandbox.db", 2, **LATENCY) as sandbox:
        runs = run_together(sandbox, [(manifests[0], tmp_path / "red"), (manifests[1], tmp_path / "blue")], journal)
        assert_after_concurrent_runs(sandbox, runs, [red, blue])
        for manifest in manifests:
            again = apply_in_process(sandbox, manifest, journal)
            assert again.exit_code == 0, again.output
        with open_tenant(sandbox) as tenant:
            assert live_names(tenant) == union_of_names(red, blue)
        for manifest in manifests:
            replanned = plan_in_process(sandbox, manifest)
            assert replanned.exit_code == 0, replanned.output
    assert_journal_readable(journal)
    texts = [text for run in runs for text in (run.stdout, run.stderr)]
    assert_no_secrets_in([*texts, again.output, replanned.output, journal.read_text()])


# --- two runs planned against the same tenant, executed one after the other (deterministic overlap) ----


async def plan_both_then_apply_in_turn(
    sandbox: ServedSandbox, manifests: list[Path], journal: Path
) -> list[ApplyResult]:
    """Plan every manifest first (each run sees the same tenant), then execute the plans one by one."""
    target = url_target(sandbox.base_url, {key: value for key, value in target_env(sandbox).items() if value})
    plans = []
    for manifest in manifests:
        manifest_set = load_valid_manifests([str(manifest)], {}, environ=SECRET_ENV)
        plans.append(await compute_plan(manifest_set, RunContext(target, parallelism=4), PlanOptions()))
    results = []
    for plan in plans:
        run_journal = Journal(journal, run_id=new_run_id(), target=target.label)
        try:
            async with target.client() as client:
                results.append(await Executor(client, plan, journal=run_journal).run())
        finally:
            run_journal.close()
    return results


def statuses(result: ApplyResult) -> dict[str, str]:
    return {outcome.action.address: outcome.status for outcome in result.outcomes}


def messages(results: list[ApplyResult]) -> list[str]:
    return [outcome.message or "" for result in results for outcome in result.outcomes]


def arrange(sandbox: ServedSandbox, tmp_path: Path, manifest_text: str) -> None:
    arranged = apply_in_process(
        sandbox, write_manifest(tmp_path / "arranged", manifest_text), tmp_path / "arranged.jsonl"
    )
    assert arranged.exit_code == 0, arranged.output


def test_a_second_run_planned_before_the_first_applied_reports_its_update_as_a_conflict_not_an_overwrite(
    tmp_path: Path,
) -> None:
    journal = tmp_path / "journal.jsonl"
    first = write_manifest(tmp_path / "first", FULL_SETUP.replace("displayName: Web chat", "displayName: First"))
    second = write_manifest(tmp_path / "second", FULL_SETUP.replace("displayName: Web chat", "displayName: Second"))
    with served(tmp_path / "sandbox.db") as sandbox:
        arrange(sandbox, tmp_path, FULL_SETUP)
        results = asyncio.run(plan_both_then_apply_in_turn(sandbox, [first, second], journal))
        with open_tenant(sandbox) as tenant:
            display_name = tenant.find("channels", "custom.web")["displayName"]
    assert statuses(results[0]) == {"channels/custom.web": "done"}
    assert statuses(results[1]) == {"channels/custom.web": "conflict"}
    assert results[1].outcomes[0].message is not None
    assert results[1].outcomes[0].message.startswith("changed since plan")
    assert display_name == "First"
    assert_no_secrets_in([*messages(results), journal.read_text()])


def test_two_runs_planned_together_create_an_orchestration_once(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    manifest = write_manifest(tmp_path / "both")
    with served(tmp_path / "sandbox.db") as sandbox:
        arrange(sandbox, tmp_path, WITHOUT_ORCHESTRATION)
        results = asyncio.run(plan_both_then_apply_in_turn(sandbox, [manifest, manifest], journal))
        with open_tenant(sandbox) as tenant:
            orchestrations = tenant.list("orchestrations")
            account = tenant.find("accounts", "order-account")
    expected = {"orchestrations/bot-first": "done", "accounts/order-account": "done"}
    assert [statuses(result) for result in results] == [expected, expected]
    assert [o["name"] for o in orchestrations] == ["bot-first"]
    assert account["chatConfigurations"]["orchestration"] == {"id": orchestrations[0]["id"]}
    assert {
        outcome.id for result in results for outcome in result.outcomes if outcome.action.kind == "orchestrations"
    } == {orchestrations[0]["id"]}
    assert_no_secrets_in([*messages(results), journal.read_text()])


def test_an_orchestration_created_at_the_same_time_with_other_content_is_a_conflict_and_theirs_is_kept(
    tmp_path: Path,
) -> None:
    journal = tmp_path / "journal.jsonl"
    ours = write_manifest(tmp_path / "ours")
    theirs = write_manifest(
        tmp_path / "theirs", FULL_SETUP.replace("forwardTranscript: true", "forwardTranscript: false")
    )
    with served(tmp_path / "sandbox.db") as sandbox:
        arrange(sandbox, tmp_path, WITHOUT_ORCHESTRATION)
        results = asyncio.run(plan_both_then_apply_in_turn(sandbox, [ours, theirs], journal))
        with open_tenant(sandbox) as tenant:
            orchestrations = tenant.list("orchestrations")
            accounts = tenant.list("accounts")
    assert statuses(results[0]) == {"orchestrations/bot-first": "done", "accounts/order-account": "done"}
    assert statuses(results[1]) == {"orchestrations/bot-first": "conflict", "accounts/order-account": "skipped"}
    assert len(orchestrations) == 1
    assert orchestrations[0]["applications"]["botConfiguration"]["forwardTranscript"] is True
    assert [a["chatConfigurations"]["orchestration"]["id"] for a in accounts] == [orchestrations[0]["id"]]
    assert_no_secrets_in([*messages(results), journal.read_text()])


def test_two_runs_creating_one_channel_with_different_content_never_both_win(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    teams = ("red", "blue")
    manifests = [
        write_manifest(tmp_path / team, FULL_SETUP.replace("displayName: Web chat", f"displayName: {team}"))
        for team in teams
    ]
    with served_together(tmp_path / "sandbox.db", 2, **LATENCY) as sandbox:
        runs = run_together(sandbox, [(m, m.parent / "run") for m in manifests], journal, "--format", "json")
        with open_tenant(sandbox) as tenant:
            channels = tenant.list("channels")
    summaries = [json.loads(run.stdout) for run in runs]
    for run, summary in zip(runs, summaries, strict=True):
        assert run.process.returncode == (0 if summary["ok"] else 1), run.output
    outcomes = {
        team: {o["address"]: o for o in summary["outcomes"]} for team, summary in zip(teams, summaries, strict=True)
    }
    channel = {team: outcomes[team]["channels/custom.web"] for team in teams}
    writes = {team: o["action"] for team, o in channel.items() if o["status"] == "done"}
    # Two creates cannot both succeed. A run that planned after the other's create updates it instead
    # (it saw that channel), and is then the last writer.
    assert sorted(writes.values()) in (["create"], ["create", "update"]), channel
    last_writer = next((team for team, action in writes.items() if action == "update"), None) or next(iter(writes))
    assert [(c["type"], c["displayName"]) for c in channels] == [("custom.web", last_writer)]
    for team in set(teams) - set(writes):
        # The losing create is a conflict, and what needs that channel was not applied.
        assert (channel[team]["action"], channel[team]["status"]) == ("create", "conflict")
        assert outcomes[team]["accounts/order-account"]["status"] == "skipped"
    assert_no_secrets_in([text for run in runs for text in (run.stdout, run.stderr)] + [journal.read_text()])

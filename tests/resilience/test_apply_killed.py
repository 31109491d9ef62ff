"""An apply killed with SIGKILL at random points: the next apply finishes the job, the journal stays readable."""

from __future__ import annotations

import random
import signal
from pathlib import Path

from egain_provision.journal import read_journal
from tests.resilience.resilience_support import (
    ApplyProcess,
    apply_in_process,
    applying,
    assert_journal_readable,
    assert_no_secrets_in,
    declared_field,
    declared_names,
    generated_tenant,
    journal_lines,
    live_field,
    live_names,
    open_tenant,
    plan_in_process,
    revised,
    served,
    wait_until,
    write_document,
)
from tests.support import FULL_SETUP_ORDER, write_manifest

SETUPS = 6  # 48 objects: a create or update run of 48 actions
ITERATIONS = 10
# Slow enough requests (and few at a time) that a kill lands in the middle of the run.
SLOW = {"latency_ms": 30, "latency_jitter_ms": 10}
# The apply after the kill runs on a quicker sandbox (still with jitter, so completions interleave).
QUICK = {"latency_ms": 4, "latency_jitter_ms": 4}
KILLED_OPTIONS = ("--parallelism", "3")
# Kill points are journal line counts up to this share of a run's lines (intent + outcome per action),
# so there is always work left when the kill lands.
KILL_WITHIN = 0.8


def kill_when_journal_has(run: ApplyProcess, journal: Path, lines: int) -> None:
    """SIGKILL the run as soon as the journal holds `lines` lines; it must not have ended before."""
    wait_until(
        lambda: journal_lines(journal) >= lines or run.process.poll() is not None,
        timeout=60,
        what=f"{lines} journal lines",
    )
    run.process.send_signal(signal.SIGKILL)
    assert run.wait() == -signal.SIGKILL, f"the run ended before the kill:\n{run.output}"


def test_an_apply_killed_at_random_points_is_finished_by_the_next_apply_without_duplicates(tmp_path: Path) -> None:
    rng = random.Random(20261124)
    documents = [generated_tenant(SETUPS), revised(generated_tenant(SETUPS))]
    manifests = [write_document(tmp_path / f"v{n}" / "tenant.yaml", doc) for n, doc in enumerate(documents)]
    actions = sum(len(declared) for declared in declared_names(documents[0]).values())
    database, journal = tmp_path / "sandbox.db", tmp_path / "journal.jsonl"
    texts: list[str] = []
    live_version: int | None = None
    for iteration in range(ITERATIONS):
        # Even iterations kill a run of creates (from an empty tenant), odd ones a run of updates.
        from_empty = live_version is None or iteration % 2 == 0
        version = rng.randrange(2) if from_empty else 1 - (live_version or 0)
        kill_at = rng.randint(0, int(KILL_WITHIN * 2 * actions))
        with served(database, seed=iteration, **SLOW) as sandbox:
            if from_empty:
                sandbox.reset()
            lines_before = journal_lines(journal)
            with applying() as runs:
                run = ApplyProcess(sandbox, manifests[version], journal, tmp_path / f"run{iteration}", *KILLED_OPTIONS)
                runs.append(run)
                kill_when_journal_has(run, journal, lines_before + kill_at)
            texts += [run.stdout, run.stderr]
        # The sandbox stopped only once it had finished what the killed run still had in flight.
        with served(database, **QUICK) as sandbox:
            finished = apply_in_process(sandbox, manifests[version], journal, "--parallelism", "6")
            assert finished.exit_code == 0, f"iteration {iteration}, killed at {kill_at}:\n{finished.output}"
            with open_tenant(sandbox) as tenant:
                assert live_names(tenant) == declared_names(documents[version])
                assert live_field(tenant, "description") == declared_field(documents[version], "description")
            replanned = plan_in_process(sandbox, manifests[version])
            assert replanned.exit_code == 0, replanned.output
            texts += [finished.stdout, finished.stderr, replanned.output]
        # What the killed run journaled before the kill is all there, and every line is whole.
        assert len(assert_journal_readable(journal)) >= lines_before + kill_at
        live_version = version
    texts.append(journal.read_text())
    assert_no_secrets_in(texts)


def test_a_torn_last_journal_line_does_not_swallow_the_next_runs_first_entry(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    # What a run killed in the middle of a write leaves behind: a line without its end.
    journal.write_bytes(b'{"time": "2026-11-24T05:14:47.000Z", "run": "0123456789ab", "target": "http://127.0')
    with served(tmp_path / "sandbox.db") as sandbox:
        result = apply_in_process(sandbox, write_manifest(tmp_path), journal)
    assert result.exit_code == 0, result.output
    events = [(entry["event"], entry["natural_key"]) for entry in read_journal(journal)]
    assert sorted(events) == sorted(
        (event, name) for _, _, name in FULL_SETUP_ORDER for event in ("intent", "create", "verify")
    )
    assert_no_secrets_in([result.stdout, result.stderr, journal.read_text()])

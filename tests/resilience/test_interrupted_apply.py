"""Ctrl-C or SIGTERM during apply: nothing new starts, what is in flight finishes, the summary is exact, exit 130."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from egain_provision.journal import read_journal
from tests.resilience.resilience_support import (
    ApplyProcess,
    applying,
    generated_tenant,
    open_tenant,
    served,
    write_document,
)

SETUPS = 5  # 40 objects, at 100 ms a request: several seconds of work at parallelism 2


def wait_for_outcomes(journal: Path, count: int, process: ApplyProcess) -> None:
    """Until the journal holds `count` outcomes (bounded: the child's own run takes seconds)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.process.poll() is None:
        if journal.exists() and sum(1 for e in read_journal(journal) if e.get("outcome") == "done") >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"apply never got {count} outcomes:\n{process.output}")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_one_interrupt_finishes_what_is_in_flight_and_reports_exactly(tmp_path: Path, signum: int) -> None:
    manifest = write_document(tmp_path / "tenant.yaml", generated_tenant(SETUPS))
    journal = tmp_path / "journal.jsonl"
    with served(tmp_path / "sandbox.db", latency_ms=100) as sandbox, applying() as runs:
        run = ApplyProcess(sandbox, manifest, journal, tmp_path / "run", "--parallelism", "2")
        runs.append(run)
        wait_for_outcomes(journal, 3, run)
        run.process.send_signal(signum)
        code = run.wait()
        with open_tenant(sandbox) as tenant:
            live = sum(tenant.counts().values())
    assert code == 130, run.output
    assert "Apply interrupted" in run.stdout
    assert "not started: the run was interrupted" in run.stdout
    assert "Interrupted: no more changes are started" in run.stderr
    assert "internal error" not in run.output and "Traceback" not in run.output
    entries = read_journal(journal)
    created = [e for e in entries if e["event"] == "create" and e["outcome"] == "done"]
    assert len(created) == live  # every object the tenant holds is one the summary and journal name
    assert f"{live} created" in run.stdout
    intents = {e["natural_key"] for e in entries if e["event"] == "intent"}
    assert {e["natural_key"] for e in created} == intents  # whatever was started, finished


def test_a_second_interrupt_abandons_what_is_in_flight_as_unknown(tmp_path: Path) -> None:
    manifest = write_document(tmp_path / "tenant.yaml", generated_tenant(SETUPS))
    journal = tmp_path / "journal.jsonl"
    with served(tmp_path / "sandbox.db", latency_ms=1500) as sandbox, applying() as runs:
        run = ApplyProcess(sandbox, manifest, journal, tmp_path / "run", "--parallelism", "2")
        runs.append(run)
        wait_for_outcomes(journal, 2, run)
        run.process.send_signal(signal.SIGINT)
        # Signals of one kind are not queued: send the second once the first was handled.
        deadline = time.monotonic() + 30
        while "Interrupted: no more changes" not in run.stderr and time.monotonic() < deadline:
            time.sleep(0.05)
        run.process.send_signal(signal.SIGINT)
        code = run.wait()
    assert code == 130, run.output
    assert "abandoned in flight" in run.stdout
    assert "with an unknown outcome" in run.stdout
    assert "internal error" not in run.output and "Traceback" not in run.output

"""The suite's report: machine, date, commit, parameters and the tables, as Markdown."""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.measure import Run

REPOSITORY = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Row:
    """One stage at one size. `exec_s` is the executor's own time (apply's JSON summary)."""

    stage: str
    objects: int
    actions: int | None
    requests: int | None
    run: Run
    bound_s: float | None
    exec_s: float | None = None
    exec_bound_s: float | None = None


@dataclass(frozen=True)
class SerialRow:
    """The same apply from empty at the suite's parallelism and at 1."""

    objects: int
    parallel: Row
    serial: Row


def machine() -> str:
    """CPU model, cores and memory (from /proc), system and Python."""
    model = _proc_field("/proc/cpuinfo", "model name") or "unknown CPU"
    mem_total = _proc_field("/proc/meminfo", "MemTotal")
    memory = f"{int(mem_total.split()[0]) / 1024 / 1024:.1f} GiB memory" if mem_total else "unknown memory"
    system = f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    return f"{model}, {len(os.sched_getaffinity(0))} cores, {memory}; {system}"


def _proc_field(path: str, name: str) -> str | None:
    try:
        text = Path(path).read_text()
    except OSError:
        return None
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == name:
            return value.strip()
    return None


def commit() -> str:
    """The short commit, noting uncommitted changes to the tool (other people's work in progress shows)."""

    def git(*arguments: str) -> str:
        result = subprocess.run(["git", *arguments], cwd=REPOSITORY, capture_output=True, text=True, check=False)
        return result.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "egain_provision")
    return head + (" (with uncommitted changes under egain_provision/)" if dirty else "")


def render_report(
    rows: Sequence[Row],
    serial: Sequence[SerialRow],
    notes: Sequence[str],
    parameters: Mapping[str, str],
    elapsed_s: float,
) -> str:
    """The whole report."""
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m benchmarks`); numbers from one run on one machine.",
        "",
        f"- Machine: {machine()}",
        f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Commit: {commit()}",
        *(f"- {name.capitalize()}: {value}" for name, value in parameters.items()),
        f"- Suite wall time: {elapsed_s:.0f} s",
        "",
        "## Stages",
        "",
        "| objects | stage | actions | HTTP requests | requests / action | wall s | CPU s | peak RSS MiB | bound s"
        " | wall / bound | executor s | executor / bound |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        run = row.run
        lines.append(
            f"| {row.objects or ''} | {row.stage} | {_int(row.actions)} | {_int(row.requests)}"
            f" | {_per_action(row.requests, row.actions)} | {run.wall_s:.2f}"
            f" | {run.cpu_s:.2f} | {run.peak_rss_mib:.0f} | {_seconds(row.bound_s)}"
            f" | {_ratio(run.wall_s, row.bound_s)} | {_seconds(row.exec_s)} | {_ratio(row.exec_s, row.exec_bound_s)} |"
        )
    lines += ["", "## Parallel apply against a naive script (parallelism 1)", ""]
    if serial:
        lines += [
            "| objects | parallel wall s | parallelism 1 wall s | speed-up | parallel executor s"
            " | parallelism 1 executor s | executor speed-up |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for item in serial:
            p, s = item.parallel, item.serial
            lines.append(
                f"| {item.objects} | {p.run.wall_s:.2f} | {s.run.wall_s:.2f} | {_times(s.run.wall_s, p.run.wall_s)}"
                f" | {_seconds(p.exec_s)} | {_seconds(s.exec_s)} | {_times(s.exec_s, p.exec_s)} |"
            )
    else:
        lines.append("Not measured.")
    lines += [""]
    lines += [f"Note: {note}" for note in notes]
    lines += [
        "",
        "## How to read it",
        "",
        "- Every stage is one `python -m egain_provision.cli` process against the sandbox served by another"
        " process; wall time, CPU time (user + system) and peak RSS are that CLI process's own (`os.wait4`),"
        " so they include the interpreter start-up and imports shown in the first row.",
        "- HTTP requests: the sandbox's request log, cleared before the stage (API requests plus one token request)."
        " Requests / action: those requests over the actions applied, the plan's reads, the lookups and the"
        " verification reads after the writes included (target for apply from empty: at most 1.05).",
        "- Bound, plan: the list pages fetched in parallel rounds (every kind's first page at once, then every"
        " remaining page at once, at most `parallelism` in flight), times the latency.",
        "- Bound, apply/update/prune: those read rounds (the CLI reads the tenant before it plans) plus"
        " `max(critical path, ceil(actions / parallelism))` rounds, times the latency. The executor columns"
        " compare the executor's own time (from `apply --format json`) with the second term alone.",
        "- Update 10%: every tenth object's description changed. Prune 10%: every tenth setup (8 objects)"
        " removed from the manifest, applied with `--prune`.",
        "",
    ]
    return "\n".join(lines)


def _int(value: int | None) -> str:
    return "" if value is None else str(value)


def _per_action(requests: int | None, actions: int | None) -> str:
    return "" if requests is None or not actions else f"{requests / actions:.3f}"


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _ratio(value: float | None, bound: float | None) -> str:
    return "" if value is None or not bound else f"{value / bound:.2f}"


def _times(slow: float | None, fast: float | None) -> str:
    return "" if slow is None or not fast else f"{slow / fast:.1f}x"

"""Measuring one CLI stage, and the latency bounds it is compared with.

A stage runs as its own process so its CPU time and peak memory are the tool's alone: the
sandbox serves from another process, and `os.wait4` reports the child's resource usage.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.bench_apply import critical_path
from egain_provision.listing import ASKED_PAGE_SIZE as MAX_PAGE_SIZE
from egain_provision.plan import Plan


@dataclass(frozen=True)
class Run:
    """What one CLI process cost: wall and CPU seconds, peak resident memory, exit code, output."""

    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    exit_code: int
    stdout: str
    stderr: str


def run_cli(arguments: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> Run:
    """`python -m egain_provision.cli ARGUMENTS` in `cwd`; output goes to files so no pipe can stall it."""
    out_path, err_path = cwd / "stage.stdout", cwd / "stage.stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "egain_provision.cli", *arguments], stdout=out, stderr=err, env=dict(env), cwd=cwd
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return Run(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mib=usage.ru_maxrss / 1024,  # KiB on Linux
        exit_code=process.returncode,
        stdout=out_path.read_text("utf-8", "replace"),
        stderr=err_path.read_text("utf-8", "replace"),
    )


def read_rounds(objects_per_kind: Sequence[int], parallelism: int) -> int:
    """Latency rounds to list every kind: all first pages at once, then all remaining pages at once."""
    pages = [max(1, math.ceil(count / MAX_PAGE_SIZE)) for count in objects_per_kind]
    remaining = sum(count - 1 for count in pages)
    return math.ceil(len(pages) / parallelism) + math.ceil(remaining / parallelism)


def execution_rounds(plan: Plan, parallelism: int) -> int:
    """Latency rounds no scheduler can beat: the longest dependency chain, or the actions over the limit."""
    return max(critical_path(plan), math.ceil(len(plan.actions) / parallelism))

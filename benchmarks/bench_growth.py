"""Growth: how apply from empty and the plan of a converged tenant scale from 600 to 30,000 objects.

Against a sandbox served in its own process with 20 ms added latency, parallelism 10, each stage a
CLI process (as in `make bench`): apply from empty at 600, 3,000 and 10,000 objects (its requests
per action, the re-reads that verify every write included), then the plan of that converged tenant;
and the plan of a converged 30,000-object tenant, seeded straight into the sandbox's database
(benchmarks/seed.py: 30,000 creates through HTTP would take most of ten minutes). The requests come
from the sandbox's request log, the token request included; the load is the 1-minute load average
as each stage ended (2 cores shared with other work: wall times move with it).

    .venv/bin/python -m benchmarks.bench_growth [--latency-ms 20] [--parallelism 10]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.measure import Run, run_cli
from benchmarks.seed import seed
from benchmarks.tenant import BENCH_ENV, OBJECTS_PER_SETUP, write_tenant
from egain_provision.sandbox.testing import SubprocessSandbox, served_subprocess

APPLY_SIZES = (600, 3000, 10000)
PLAN_SIZES = (600, 3000, 10000, 30000)
REQUESTS_PER_ACTION_GOAL = 1.03
PLAN_GROWTH_GOAL = 3.0  # the converged plan of 30,000 objects against that of 10,000


@dataclass(frozen=True)
class GrowthRow:
    """One CLI stage at one size."""

    stage: str  # "apply from empty" or "plan (converged)"
    objects: int
    actions: int | None
    requests: int
    wall_s: float
    cpu_s: float
    load: float
    seeded: bool = False

    @property
    def per_action(self) -> float | None:
        return self.requests / self.actions if self.actions else None


class Served:
    """One sandbox process with latency, and the CLI environment that reaches it."""

    def __init__(self, sandbox: SubprocessSandbox, folder: Path, parallelism: int) -> None:
        self.sandbox = sandbox
        self.folder = folder
        self.parallelism = parallelism
        env = {key: value for key, value in os.environ.items() if not key.startswith("EGAIN_")}
        self.env = (
            env
            | BENCH_ENV
            | {
                "EGAIN_TOKEN_URL": sandbox.token_url,
                "EGAIN_CLIENT_ID": sandbox.client_id,
                "EGAIN_CLIENT_SECRET": sandbox.client_secret,
                "NO_COLOR": "1",
            }
        )

    def stage(self, command: str, manifest: Path, *extra: str) -> tuple[Run, int]:
        """One CLI stage on a cleared request log: its measurements and the requests the sandbox saw."""
        httpx.delete(f"{self.sandbox.url}/_sandbox/requests", timeout=60).raise_for_status()
        arguments = [command, str(manifest), "--target", self.sandbox.base_url, "--no-color"]
        run = run_cli([*arguments, "--parallelism", str(self.parallelism), *extra], env=self.env, cwd=self.folder)
        log = httpx.get(f"{self.sandbox.url}/_sandbox/requests", timeout=60)
        log.raise_for_status()
        return run, len(log.json())

    def apply(self, manifest: Path, objects: int) -> GrowthRow:
        run, requests = self.stage("apply", manifest, "--auto-approve", "--format", "json")
        summary = json.loads(run.stdout) if run.exit_code == 0 else {}
        totals = summary.get("totals", {})
        if not summary.get("ok") or totals.get("created") != objects or totals.get("unverified"):
            tail = "\n".join((run.stderr or run.stdout).splitlines()[-20:])
            raise SystemExit(f"apply from empty of {objects} objects: exit {run.exit_code}, {totals}\n{tail}")
        return self.row("apply from empty", objects, objects, requests, run)

    def plan(self, manifest: Path, objects: int, *, seeded: bool = False) -> GrowthRow:
        run, requests = self.stage("plan", manifest, "--detailed-exitcode")
        if run.exit_code != 0:  # 0: nothing to change, the tenant is converged
            tail = "\n".join((run.stderr or run.stdout).splitlines()[-20:])
            raise SystemExit(f"plan of the converged {objects}-object tenant exited {run.exit_code}:\n{tail}")
        return self.row("plan (converged)", objects, None, requests, run, seeded=seeded)

    @staticmethod
    def row(
        stage: str, objects: int, actions: int | None, requests: int, run: Run, *, seeded: bool = False
    ) -> GrowthRow:
        row = GrowthRow(stage, objects, actions, requests, run.wall_s, run.cpu_s, os.getloadavg()[0], seeded)
        per_action = f", {row.per_action:.4f} requests per action" if row.per_action else ""
        print(
            f"  {stage} {objects}: {run.wall_s:.2f} s wall, {run.cpu_s:.2f} s CPU, {requests} requests{per_action}, "
            f"load {row.load:.2f}",
            flush=True,
        )
        return row


def measure(
    latency_ms: float = 20.0,
    parallelism: int = 10,
    apply_sizes: Sequence[int] = APPLY_SIZES,
    plan_sizes: Sequence[int] = PLAN_SIZES,
) -> list[GrowthRow]:
    """Apply from empty at each of `apply_sizes` (then plan it converged), and plan a seeded tenant at the
    other `plan_sizes`; every stage measured, on a fresh sandbox per size."""
    rows: list[GrowthRow] = []
    started = time.monotonic()
    for objects in sorted(set(apply_sizes) | set(plan_sizes)):
        setups = max(1, objects // OBJECTS_PER_SETUP)
        count = setups * OBJECTS_PER_SETUP
        with tempfile.TemporaryDirectory(prefix="egain-bench-growth-") as name:
            folder = Path(name)
            manifest = write_tenant(folder, setups)
            seeded = objects not in apply_sizes
            if seeded:
                print(f"  seeding {count} objects into the sandbox database ...", flush=True)
                seed(folder / "sandbox.db", setups)
            with served_subprocess(str(folder / "sandbox.db"), "--latency-ms", f"{latency_ms:g}") as sandbox:
                served = Served(sandbox, folder, parallelism)
                if not seeded:
                    rows.append(served.apply(manifest, count))
                if objects in plan_sizes:
                    rows.append(served.plan(manifest, count, seeded=seeded))
    print(f"  growth measured in {time.monotonic() - started:.0f} s", flush=True)
    return rows


def render(rows: Sequence[GrowthRow], latency_ms: float = 20.0, parallelism: int = 10) -> str:
    """The section of results.md."""
    lines = [
        "## Growth: 600 to 30,000 objects",
        "",
        f"Each stage a CLI process against a sandbox served in its own process with {latency_ms:g} ms added"
        f" latency, parallelism {parallelism}, a fresh sandbox per size (benchmarks/bench_growth.py)."
        " Requests: the sandbox's request log (the token request, the plan's reads, the writes and the"
        " re-reads that verify them). Load: the 1-minute load average as the stage ended.",
        "",
        "| stage | objects | actions | requests | requests / action | wall s | CPU s | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        actions = "" if row.actions is None else str(row.actions)
        per_action = "" if row.per_action is None else f"{row.per_action:.4f}"
        seeded = " (seeded)" if row.seeded else ""
        lines.append(
            f"| {row.stage} | {row.objects:,}{seeded} | {actions} | {row.requests:,} | {per_action}"
            f" | {row.wall_s:.2f} | {row.cpu_s:.2f} | {row.load:.2f} |"
        )
    lines += ["", *_goals(rows), ""]
    return "\n".join(lines)


def _goals(rows: Sequence[GrowthRow]) -> list[str]:
    notes = []
    applies = [row for row in rows if row.per_action is not None]
    if applies:
        worst = max(row.per_action or 0.0 for row in applies)
        met = "met" if worst <= REQUESTS_PER_ACTION_GOAL else "NOT met"
        notes.append(
            f"- Requests per action from empty: at most {worst:.4f} (goal at most {REQUESTS_PER_ACTION_GOAL}: {met});"
            " the count is `1 + kinds + actions + the pages of each kind written` (README, request economy)."
        )
    plans = {row.objects: row for row in rows if row.stage.startswith("plan")}
    largest = sorted(plans)[-2:]
    if len(largest) == 2:
        small, large = plans[largest[0]], plans[largest[1]]
        wall, cpu = large.wall_s / small.wall_s, large.cpu_s / small.cpu_s
        met = "met" if wall <= PLAN_GROWTH_GOAL else "NOT met"
        notes.append(
            f"- Converged plan, {large.objects:,} against {small.objects:,} objects: {wall:.2f}x wall, {cpu:.2f}x CPU"
            f" for {large.objects / small.objects:.0f}x the objects (goal within {PLAN_GROWTH_GOAL:g}x: {met};"
            f" load {small.load:.2f} and {large.load:.2f})."
        )
    return notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--parallelism", type=int, default=10)
    args = parser.parse_args()
    rows = measure(args.latency_ms, args.parallelism)
    print(render(rows, args.latency_ms, args.parallelism))


if __name__ == "__main__":
    main()

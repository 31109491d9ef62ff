"""The benchmark suite behind `make bench`: every CLI stage against a served sandbox with latency.

For each size (setups of 8 objects, benchmarks/tenant.py) on a fresh sandbox in its own process:
validate, plan on the empty tenant, apply from empty, plan on the converged tenant, an update of
10% of the objects (a changed description), a prune of 10% of the setups, and the apply from
empty again with --parallelism 1 (a naive script); then, once, 600 objects against a
rate-limited sandbox (benchmarks/bench_ratelimit.py: paced and unpaced, time-scaled tiers),
the CPU per request of apply's executor and of our client against a plain asyncio+httpx client
sending the same requests (benchmarks/bench_cpu.py), and the growth from 600 to 30,000 objects
(benchmarks/bench_growth.py).
First, the start-up of `--version`, `--help` and a small `validate` (benchmarks/bench_startup.py).
Each stage is a separate CLI process, so its wall time, CPU time and peak memory are the
tool's alone; the sandbox's request log, cleared before each stage, gives the HTTP requests.
The tables go to stdout and to benchmarks/results.md.

    .venv/bin/python -m benchmarks [--objects 80,600,3000] [--latency-ms 20] [--parallelism 10] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks import bench_cpu, bench_growth, bench_ratelimit, bench_startup
from benchmarks.measure import Run, execution_rounds, read_rounds, run_cli
from benchmarks.report import Row, SerialRow, render_report
from benchmarks.tenant import BENCH_ENV, OBJECTS_PER_SETUP, changed_manifests, write_tenant
from egain_provision.context import RunContext
from egain_provision.kinds import SETUP_ORDER
from egain_provision.live import read_live
from egain_provision.plan import Plan
from egain_provision.planner import PlanOptions
from egain_provision.sandbox.testing import SubprocessSandbox, served_subprocess
from egain_provision.targets import Target, url_target
from egain_provision.workflow import compute_plan, load_valid_manifests

DEFAULT_OBJECTS = (80, 600, 3000)
QUICK_OBJECTS = (80,)
RESULTS = Path(__file__).with_name("results.md")
# `make bench` should finish within about ten minutes; the serial baseline is what can overrun it.
BUDGET_S = 600.0


@dataclass
class Suite:
    """The parameters of one run and everything measured so far."""

    latency_ms: float
    parallelism: int
    started: float = field(default_factory=time.monotonic)
    rows: list[Row] = field(default_factory=list)
    serial: list[SerialRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds_per_serial_action: float | None = None

    @property
    def latency_s(self) -> float:
        return self.latency_ms / 1000

    def elapsed(self) -> float:
        return time.monotonic() - self.started


@dataclass(frozen=True)
class Tenant:
    """One size: the sandbox, the CLI environment, and the three manifests the stages apply."""

    sandbox: SubprocessSandbox
    target: Target
    env: dict[str, str]
    folder: Path
    base: Path
    updated: Path
    pruned: Path
    objects: int


# --- the sandbox --------------------------------------------------------------------------------


def admin(sandbox: SubprocessSandbox, method: str, path: str) -> httpx.Response:
    response = httpx.request(method, f"{sandbox.url}/_sandbox/{path}", timeout=60)
    response.raise_for_status()
    return response


def live_counts(tenant: Tenant) -> list[int]:
    """The live objects of every kind, in setup order."""

    async def count() -> list[int]:
        async with tenant.target.client() as client:
            live = await read_live(client, SETUP_ORDER)
        return [len(live.of_kind(kind)) for kind in SETUP_ORDER]

    return asyncio.run(count())


def expect(tenant: Tenant, manifest: Path, parallelism: int, *, prune: bool = False) -> Plan:
    """The plan the stage should execute, computed here before it runs."""
    manifest_set = load_valid_manifests([str(manifest)], {}, environ=BENCH_ENV)
    options = PlanOptions(prune=prune, max_deletes=tenant.objects)
    return asyncio.run(compute_plan(manifest_set, RunContext(tenant.target, parallelism), options))


# --- stages -----------------------------------------------------------------------------------


def stage(tenant: Tenant, name: str, arguments: Sequence[str], *, expected_exit: int = 0) -> tuple[Run, int]:
    """Run one CLI stage on a cleared request log; its measurements and the requests it sent."""
    admin(tenant.sandbox, "DELETE", "requests")
    run = run_cli(arguments, env=tenant.env, cwd=tenant.folder)
    if run.exit_code != expected_exit:
        tail = "\n".join((run.stderr or run.stdout).splitlines()[-20:])
        problem = f"exited {run.exit_code}, expected {expected_exit}"
        raise SystemExit(f"{name} at {tenant.objects} objects {problem}:\n{tail}")
    requests = len(admin(tenant.sandbox, "GET", "requests").json())
    print(f"  {name}: {run.wall_s:.2f} s wall, {run.cpu_s:.2f} s CPU, {requests} requests", flush=True)
    return run, requests


def plan_stage(suite: Suite, tenant: Tenant, name: str, *, expected_exit: int) -> None:
    counts = live_counts(tenant)
    arguments = ["plan", str(tenant.base), *_common(tenant, suite.parallelism), "--detailed-exitcode"]
    run, requests = stage(tenant, name, arguments, expected_exit=expected_exit)
    bound = read_rounds(counts, suite.parallelism) * suite.latency_s
    suite.rows.append(Row(name, tenant.objects, None, requests, run, bound))


def apply_stage(
    suite: Suite, tenant: Tenant, name: str, manifest: Path, *, parallelism: int, prune: bool = False
) -> Row:
    plan = expect(tenant, manifest, parallelism, prune=prune)
    counts = live_counts(tenant)
    arguments = ["apply", str(manifest), *_common(tenant, parallelism), "--auto-approve", "--format", "json"]
    if prune:
        arguments += ["--prune", "--max-deletes", str(tenant.objects)]
    run, requests = stage(tenant, name, arguments)
    summary = json.loads(run.stdout)
    done = sum(summary["totals"][key] for key in ("created", "updated", "deleted"))
    if not summary["ok"] or done != len(plan.actions):
        raise SystemExit(f"{name} at {tenant.objects} objects: {summary['totals']}, planned {len(plan.actions)}")
    if plan.actions:
        print(f"    {requests / len(plan.actions):.3f} requests per action (verification reads included)", flush=True)
    execution = execution_rounds(plan, parallelism) * suite.latency_s
    bound = read_rounds(counts, parallelism) * suite.latency_s + execution
    return Row(name, tenant.objects, len(plan.actions), requests, run, bound, summary["wall_time_s"], execution)


def _common(tenant: Tenant, parallelism: int) -> list[str]:
    return ["--target", tenant.sandbox.base_url, "--parallelism", str(parallelism), "--no-color"]


def measure_size(suite: Suite, objects: int) -> None:
    """Every stage at one size, on a fresh sandbox."""
    setups = max(1, objects // OBJECTS_PER_SETUP)
    with tempfile.TemporaryDirectory(prefix="egain-bench-") as name:
        folder = Path(name)
        base = write_tenant(folder, setups)
        updated, pruned = changed_manifests(folder, setups)
        options = ("--latency-ms", f"{suite.latency_ms:g}")
        with served_subprocess(str(folder / "sandbox.db"), *options) as sandbox:
            env = {key: value for key, value in os.environ.items() if not key.startswith("EGAIN_")}
            env |= BENCH_ENV | {
                "EGAIN_TOKEN_URL": sandbox.token_url,
                "EGAIN_CLIENT_ID": sandbox.client_id,
                "EGAIN_CLIENT_SECRET": sandbox.client_secret,
                "NO_COLOR": "1",
            }
            target = url_target(sandbox.base_url, env)
            tenant = Tenant(sandbox, target, env, folder, base, updated, pruned, setups * OBJECTS_PER_SETUP)
            run_stages(suite, tenant)


def run_stages(suite: Suite, tenant: Tenant) -> None:
    p = suite.parallelism
    run, requests = stage(tenant, "validate", ["validate", str(tenant.base), "--no-color"])
    suite.rows.append(Row("validate", tenant.objects, None, requests, run, None))
    plan_stage(suite, tenant, "plan (empty tenant)", expected_exit=2)
    parallel = apply_stage(suite, tenant, "apply from empty", tenant.base, parallelism=p)
    suite.rows.append(parallel)
    plan_stage(suite, tenant, "plan (converged)", expected_exit=0)
    suite.rows.append(apply_stage(suite, tenant, "update 10%", tenant.updated, parallelism=p))
    suite.rows.append(apply_stage(suite, tenant, "prune 10%", tenant.pruned, parallelism=p, prune=True))

    actions = parallel.actions or 0
    per_action = suite.seconds_per_serial_action or suite.latency_s * 1.2
    estimate = actions * per_action
    if suite.elapsed() + estimate > BUDGET_S:
        suite.notes.append(
            f"The parallelism-1 apply of {tenant.objects} objects was skipped: it would take about "
            f"{estimate:.0f} s and bring the suite past its {BUDGET_S / 60:.0f}-minute budget."
        )
        return
    admin(tenant.sandbox, "POST", "reset")
    serial = apply_stage(suite, tenant, "apply from empty, parallelism 1", tenant.base, parallelism=1)
    suite.rows.append(serial)
    suite.serial.append(SerialRow(tenant.objects, parallel, serial))
    suite.seconds_per_serial_action = serial.run.wall_s / max(1, actions)


def startup(suite: Suite) -> None:
    """The fixed cost of every stage: the interpreter and the CLI's imports (`--version`)."""
    with tempfile.TemporaryDirectory(prefix="egain-bench-") as name:
        run = run_cli(["--version"], env=dict(os.environ), cwd=Path(name))
    suite.rows.append(Row("CLI start-up (--version)", 0, None, None, run, None))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--objects", default=",".join(map(str, DEFAULT_OBJECTS)), help="sizes, comma-separated")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="latency the sandbox adds to each API request")
    parser.add_argument("--parallelism", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help=f"smoke run: {QUICK_OBJECTS[0]} objects only")
    parser.add_argument(
        "--out", type=Path, help=f"where to write the report (default {RESULTS.name}; a --quick run writes none)"
    )
    args = parser.parse_args(argv)
    sizes = QUICK_OBJECTS if args.quick else sorted({int(value) for value in args.objects.split(",") if value.strip()})
    load = os.getloadavg()[0]
    suite = Suite(latency_ms=args.latency_ms, parallelism=args.parallelism)
    startup(suite)
    print("measuring start-up ...", flush=True)
    startups = bench_startup.render(bench_startup.measure(), bench_startup.RUNS)
    for objects in sizes:
        print(f"measuring {objects} objects ...", flush=True)
        measure_size(suite, objects)
    limited = ""
    if not args.quick:
        print(f"measuring {bench_ratelimit.OBJECTS} objects against a rate-limited sandbox ...", flush=True)
        runs = bench_ratelimit.measure(bench_ratelimit.OBJECTS, args.latency_ms, args.parallelism)
        limited = bench_ratelimit.render(runs, bench_ratelimit.OBJECTS, args.latency_ms, args.parallelism)
        limited += "\n" + bench_ratelimit.render_tiers(runs)
        print(f"measuring CPU per request at parallelism {bench_cpu.PARALLELISM} ...", flush=True)
        limited += "\n" + bench_cpu.render(bench_cpu.measure(), bench_cpu.PARALLELISM)
        print("measuring growth, 600 to 30,000 objects ...", flush=True)
        growth = bench_growth.measure(args.latency_ms, args.parallelism)
        limited += "\n" + bench_growth.render(growth, args.latency_ms, args.parallelism)
    parameters = _parameters(args, sizes) | {"load": f"{load:.2f} (1-minute average when the suite started)"}
    report = render_report(suite.rows, suite.serial, suite.notes, parameters, suite.elapsed()) + startups + limited
    print(report)
    out = args.out or (None if args.quick else RESULTS)
    if out is not None:
        out.write_text(report, encoding="utf-8")
        print(f"written to {out}")


def _parameters(args: argparse.Namespace, sizes: Sequence[int]) -> dict[str, str]:
    return {
        "objects": ", ".join(f"{math.floor(n / OBJECTS_PER_SETUP) * OBJECTS_PER_SETUP}" for n in sizes),
        "latency": f"{args.latency_ms:g} ms added by the sandbox to every API request (served in its own process)",
        "parallelism": f"{args.parallelism} (and 1 for the naive-script baseline)",
        "command": "python -m benchmarks" + ("" if args.quick else f" --objects {','.join(map(str, sizes))}"),
    }


if __name__ == "__main__":
    main()

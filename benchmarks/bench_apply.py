"""Apply from empty against a served sandbox with added latency; compares with the scheduling bound.

The bound is `max(critical path, ceil(actions / parallelism)) x latency`: no scheduler can beat
it. Also runs the same apply with parallelism 1 (a naive script) for the speed-up.

    .venv/bin/python -m benchmarks.bench_apply [--objects 600] [--latency-ms 20] [--parallelism 10]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
from pathlib import Path

import httpx

from benchmarks.tenant import BENCH_ENV, OBJECTS_PER_SETUP, write_tenant
from egain_provision.apply import ApplyResult, Executor
from egain_provision.context import RunContext
from egain_provision.plan import Plan
from egain_provision.planner import PlanOptions
from egain_provision.sandbox.testing import SubprocessSandbox, served_subprocess
from egain_provision.targets import Target, url_target
from egain_provision.workflow import compute_plan, load_valid_manifests


def critical_path(plan: Plan) -> int:
    """The most actions that must run one after another (the longest dependency chain)."""
    depth: dict[str, int] = {}
    for action in plan.actions:  # plan order is topological
        depth[action.address] = 1 + max((depth.get(dep, 0) for dep in action.depends_on), default=0)
    return max(depth.values(), default=0)


async def plan_and_apply(target: Target, manifest: Path, parallelism: int) -> tuple[Plan, ApplyResult]:
    manifest_set = load_valid_manifests([str(manifest)], {}, environ=BENCH_ENV)
    context = RunContext(target, parallelism)
    plan = await compute_plan(manifest_set, context, PlanOptions())
    async with context.client() as client:
        before = client.stats.requests
        result = await Executor(client, plan).run()
        # What the apply cost the tenant: its writes, lookups and verification reads, not the plan's reads.
        result.requests = client.stats.requests - before
    if not result.ok:
        raise SystemExit(f"apply failed: {result.totals}")
    return plan, result


def reset(sandbox: SubprocessSandbox) -> None:
    httpx.post(sandbox.url + "/_sandbox/reset", timeout=30).raise_for_status()


def measure(objects: int, latency_ms: float, parallelism: int) -> dict[str, float]:
    """Apply `objects` objects at `parallelism` and at 1; the figures of both runs."""
    setups = max(1, objects // OBJECTS_PER_SETUP)
    with tempfile.TemporaryDirectory() as folder:
        manifest = write_tenant(Path(folder), setups)
        with served_subprocess(str(Path(folder) / "bench.db"), "--latency-ms", str(latency_ms)) as sandbox:
            env = {
                "EGAIN_TOKEN_URL": sandbox.token_url,
                "EGAIN_CLIENT_ID": sandbox.client_id,
                "EGAIN_CLIENT_SECRET": sandbox.client_secret,
            }
            target = url_target(sandbox.base_url, env)
            plan, parallel = asyncio.run(plan_and_apply(target, manifest, parallelism))
            reset(sandbox)
            _, serial = asyncio.run(plan_and_apply(target, manifest, 1))
    actions = len(plan.actions)
    chain = critical_path(plan)
    bound = max(chain, math.ceil(actions / parallelism)) * latency_ms / 1000
    return {
        "actions": actions,
        "critical_path": chain,
        "bound_s": bound,
        "parallel_s": parallel.wall_time,
        "serial_s": serial.wall_time,
        "ratio_to_bound": parallel.wall_time / bound,
        "speedup_vs_parallelism_1": serial.wall_time / parallel.wall_time,
        "requests_per_action": parallel.requests / actions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=600)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--parallelism", type=int, default=10)
    args = parser.parse_args()
    figures = measure(args.objects, args.latency_ms, args.parallelism)
    print(f"apply of {figures['actions']:.0f} objects, {args.latency_ms:g} ms latency, parallelism {args.parallelism}")
    print(f"  critical path          {figures['critical_path']:.0f} actions")
    print(f"  scheduling bound       {figures['bound_s']:.2f} s")
    print(f"  wall time              {figures['parallel_s']:.2f} s")
    print(f"  ratio to bound         {figures['ratio_to_bound']:.2f}  (target <= 1.3)")
    print(f"  parallelism 1          {figures['serial_s']:.2f} s")
    print(f"  speed-up               {figures['speedup_vs_parallelism_1']:.1f}x  (target >= 7)")
    print(
        f"  requests per action    {figures['requests_per_action']:.3f}  (target <= 1.05, verification reads included)"
    )


if __name__ == "__main__":
    main()

"""Against a rate-limited sandbox: paced apply against the rate bound, unpaced beside it, tiers.

Rates are time-scaled so the stage takes a few minutes: the enterprise tier (1 req/s, burst
30) becomes 50 req/s, burst 30 for the paced and unpaced 600-object runs; then each tier
(developer 0.16/1, basic 0.5/2: x10 and x100; enterprise: x20) plans and applies a small tenant. Each CLI
stage is its own process (as in `make bench`) and starts on a full bucket (the sandbox's rate
limit is set again before it, as after an idle minute on a tenant). The 429s and requests
come from the sandbox's request log; the rate bound is `(API requests - burst) / rate`, the
least time those requests take at the rate, whoever sends them.

    .venv/bin/python -m benchmarks.bench_ratelimit [--objects 600] [--latency-ms 20] [--parallelism 10]

(`make bench` runs it after the other stages and adds its tables to benchmarks/results.md.)
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.measure import run_cli
from benchmarks.tenant import BENCH_ENV, OBJECTS_PER_SETUP, changed_manifests, write_tenant
from egain_provision.limits import per_method_text
from egain_provision.sandbox.testing import SubprocessSandbox, served_subprocess

ENTERPRISE_SCALED = (50.0, 30)  # enterprise 1/30, time-scaled x50
# The tiers of sla.yaml time-scaled, with the objects each applies: about 20-30 s of requests each
# (developer x10 kept small: one request per 0.6 s).
TIERS_SCALED = {
    "developer x100": ((16.0, 1), 320),
    "developer x10": ((1.6, 1), 16),
    "basic x100": ((50.0, 2), 600),
    "basic x10": ((5.0, 2), 80),
    "enterprise x20": ((20.0, 30), 600),
}
OBJECTS = 600
API_PATH = "/conversation/conversationmgr/v3"


@dataclass(frozen=True)
class LimitedRun:
    """One CLI stage against the rate-limited sandbox."""

    stage: str
    sandbox_rate: str
    client_rate: str
    exit_code: int
    actions: int | None
    requests: int  # API requests (the token request not counted: it is not limited)
    throttled: int
    wall_s: float
    failed: int | None
    burst: int
    rps: float
    exec_requests: int | None = None  # the apply's own requests (its summary), the plan's reads not counted
    exec_wall_s: float | None = None
    span_s: float = 0.0  # from the first API request's arrival to the last's (the sandbox's log)
    load: float = 0.0  # the 1-minute load average when the stage ended
    per_method: str = ""  # the API requests per method (`GET 14, POST 600`), as the monthly quotas count them

    @property
    def span_bound_s(self) -> float:
        """The least time from the first request to the last at the rate (the burst goes at once)."""
        return max(0, self.requests - self.burst) / self.rps

    @property
    def exec_bound_s(self) -> float | None:
        return None if self.exec_requests is None else max(0, self.exec_requests - self.burst) / self.rps

    @property
    def exec_per_action(self) -> float | None:
        return self.exec_requests / self.actions if self.actions and self.exec_requests is not None else None

    @property
    def bound_s(self) -> float:
        return max(0, self.requests - self.burst) / self.rps

    @property
    def per_action(self) -> float | None:
        return self.requests / self.actions if self.actions else None


class Limited:
    """One sandbox process, limited, and the CLI environment that reaches it."""

    def __init__(self, sandbox: SubprocessSandbox, folder: Path, parallelism: int) -> None:
        self.sandbox = sandbox
        self.folder = folder
        self.parallelism = parallelism
        env = {key: value for key, value in os.environ.items() if not key.startswith("EGAIN_")}
        self.env = env | BENCH_ENV | {
            "EGAIN_TOKEN_URL": sandbox.token_url,
            "EGAIN_CLIENT_ID": sandbox.client_id,
            "EGAIN_CLIENT_SECRET": sandbox.client_secret,
            "NO_COLOR": "1",
        }

    def admin(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        response = httpx.request(method, f"{self.sandbox.url}/_sandbox/{path}", timeout=60, **kwargs)  # type: ignore[arg-type]
        response.raise_for_status()
        return response

    def run(
        self, stage: str, command: str, manifest: Path, rate: tuple[float, int], client: str, *extra: str
    ) -> LimitedRun:
        """One stage on a full bucket and a cleared log; its requests, 429s, wall time and summary."""
        sandbox_rate = f"{rate[0]:g}/{rate[1]}"
        self.admin("PUT", "faults", json={"rate_limit": sandbox_rate})  # a fresh, full bucket
        self.admin("DELETE", "requests")
        arguments = [command, str(manifest), "--target", self.sandbox.base_url, "--no-color"]
        arguments += ["--parallelism", str(self.parallelism), "--rate-limit", client, *extra]
        result = run_cli(arguments, env=self.env, cwd=self.folder)
        log = [entry for entry in self.admin("GET", "requests").json() if entry["path"].startswith(API_PATH)]
        summary = json.loads(result.stdout) if command == "apply" else None
        totals = summary["totals"] if summary else {}
        run = LimitedRun(
            stage, sandbox_rate, client, result.exit_code,
            sum(totals.get(key, 0) for key in ("created", "updated", "deleted", "failed")) if summary else None,
            len(log), sum(entry["status"] == 429 for entry in log), result.wall_s,
            sum(totals.get(key, 0) for key in ("failed", "skipped", "unknown")) if summary else None,
            rate[1], rate[0],
            summary["requests"] if summary else None, summary["wall_time_s"] if summary else None,
            log[-1]["at_s"] - log[0]["at_s"] if log else 0.0, os.getloadavg()[0],
            per_method_text(collections.Counter(entry["method"] for entry in log)),
        )  # fmt: skip
        print(
            f"  {stage}: exit {run.exit_code}, {run.wall_s:.2f} s wall, bound {run.bound_s:.2f} s, "
            f"span {run.span_s:.2f} s, {run.requests} API requests, {run.throttled} answered 429, "
            f"load {run.load:.2f}",
            flush=True,
        )
        return run


def measure(objects: int, latency_ms: float, parallelism: int) -> list[LimitedRun]:
    """The paced, unpaced and tier stages; every run measured."""
    setups = max(1, objects // OBJECTS_PER_SETUP)
    apply = ("--auto-approve", "--format", "json")
    with tempfile.TemporaryDirectory(prefix="egain-bench-rl-") as name:
        folder = Path(name)
        base = write_tenant(folder, setups)
        updated, pruned = changed_manifests(folder, setups)
        options = ("--latency-ms", f"{latency_ms:g}")
        with served_subprocess(str(folder / "sandbox.db"), *options) as sandbox:
            limited = Limited(sandbox, folder, parallelism)
            rate, paced = ENTERPRISE_SCALED, f"{ENTERPRISE_SCALED[0]:g}/{ENTERPRISE_SCALED[1]}"
            runs = [limited.run("apply from empty, paced", "apply", base, rate, paced, *apply)]
            runs.append(limited.run("update 10%, paced", "apply", updated, rate, paced, *apply))
            prune = ("--prune", "--max-deletes", str(objects))
            runs.append(limited.run("prune 10%, paced", "apply", pruned, rate, paced, *apply, *prune))
            limited.admin("POST", "reset")
            runs.append(limited.run("apply from empty, unpaced", "apply", base, rate, "none", *apply))
            runs += measure_tiers(limited, folder)
    check(runs)
    return runs


def measure_tiers(limited: Limited, folder: Path) -> list[LimitedRun]:
    """Plan, apply from empty and plan again (converged) at each time-scaled tier, the client paced at its rate."""
    runs = []
    for tier, (tier_rate, objects) in TIERS_SCALED.items():
        manifest = write_tenant(folder / tier.replace(" ", "-"), max(1, objects // OBJECTS_PER_SETUP))
        limited.admin("POST", "reset")
        client = f"{tier_rate[0]:g}/{tier_rate[1]}"
        apply = ("--auto-approve", "--format", "json")
        runs.append(limited.run(f"plan, {tier}", "plan", manifest, tier_rate, client, "--detailed-exitcode"))
        runs.append(limited.run(f"apply from empty, {tier}", "apply", manifest, tier_rate, client, *apply))
        converged = ("--detailed-exitcode",)
        runs.append(limited.run(f"plan (converged), {tier}", "plan", manifest, tier_rate, client, *converged))
    return runs


def check(runs: Sequence[LimitedRun]) -> None:
    """Stop the suite if a stage did not do its work (a plan exits 2: changes to make)."""
    for run in runs:
        expected = 2 if run.stage.startswith("plan,") else 0
        if run.exit_code != expected or run.failed:
            raise SystemExit(f"{run.stage}: exited {run.exit_code} (expected {expected}), {run.failed} not done")


def render(runs: Sequence[LimitedRun], objects: int, latency_ms: float, parallelism: int) -> str:
    """The section of results.md."""
    lines = [
        "## Against a rate-limited sandbox",
        "",
        f"{objects} objects; the sandbox limits each client with a token bucket"
        f" (`sandbox serve --rate-limit RPS/BURST`) and adds {latency_ms:g} ms to every API request;"
        f" parallelism {parallelism}. Paced: `--rate-limit` set to the sandbox's rate; unpaced:"
        " `--rate-limit none` (429s and Retry-After only).",
        "",
        "| stage | sandbox rate | client --rate-limit | actions | API requests | requests / action | 429s"
        " | wall s | rate bound s | wall / bound | apply requests | apply requests / action | apply s"
        " | apply bound s | apply / bound |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [_row(run) for run in runs if _tier(run) is None]
    lines += [
        "",
        "- Rate bound: `(API requests - burst) / rate`, the least time the stage's requests take at the"
        " sandbox's rate; wall is the whole CLI process (start-up, plan reads and apply).",
        "- Requests / action: every API request of the stage (its plan's reads included) over the actions it"
        " carried out. The apply columns are the executor's own (`apply --format json`: its requests, 429"
        " retries included, and its wall time), the plan's reads before it not counted.",
        "- Pacing (limits.py `Pacer`) releases each request when a copy of the tenant's bucket has its token,"
        " plus an allowance for jitter: at burst 1 2% of the interval (1 ms at least) on every request,"
        " above it paid once, growing to a token.",
        "- Retry-After is whole seconds (HTTP delta-seconds, rounded up): at a time-scaled 50 req/s one second"
        " is 50 intervals, so the unpaced row overstates what a 429 costs"
        " on a real tenant (there 1 s is one interval).",
        "",
    ]
    return "\n".join(lines)


def render_tiers(runs: Sequence[LimitedRun]) -> str:
    """The tier table: each sla.yaml tier time-scaled, the client paced at it."""
    lines = [
        "## At each rate tier (time-scaled)",
        "",
        "The sandbox limited like each tier of sla.yaml, time-scaled; the client's `--rate-limit` the same."
        " Span: from the first API request's arrival at the sandbox to the last's (its request log);"
        " span bound: `(API requests - burst) / rate`, the least that span can be: span / bound is the"
        " pacing's own cost (its allowance, and any moment the run had no request ready). Wall is the whole"
        " CLI process, start-up and the plan's CPU before the first request included, so wall / bound"
        " nears 1 only for long runs. Load: the 1-minute load average as the stage ended.",
        "",
        "| tier | stage | objects | API requests | per method | 429s | span s | span bound s | span / bound"
        " | wall s | wall / bound | requests / action | load |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        tier = _tier(run)
        if tier is None:
            continue
        stage = run.stage.split(", ", 1)[0]
        bound = run.span_bound_s
        per_action = "" if run.per_action is None else f"{run.per_action:.3f}"
        ratio = "" if not bound else f"{run.span_s / bound:.3f}"
        wall_ratio = "" if not bound else f"{run.wall_s / bound:.2f}"
        objects = TIERS_SCALED[tier][1] // OBJECTS_PER_SETUP * OBJECTS_PER_SETUP
        lines.append(
            f"| {tier} ({run.sandbox_rate}) | {stage} | {objects} | {run.requests} | {run.per_method}"
            f" | {run.throttled}"
            f" | {run.span_s:.2f} | {bound:.2f} | {ratio} | {run.wall_s:.2f} | {wall_ratio} | {per_action}"
            f" | {run.load:.2f} |"
        )
    return "\n".join([*lines, ""])


def _tier(run: LimitedRun) -> str | None:
    tier = run.stage.rpartition(", ")[2]
    return tier if tier in TIERS_SCALED else None


def _row(run: LimitedRun) -> str:
    def number(value: float | None, digits: int = 2) -> str:
        return "" if value is None else f"{value:.{digits}f}"

    def ratio(value: float | None, bound: float | None) -> str:
        return "" if value is None or not bound else f"{value / bound:.2f}"

    actions = "" if run.actions is None else str(run.actions)
    return (
        f"| {run.stage} | {run.sandbox_rate} | {run.client_rate} | {actions} | {run.requests}"
        f" | {number(run.per_action, 3)} | {run.throttled} | {run.wall_s:.2f} | {run.bound_s:.2f}"
        f" | {ratio(run.wall_s, run.bound_s)} | {'' if run.exec_requests is None else run.exec_requests}"
        f" | {number(run.exec_per_action, 3)} | {number(run.exec_wall_s)} | {number(run.exec_bound_s)}"
        f" | {ratio(run.exec_wall_s, run.exec_bound_s)} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=OBJECTS)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--parallelism", type=int, default=10)
    args = parser.parse_args()
    runs = measure(args.objects, args.latency_ms, args.parallelism)
    print(render(runs, args.objects, args.latency_ms, args.parallelism))
    print(render_tiers(runs))


if __name__ == "__main__":
    main()

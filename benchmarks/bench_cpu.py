"""CPU per request at parallelism 64: apply's executor, and our client alone, against a plain asyncio+httpx
client sending the same requests.

Apply: an apply from empty of OBJECTS objects (benchmarks/tenant.py) against a served sandbox (its own
process, LATENCY_MS added to every request so that 64 are in flight). The plan is made first, as
`apply` makes it, outside the measure; the CPU measured is this process's (`time.process_time`)
while the plan executes, journal and progress lines included, as `apply` writes them. A first
apply, not measured, records every request it sends (a recording transport under the client); the
plain client then sends the same ones against the reset sandbox -- the same methods, paths,
queries and JSON bodies, the ids of the objects it created put where the recorded ones were -- in
waves (a request after the creates whose ids it carries, a list read after the creates of its kind
recorded before it), 64 in flight, one httpx.AsyncClient, a bearer header, `response.json()`.
The default httpx limits serve both (a pool capped at 64 connections cost the plain client more).
Both run with what came before frozen (`gc.freeze`), as `apply` freezes its plan: neither's
collector scans the benchmark's data. Each side runs ROUNDS times, taking turns (the machine is
shared); the best of each is compared.

Client alone: the same GETs of one object, over and over, by our EgainClient and by the plain client.

    .venv/bin/python -m benchmarks.bench_cpu [--objects 3000] [--requests 3000] [--parallelism 64]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import copy
import gc
import json
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from benchmarks.tenant import BENCH_ENV, ICON, OBJECTS_PER_SETUP, write_tenant
from egain_provision.apply import bind
from egain_provision.client import EgainClient
from egain_provision.context import Network, RunContext
from egain_provision.kinds import KINDS_BY_NAME
from egain_provision.limits import AdaptiveLimit, per_method_text
from egain_provision.planner import PlanOptions
from egain_provision.progress import Progress
from egain_provision.sandbox.auth import DEFAULT_SCOPE
from egain_provision.sandbox.testing import SubprocessSandbox, served_subprocess
from egain_provision.targets import Target, url_target
from egain_provision.workflow import compute_plan, execute, load_valid_manifests, one_client

REQUESTS = 3000
PARALLELISM = 64
OBJECTS = 3000
LATENCY_MS = 20.0
ROUNDS = 2
GOAL = 1.5  # issue 24: the executor's CPU per request within 1.5x of the plain client's


@dataclass(frozen=True)
class CpuRun:
    """One client's requests: how many, the CPU and wall seconds they took, the load average after.

    `workload` is "apply" (an apply's requests) or "get" (GETs of one object).
    """

    client: str
    requests: int
    cpu_s: float
    wall_s: float
    load: float
    workload: str = "get"
    by_method: Mapping[str, int] = field(default_factory=dict)
    latency_ms: float = 0.0  # what the sandbox added to every request

    @property
    def cpu_ms_per_request(self) -> float:
        return self.cpu_s * 1000 / self.requests


def _env(sandbox: SubprocessSandbox) -> dict[str, str]:
    return {
        "EGAIN_TOKEN_URL": sandbox.token_url,
        "EGAIN_CLIENT_ID": sandbox.client_id,
        "EGAIN_CLIENT_SECRET": sandbox.client_secret,
    }


def _form(sandbox: SubprocessSandbox) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
        "scope": DEFAULT_SCOPE,
    }


async def _token(http: httpx.AsyncClient, sandbox: SubprocessSandbox) -> dict[str, str]:
    token = (await http.post(sandbox.token_url, data=_form(sandbox))).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


# --- the executor's requests, recorded -----------------------------------------------------------


@dataclass
class Sent:
    """One API request as the executor sent it, and what it was answered (the id, for a create)."""

    method: str
    path: str  # below the API's base path
    params: dict[str, str] | None
    body: Any
    status: int = 0
    created: str | None = None


class Recorder(httpx.AsyncBaseTransport):
    """Passes every request on, keeping each API request (in the order sent) and the id each create got."""

    def __init__(self, base_path: str) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.base_path = base_path
        self.sent: list[Sent] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if not path.startswith(self.base_path + "/"):
            return await self.inner.handle_async_request(request)
        body = json.loads(request.content) if request.content else None
        sent = Sent(request.method, path[len(self.base_path) :], dict(request.url.params) or None, body)
        self.sent.append(sent)
        response = await self.inner.handle_async_request(request)
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
        await response.aclose()
        sent.status = response.status_code
        if request.method == "POST" and response.is_success:
            sent.created = json.loads(raw)["id"]
        return httpx.Response(response.status_code, headers=response.headers, content=raw)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass(frozen=True)
class RecordingTarget(Target):
    """The served sandbox, its clients' requests passing through `recorder`."""

    recorder: Recorder | None = None

    def client(self, limit: AdaptiveLimit | None = None, **settings: Any) -> EgainClient:
        return EgainClient(self.base_url, self.credentials, transport=self.recorder, limit=limit, **settings)


def _apply(target: Target, manifest: Path, journal: Path, parallelism: int) -> CpuRun:
    """Plan, then apply from empty as `apply` does; the CPU of the execution alone."""
    manifest_set = load_valid_manifests([str(manifest)], {}, environ=BENCH_ENV)
    context = RunContext(target, parallelism, journal_path=str(journal), network=Network(notice=None))
    with one_client(context) as run, open(os.devnull, "w", encoding="utf-8") as lines:
        plan = run(compute_plan(manifest_set, context, PlanOptions()))
        executable = bind(plan)
        if isinstance(target, RecordingTarget) and target.recorder is not None:
            target.recorder.sent.clear()  # the plan's reads are not the execution's
        gc.freeze()  # as `apply` does: what planning built stays, unscanned
        try:
            cpu, wall = time.process_time(), time.perf_counter()
            result = run(execute(executable, context, Progress(len(plan.actions), stream=lines, live=False)))
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        finally:
            gc.unfreeze()
    if not result.ok:
        raise SystemExit(f"the benchmark's apply failed: {result.totals}")
    label = "egain-provision apply (executor)"
    return CpuRun(label, result.requests, cpu, wall, os.getloadavg()[0], "apply", dict(result.by_method))


# --- the same requests, by a plain client --------------------------------------------------------


@dataclass
class Replay:
    """One recorded request to send again: where in its body the ids of objects created earlier go."""

    sent: Sent
    body: Any
    slots: list[tuple[Any, Any, str]]  # (container, key, recorded id)
    path_has_ids: bool


def _waves(recorded: list[Sent]) -> list[list[Sent]]:
    """The requests in waves: each after the creates whose ids it carries, a read after its kind's earlier creates."""
    creator = {sent.created: index for index, sent in enumerate(recorded) if sent.created is not None}
    level: list[int] = []
    created_at: dict[str, int] = {}  # collection path -> the highest wave of its creates so far
    for sent in recorded:
        carried = _ids_in(sent.body, creator) | {part for part in sent.path.split("/") if part in creator}
        after = [level[creator[old]] for old in carried]
        if sent.method == "GET":
            after.append(created_at.get(sent.path, -1))
        level.append(1 + max(after, default=-1))
        if sent.method == "POST":
            created_at[sent.path] = max(created_at.get(sent.path, -1), level[-1])
    waves: list[list[Sent]] = [[] for _ in range(max(level, default=-1) + 1)]
    for sent, wave in zip(recorded, level, strict=True):
        waves[wave].append(sent)
    return waves


def _ids_in(value: Any, ids: Mapping[str, int]) -> set[str]:
    if isinstance(value, str):
        return {value} if value in ids else set()
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return set().union(*(_ids_in(child, ids) for child in children))


def _replays(waves: list[list[Sent]], ids: set[str]) -> list[list[Replay]]:
    """Fresh copies of the bodies (a replay fills them in), and where each carries an id."""
    replays = []
    for wave in waves:
        replays.append([_replay(sent, ids) for sent in wave])
    return replays


def _replay(sent: Sent, ids: set[str]) -> Replay:
    body = copy.deepcopy(sent.body)
    slots: list[tuple[Any, Any, str]] = []
    pending = [body] if isinstance(body, dict | list) else []
    while pending:
        container = pending.pop()
        items = container.items() if isinstance(container, dict) else enumerate(container)
        for key, value in items:
            if isinstance(value, str) and value in ids:
                slots.append((container, key, value))
            elif isinstance(value, dict | list):
                pending.append(value)
    return Replay(sent, body, slots, any(part in ids for part in sent.path.split("/")))


async def _plain_apply(sandbox: SubprocessSandbox, waves: list[list[Replay]], parallelism: int) -> CpuRun:
    async with httpx.AsyncClient(timeout=30) as http:
        headers = await _token(http, sandbox)
        room = asyncio.Semaphore(parallelism)
        new_ids: dict[str, str] = {}

        async def one(replay: Replay) -> None:
            sent = replay.sent
            for container, key, old in replay.slots:
                container[key] = new_ids[old]
            path = (
                "/".join(new_ids.get(part, part) for part in sent.path.split("/")) if replay.path_has_ids else sent.path
            )
            async with room:
                response = await http.request(
                    sent.method, sandbox.base_url + path, params=sent.params, json=replay.body, headers=headers
                )
            if response.status_code != sent.status:
                raise SystemExit(
                    f"plain client: {sent.method} {path} answered {response.status_code}, not {sent.status}"
                )
            answer = response.json() if response.content else {}
            if sent.created is not None:
                new_ids[sent.created] = answer["id"]

        (await http.get(sandbox.base_url + "/channels", headers=headers)).raise_for_status()  # a connection
        cpu, wall = time.process_time(), time.perf_counter()
        for wave in waves:
            await asyncio.gather(*(one(replay) for replay in wave))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    by_method = collections.Counter(replay.sent.method for wave in waves for replay in wave)
    requests = by_method.total()
    return CpuRun("plain asyncio + httpx, same requests", requests, cpu, wall, os.getloadavg()[0], "apply", by_method)


def _reset(sandbox: SubprocessSandbox) -> None:
    httpx.post(sandbox.url + "/_sandbox/reset", timeout=60).raise_for_status()


def measure_apply(objects: int, latency_ms: float, parallelism: int, rounds: int = ROUNDS) -> list[CpuRun]:
    """The executor's applies and the plain client's replays, taking turns, each on a reset sandbox."""
    setups = max(1, objects // OBJECTS_PER_SETUP)
    with tempfile.TemporaryDirectory(prefix="egain-bench-cpu-") as name:
        folder = Path(name)
        manifest = write_tenant(folder, setups)
        with served_subprocess(str(folder / "sandbox.db"), "--latency-ms", f"{latency_ms:g}") as sandbox:
            plain = url_target(sandbox.base_url, _env(sandbox))
            recorder = Recorder(httpx.URL(sandbox.base_url).path)
            recording = RecordingTarget(
                plain.label, plain.identity, plain.base_url, plain.credentials, recorder=recorder
            )
            _apply(recording, manifest, folder / "journal.jsonl", parallelism)  # recorded, not measured
            waves = _waves(recorder.sent)
            created = {sent.created for sent in recorder.sent if sent.created}
            runs: list[CpuRun] = []
            for _ in range(rounds):
                _reset(sandbox)
                runs.append(_apply(plain, manifest, folder / "journal.jsonl", parallelism))
                _reset(sandbox)
                replays = _replays(waves, created)
                gc.freeze()  # as for the executor: the benchmark's own data is not the client's to scan
                try:
                    runs.append(asyncio.run(_plain_apply(sandbox, replays, parallelism)))
                finally:
                    gc.unfreeze()
    return [replace(run, latency_ms=latency_ms) for run in runs]


# --- our client alone: GETs of one object --------------------------------------------------------


async def _ours(sandbox: SubprocessSandbox, object_id: str, requests: int, parallelism: int) -> CpuRun:
    kind = KINDS_BY_NAME["channels"]
    async with url_target(sandbox.base_url, _env(sandbox)).client(AdaptiveLimit(parallelism)) as client:
        await client.get(kind, object_id)  # the token and a connection, outside the measure
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(client.get(kind, object_id) for _ in range(requests)))
        return CpuRun("egain-provision EgainClient", requests, time.process_time() - cpu,
                      time.perf_counter() - wall, os.getloadavg()[0])  # fmt: skip


async def _plain(sandbox: SubprocessSandbox, object_id: str, requests: int, parallelism: int) -> CpuRun:
    async with httpx.AsyncClient(timeout=30) as http:
        headers = await _token(http, sandbox)
        url = f"{sandbox.base_url}/channels/{object_id}"
        room = asyncio.Semaphore(parallelism)

        async def one() -> object:
            async with room:
                response = await http.get(url, headers=headers)
                response.raise_for_status()
                return response.json()

        await one()
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(one() for _ in range(requests)))
        return CpuRun("plain asyncio + httpx", requests, time.process_time() - cpu,
                      time.perf_counter() - wall, os.getloadavg()[0])  # fmt: skip


def measure_gets(requests: int, parallelism: int) -> list[CpuRun]:
    """Both clients against one sandbox, ours first and then the plain one, then ours again."""
    with (
        tempfile.TemporaryDirectory(prefix="egain-bench-cpu-") as name,
        served_subprocess(str(Path(name) / "sandbox.db")) as sandbox,
    ):
        body = {"type": "custom.bench", "displayName": "Bench", "icon": ICON}
        token = httpx.post(sandbox.token_url, data=_form(sandbox)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        created = httpx.post(f"{sandbox.base_url}/channels", json=body, headers=headers)
        created.raise_for_status()
        object_id = created.json()["id"]
        runs = [asyncio.run(_ours(sandbox, object_id, requests, parallelism))]
        runs.append(asyncio.run(_plain(sandbox, object_id, requests, parallelism)))
        runs.append(asyncio.run(_ours(sandbox, object_id, requests, parallelism)))
    return runs


def measure(
    requests: int = REQUESTS, parallelism: int = PARALLELISM, objects: int = OBJECTS, latency_ms: float = LATENCY_MS
) -> list[CpuRun]:
    """The apply comparison, then the client-alone one."""
    return measure_apply(objects, latency_ms, parallelism) + measure_gets(requests, parallelism)


# --- the report ----------------------------------------------------------------------------------


def _best(runs: list[CpuRun], plain: bool) -> CpuRun:
    return min(
        (run for run in runs if run.client.startswith("plain") == plain), key=lambda run: run.cpu_s / run.requests
    )


def _rows(runs: list[CpuRun], header: str) -> list[str]:
    plain = _best(runs, plain=True)
    lines = [header, "|---|---:|---:|---:|---:|---:|"]
    for run in runs:
        counts = f" ({per_method_text(run.by_method)})" if run.by_method else ""
        lines.append(
            f"| {run.client} | {run.requests}{counts} | {run.cpu_ms_per_request:.3f}"
            f" | {run.cpu_ms_per_request / plain.cpu_ms_per_request:.2f}x | {run.wall_s:.2f} | {run.load:.2f} |"
        )
    return lines


def render(runs: list[CpuRun], parallelism: int) -> str:
    """The section of results.md."""
    applied = [run for run in runs if run.workload == "apply"]
    gets = [run for run in runs if run.workload == "get"]
    lines = [f"## CPU per request at parallelism {parallelism}", ""]
    if applied:
        ours, plain = _best(applied, plain=False), _best(applied, plain=True)
        ratio = ours.cpu_ms_per_request / plain.cpu_ms_per_request
        lines += [
            f"An apply from empty against the served sandbox ({ours.latency_ms:g} ms latency), the plan made"
            " beforehand, and a plain client sending the same requests; this process's CPU only"
            " (benchmarks/bench_cpu.py).",
            "",
            *_rows(applied, "| client | requests | CPU ms / request | against plain (best) | wall s | load |"),
            "",
            f"Best of each: the executor {ours.cpu_ms_per_request:.3f} ms, the plain client"
            f" {plain.cpu_ms_per_request:.3f} ms per request: **{ratio:.2f}x** (goal at most {GOAL:g}x).",
            "",
        ]
    if gets:
        lines += [
            "Our client alone: the same GETs of one object by both clients.",
            "",
            *_rows(gets, "| client | requests | CPU ms / request | against plain | wall s | load |"),
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=OBJECTS, help="objects the apply creates")
    parser.add_argument("--requests", type=int, default=REQUESTS, help="GETs of the client-alone comparison")
    parser.add_argument("--parallelism", type=int, default=PARALLELISM)
    parser.add_argument("--latency-ms", type=float, default=LATENCY_MS)
    parser.add_argument("--apply-only", action="store_true", help="skip the client-alone comparison")
    args = parser.parse_args()
    runs = measure_apply(args.objects, args.latency_ms, args.parallelism)
    if not args.apply_only:
        runs += measure_gets(args.requests, args.parallelism)
    print(render(runs, args.parallelism))


if __name__ == "__main__":
    main()

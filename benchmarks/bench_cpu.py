"""CPU per request at parallelism 64: our client against a plain asyncio+httpx client, same requests.

Both send the same GETs (one object by id, over and over) to the same served sandbox (its own
process), 64 in flight; the CPU is this process's (`time.process_time`), so the sandbox's is not
counted. The plain client is what any script would write: one httpx.AsyncClient, a semaphore,
a bearer header, `response.json()`.

    .venv/bin/python -m benchmarks.bench_cpu [--requests 3000] [--parallelism 64]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.tenant import ICON
from egain_provision.kinds import KINDS_BY_NAME
from egain_provision.limits import AdaptiveLimit
from egain_provision.sandbox.auth import DEFAULT_SCOPE
from egain_provision.sandbox.testing import SubprocessSandbox, served_subprocess
from egain_provision.targets import url_target

REQUESTS = 3000
PARALLELISM = 64


@dataclass(frozen=True)
class CpuRun:
    """One client's requests: how many, the CPU and wall seconds they took, the load average after."""

    client: str
    requests: int
    cpu_s: float
    wall_s: float
    load: float

    @property
    def cpu_ms_per_request(self) -> float:
        return self.cpu_s * 1000 / self.requests


def _env(sandbox: SubprocessSandbox) -> dict[str, str]:
    return {
        "EGAIN_TOKEN_URL": sandbox.token_url,
        "EGAIN_CLIENT_ID": sandbox.client_id,
        "EGAIN_CLIENT_SECRET": sandbox.client_secret,
    }


async def _ours(sandbox: SubprocessSandbox, object_id: str, requests: int, parallelism: int) -> CpuRun:
    kind = KINDS_BY_NAME["channels"]
    async with url_target(sandbox.base_url, _env(sandbox)).client(AdaptiveLimit(parallelism)) as client:
        await client.get(kind, object_id)  # the token and a connection, outside the measure
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(client.get(kind, object_id) for _ in range(requests)))
        return CpuRun("egain-provision EgainClient", requests, time.process_time() - cpu,
                      time.perf_counter() - wall, os.getloadavg()[0])  # fmt: skip


def _form(sandbox: SubprocessSandbox) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
        "scope": DEFAULT_SCOPE,
    }


async def _plain(sandbox: SubprocessSandbox, object_id: str, requests: int, parallelism: int) -> CpuRun:
    async with httpx.AsyncClient(timeout=30) as http:
        token = (await http.post(sandbox.token_url, data=_form(sandbox))).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
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


def measure(requests: int = REQUESTS, parallelism: int = PARALLELISM) -> list[CpuRun]:
    """Both clients against one sandbox, ours first and then the plain one, then ours again."""
    with tempfile.TemporaryDirectory(prefix="egain-bench-cpu-") as name, served_subprocess(
        str(Path(name) / "sandbox.db")
    ) as sandbox:
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


def render(runs: list[CpuRun], parallelism: int) -> str:
    """The section of results.md."""
    plain = next(run for run in runs if run.client.startswith("plain"))
    lines = [
        f"## CPU per request at parallelism {parallelism}",
        "",
        "The same GETs of one object against the served sandbox, this process's CPU only"
        " (benchmarks/bench_cpu.py).",
        "",
        "| client | requests | CPU ms / request | against plain | wall s | load |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run.client} | {run.requests} | {run.cpu_ms_per_request:.3f}"
            f" | {run.cpu_ms_per_request / plain.cpu_ms_per_request:.2f}x | {run.wall_s:.2f} | {run.load:.2f} |"
        )
    return "\n".join([*lines, ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--parallelism", type=int, default=PARALLELISM)
    args = parser.parse_args()
    print(render(measure(args.requests, args.parallelism), args.parallelism))


if __name__ == "__main__":
    main()

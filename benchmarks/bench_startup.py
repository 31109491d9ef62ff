"""Start-up of the CLI: the wall time of a fresh process for the commands that do little work.

For `python -c "import click"` (the floor any click CLI pays), `egain-provision --version`,
`egain-provision --help` and `egain-provision validate` of a one-object manifest: the median and
the fastest of N runs, each a new interpreter, and the modules it imported. Bytecode caches are
allowed (as for an installed tool): one run of each first writes them.

    .venv/bin/python -m benchmarks.bench_startup [--runs 21]

(`make bench` runs it first and adds its table to benchmarks/results.md.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

RUNS = 21
SMALL_MANIFEST = """\
version: 1
authentications:
  - name: agent-basic
    type: basic
    basicAuth: {username: egain, password: "${env:EGAIN_VAR_AGENT_PASSWORD}"}
"""
# As the console script runs the tool, then (for the module count only) what it imported.
CLI = "import sys\nfrom egain_provision.cli import main\ncode = main()\n"
COUNT = "print(len(sys.modules), file=sys.stderr)\n"


@dataclass(frozen=True)
class Startup:
    """One command started `runs` times: its wall times and the modules one run imported."""

    label: str
    median_s: float
    fastest_s: float
    modules: int


def measure(runs: int = RUNS) -> list[Startup]:
    """The four commands, measured in turn."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["EGAIN_VAR_AGENT_PASSWORD"] = "bench-only"
    with tempfile.TemporaryDirectory(prefix="egain-bench-") as name:
        manifest = Path(name) / "small.yaml"
        manifest.write_text(SMALL_MANIFEST, encoding="utf-8")
        commands = [
            ('python -c "import click"', "import click\nimport sys\n", []),
            ("egain-provision --version", CLI, ["--version"]),
            ("egain-provision --help", CLI, ["--help"]),
            ("egain-provision validate (1 object)", CLI, ["validate", str(manifest)]),
        ]
        return [_measure(label, code, args, env, runs) for label, code, args in commands]


def _measure(label: str, code: str, args: list[str], env: dict[str, str], runs: int) -> Startup:
    command = [sys.executable, "-c", code, *args]
    counted = subprocess.run([*command[:2], code + COUNT, *args], capture_output=True, text=True, env=env, check=False)
    modules = int(counted.stderr.strip().splitlines()[-1])
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
        times.append(time.perf_counter() - started)
    return Startup(label, statistics.median(times), min(times), modules)


def render(results: Sequence[Startup], runs: int) -> str:
    """The section of results.md: each command against the bare `import click`."""
    floor = results[0].median_s
    lines = [
        "## Start-up",
        "",
        f"Wall time of a fresh interpreter, median and fastest of {runs} runs (benchmarks/bench_startup.py);"
        " modules: `len(sys.modules)` when the command is done.",
        "",
        "| command | median s | fastest s | x `import click` | modules |",
        "|---|---:|---:|---:|---:|",
    ]
    for item in results:
        lines.append(
            f"| {item.label} | {item.median_s:.3f} | {item.fastest_s:.3f} | {item.median_s / floor:.1f}x"
            f" | {item.modules} |"
        )
    return "\n".join([*lines, ""]) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=RUNS, help="processes started per command")
    args = parser.parse_args(argv)
    print(render(measure(args.runs), args.runs))


if __name__ == "__main__":
    main()

"""What apply shows while it runs, and the summary it ends with."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

import click

from egain_provision.apply import ApplyResult, Outcome
from egain_provision.render.summary import render_summary_json, render_summary_markdown, render_summary_text

PAST = {"create": "created", "update": "updated", "delete": "deleted"}


class Progress:
    """A live bar on a terminal; one line per finished action otherwise (CI logs)."""

    def __init__(self, total: int, *, stream: TextIO | None = None, live: bool | None = None) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.started = time.monotonic()
        self.finished = 0
        self.failed = 0
        self.skipped = 0

    def __call__(self, outcome: Outcome) -> None:
        self.finished += 1
        if outcome.status in ("failed", "conflict", "unknown"):
            self.failed += 1
        elif outcome.status == "skipped":
            self.skipped += 1
        if self.live:
            self._draw()
        else:
            self.stream.write(describe(outcome) + "\n")
            self.stream.flush()

    def _draw(self) -> None:
        width = 30
        filled = width * self.finished // max(1, self.total)
        bar = "#" * filled + "." * (width - filled)
        elapsed = time.monotonic() - self.started
        self.stream.write(
            f"\r[{bar}] {self.finished}/{self.total}  failed {self.failed}  skipped {self.skipped}  {elapsed:.1f}s"
        )
        if self.finished == self.total:
            self.stream.write("\n")
        self.stream.flush()


def describe(outcome: Outcome) -> str:
    """One line for one finished action."""
    action = outcome.action
    name = f'{action.kind} "{action.natural_key}"'
    ident = f" ({outcome.id})" if outcome.id else ""
    if outcome.status == "done":
        extra = f"; {outcome.message}" if outcome.message else ""
        return f"{PAST[action.action]} {name}{ident} in {outcome.duration * 1000:.0f} ms{extra}"
    if outcome.status == "skipped":
        return f"skipped {name}{ident}: {outcome.message}"
    label = {"conflict": "CONFLICT", "unknown": "UNKNOWN"}.get(outcome.status, "FAILED")
    return f"{label} {action.action} {name}{ident}: {outcome.message}"


def summary_document(result: ApplyResult, target: str) -> dict[str, Any]:
    """The summary as data, what `apply --format json` prints; render/summary.py renders it as text, JSON, Markdown."""
    return {
        "target": target,
        "ok": result.ok,
        "converged": result.converged,
        "interrupted": result.interrupted,
        "totals": result.totals,
        "journal_error": result.journal_error,
        "wall_time_s": round(result.wall_time, 3),
        "requests": result.requests,
        "requests_per_method": dict(sorted(result.by_method.items())),
        "throttled": result.throttled,
        "waited_s": round(result.waited, 3),
        # How late the tenant listed this run's own writes, and how long apply waited for them.
        "lag_s": None if result.lag is None else round(result.lag, 3),
        "read_after_write_s": None if result.window is None else round(result.window, 3),
        "outcomes": [outcome.to_json() for outcome in result.outcomes],
    }


def echo_summary(result: ApplyResult, target: str, fmt: str) -> None:
    """Print the summary to stdout in the requested format: text, json, or markdown (a pull-request comment)."""
    summary = summary_document(result, target)
    if fmt == "json":
        click.echo(render_summary_json(summary), nl=False)
    elif fmt == "markdown":
        click.echo(render_summary_markdown(summary), nl=False)
    else:
        click.echo(render_summary_text(summary), nl=False)

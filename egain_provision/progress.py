"""What apply shows while it runs, and the summary it ends with."""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

import click

from egain_provision.apply import ApplyResult, Outcome
from egain_provision.render.summary import render_summary_markdown

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


def summary_text(result: ApplyResult, target: str) -> str:
    """The closing summary: totals first, then every object by outcome, with names and ids."""
    totals = result.totals
    head = "Apply interrupted" if result.interrupted else "Apply complete" if result.ok else "Apply incomplete"
    lines = [
        f"{head} on {target}: {totals['created']} created, {totals['updated']} updated, "
        f"{totals['deleted']} deleted, {totals['failed']} failed, {totals['skipped']} skipped "
        f"in {result.wall_time:.1f}s."
    ]
    if result.requests:
        lines[0] += f" {result.requests} requests ({result.throttled} answered 429)"
        lines[0] += f", {result.waited:.1f}s waiting for the tenant."
    if totals["unknown"]:
        lines[0] += f" {totals['unknown']} with an unknown outcome (the next plan shows what happened)."
    if totals["adopted"]:
        lines[0] += f" {totals['adopted']} more already existed, created identically by another run."
    groups: list[tuple[str, list[Outcome]]] = [
        (
            "Created",
            [o for o in result.outcomes if o.status == "done" and o.action.action == "create" and not o.adopted],
        ),
        ("Adopted (created identically by another run)", [o for o in result.outcomes if o.adopted]),
        ("Updated", [o for o in result.outcomes if o.status == "done" and o.action.action == "update"]),
        ("Deleted", [o for o in result.outcomes if o.status == "done" and o.action.action == "delete"]),
        ("Failed", [o for o in result.outcomes if o.status in ("failed", "conflict")]),
        ("Unknown (could not be established; run plan again)", [o for o in result.outcomes if o.status == "unknown"]),
        ("Skipped (not attempted)", [o for o in result.outcomes if o.status == "skipped"]),
    ]
    for title, outcomes in groups:
        if not outcomes:
            continue
        lines.append(f"\n{title}:")
        for outcome in outcomes:
            action = outcome.action
            ident = f" ({outcome.id})" if outcome.id else ""
            detail = f": {outcome.message}" if outcome.message and outcome.status != "done" else ""
            lines.append(f'  {action.kind} "{action.natural_key}"{ident}{detail}')
    if result.journal_error is not None:
        lines.append(f"\nThe journal is incomplete ({result.journal_error}); nothing was sent after that.")
    if not result.ok:
        lines.append("\nNothing else was changed. Run apply again to retry what failed or was skipped.")
    return "\n".join(lines) + "\n"


def summary_document(result: ApplyResult, target: str) -> dict[str, Any]:
    """The summary as data: what `apply --format json` prints and `--format markdown` renders."""
    return {
        "target": target,
        "ok": result.ok,
        "interrupted": result.interrupted,
        "totals": result.totals,
        "journal_error": result.journal_error,
        "wall_time_s": round(result.wall_time, 3),
        "requests": result.requests,
        "throttled": result.throttled,
        "waited_s": round(result.waited, 3),
        "outcomes": [outcome.to_json() for outcome in result.outcomes],
    }


def summary_json(result: ApplyResult, target: str) -> str:
    """The summary for machines (`apply --format json`)."""
    return json.dumps(summary_document(result, target), indent=2) + "\n"


def echo_summary(result: ApplyResult, target: str, fmt: str) -> None:
    """Print the summary to stdout in the requested format: text, json, or markdown (a pull-request comment)."""
    if fmt == "json":
        click.echo(summary_json(result, target), nl=False)
    elif fmt == "markdown":
        click.echo(render_summary_markdown(summary_document(result, target)), nl=False)
    else:
        click.echo(summary_text(result, target), nl=False)

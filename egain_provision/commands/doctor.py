"""`egain-provision doctor`: probe a target, read-only, and say what the tool will do with it."""

from __future__ import annotations

import asyncio
import json

import click

from egain_provision.commands.common import configure_logging, network, target_options
from egain_provision.context import RunContext
from egain_provision.doctor import DEFAULT_TIME_BUDGET, Report, examine, render_text
from egain_provision.targets import resolve_target

EXIT_OK = 0
EXIT_BLOCKED = 1


@click.command("doctor")
@target_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for machines.",
)
@click.option(
    "--time-budget",
    type=click.FloatRange(1, 3600),
    default=DEFAULT_TIME_BUDGET,
    show_default=True,
    metavar="SECONDS",
    help="Longest time doctor may take in all, retries and Retry-After waits included; what it could not "
    "finish within it is reported as not finished (exit 1).",
)
def doctor_command(target: str | None, parallelism: int, verbose: bool, fmt: str, time_budget: float) -> int:
    """Probe the target with reads only and report how it behaves where eGain's spec is silent.

    Which token scope forms are granted; per kind, where the list sits in the answer, whether it
    carries paginationInfo, the page size it honours, what an empty collection answers, whether
    list items carry `modified`, how secrets come back, fields no manifest can hold, the shape of
    references; and rate-limit headers. Nothing is written. Exits 1 when something would stop
    plan or apply, naming the fix, or when it could not finish within --time-budget (saying what
    it did not finish). Run it before the first plan against a real tenant.

    \b
    Examples:
      egain-provision doctor
      egain-provision doctor --target "$EGAIN_API_URL" --format json
    """
    configure_logging(verbose)
    context = RunContext(resolve_target(target), parallelism, network=network())
    report = asyncio.run(_examine(context, time_budget))
    click.echo(json.dumps(report.to_json(), indent=2) if fmt == "json" else render_text(report), nl=fmt == "json")
    return EXIT_BLOCKED if report.blockers or report.unfinished else EXIT_OK


async def _examine(context: RunContext, time_budget: float) -> Report:
    async with context.client() as client:
        return await examine(client, context.target.label, time_budget)

"""`egain-provision apply PATHS | PLANFILE`: make the tenant match, safely."""

from __future__ import annotations

import collections
import gc
import sys

import click

from egain_provision.apply import ApplyResult, ExecutablePlan, bind
from egain_provision.commands.common import (
    color_enabled,
    configure_logging,
    kind_option,
    network,
    only_option,
    parse_variables,
    target_options,
    var_options,
)
from egain_provision.commands.plan import apply_requests, prune_options, requests_line
from egain_provision.context import DEFAULT_JOURNAL, DEFAULT_READ_AFTER_WRITE, RunContext
from egain_provision.errors import Interrupted, UsageError
from egain_provision.limits import over_quota
from egain_provision.manifest import ManifestSet
from egain_provision.plan import Plan
from egain_provision.planner import DEFAULT_MAX_DELETES, PlanOptions
from egain_provision.progress import Progress, echo_summary
from egain_provision.render import render_text
from egain_provision.render.summary import DIFFERS_EXIT
from egain_provision.targets import Target, resolve_target
from egain_provision.workflow import (
    StageRunner,
    compute_plan,
    execute,
    load_valid_manifests,
    one_client,
    prepare_saved_plan,
    read_plan_file,
    refuse_excess_deletes,
)

EXIT_OK = 0
EXIT_FAILED = 1
# Every action carried out, but the re-read found the tenant holding something else, or not showing it yet.
EXIT_DIFFERS = DIFFERS_EXIT
EXIT_INTERRUPTED = 130
# The end of `apply --help` (kept out of the docstring, which says what apply does).
EXAMPLES = (
    "\b\nExamples:\n"
    "  egain-provision apply manifests/\n"
    "  egain-provision apply plan.json   # a plan saved by `plan --out`\n"
    '  egain-provision apply --auto-approve --prune --target "$EGAIN_API_URL" manifests/\n'
)


@click.command("apply", epilog=EXAMPLES)
@click.argument("paths", nargs=-1, required=True, type=click.Path(), metavar="PATHS... | PLANFILE")
@target_options
@kind_option
@only_option
@prune_options
@var_options
@click.option("--auto-approve", is_flag=True, help="Apply without asking (required when stdin is not a terminal).")
@click.option(
    "--journal",
    "journal_path",
    type=click.Path(dir_okay=False),
    default=DEFAULT_JOURNAL,
    show_default=True,
    help="Append every mutation to this JSON-lines file.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="Format of the final summary on stdout: text, json for machines, markdown for a pull-request comment "
    "(progress, and with json or markdown the plan, go to stderr).",
)
@click.option(
    "--read-after-write",
    type=click.FloatRange(0, 600),
    default=DEFAULT_READ_AFTER_WRITE,
    show_default=True,
    metavar="SECONDS",
    help="How long the tenant may take to show a write in its lists: apply re-reads what it wrote, and looks "
    "for a create whose answer was lost, this long (longer when the tenant is seen to lag more); a create "
    "still not found is reported unknown, never sent again.",
)
@click.option(
    "--allow-over-quota",
    is_flag=True,
    help="Apply even when this run alone needs more requests of a method than the --rate-limit tier's monthly "
    "quota (developer: 1,000 per method per month; basic: 100,000; enterprise: 500,000).",
)
@click.option("--no-color", is_flag=True, help="No colour in the plan shown before applying.")
def apply_command(
    paths: tuple[str, ...],
    target: str | None,
    parallelism: int,
    verbose: bool,
    kinds: tuple[str, ...],
    only: tuple[str, ...],
    prune: bool,
    max_deletes: int,
    rotate_secrets: bool,
    var_pairs: tuple[str, ...],
    var_files: tuple[str, ...],
    auto_approve: bool,
    journal_path: str,
    fmt: str,
    read_after_write: float,
    allow_over_quota: bool,
    no_color: bool,
) -> int:
    """Make the tenant match the manifests in PATHS, or execute a saved PLANFILE.

    With manifests, the plan is computed and shown, then confirmed (on a terminal) or approved
    by --auto-approve. A PLANFILE from `plan --out` runs without a prompt, but only if the
    tenant still is as it was planned: same target, every touched object unmodified, every
    object to create still absent; otherwise nothing is changed.
    """
    configure_logging(verbose)
    variables = parse_variables(var_pairs, var_files)
    saved = read_plan_file(paths)
    options = PlanOptions(prune=prune, max_deletes=max_deletes, kinds=kinds, rotate_secrets=rotate_secrets, only=only)
    if saved is not None:
        refuse_planning_options(options)
    source = saved if saved is not None else load_valid_manifests(paths, variables)
    context = RunContext(resolve_target(target), parallelism, variables, journal_path, read_after_write, network())
    # One client reads the tenant and executes: one certificate store loaded, one token asked for.
    with one_client(context) as run:
        planned, executable = _planned(run, source, context, options, fmt=fmt, no_color=no_color)
        refuse_excess_deletes(planned)
        if not planned.has_changes:
            click.echo(f"Nothing to apply on {context.target.label}.", err=True)
            if fmt != "text":
                echo_summary(ApplyResult(), context.target.label, fmt)
            return EXIT_OK
        refuse_over_quota(planned, context, allow_over_quota)
        if saved is None and not auto_approve:
            confirm(context.target)
        # What planning built lives until the end: keep the collector from rescanning it during apply.
        gc.freeze()
        try:
            result = run(execute(executable, context, Progress(len(planned.actions))))
        except KeyboardInterrupt:
            # Outside the executor's own handler (starting or closing): what was sent is in the journal.
            raise Interrupted(f"changes may have been made; {context.journal_path} records each one") from None
    return report(result, context, fmt)


def _planned(
    run: StageRunner,
    source: Plan | ManifestSet,
    context: RunContext,
    options: PlanOptions,
    *,
    fmt: str,
    no_color: bool,
) -> tuple[Plan, ExecutablePlan]:
    """The plan to execute: a saved one checked against the tenant, or one computed and shown now."""
    if isinstance(source, Plan):
        return source, run(prepare_saved_plan(source, context))
    planned = run(compute_plan(source, context, options))
    # With --format json or markdown, stdout carries only the summary; the plan goes to stderr.
    shown = render_text(planned, color=color_enabled(no_color) and fmt == "text")
    click.echo(shown, nl=False, err=fmt != "text")
    return planned, bind(planned)


def report(result: ApplyResult, context: RunContext, fmt: str) -> int:
    """The summary on stdout, and the exit code: 0 done, 1 failed or unknown, 130 interrupted."""
    try:
        echo_summary(result, context.target.label, fmt)
    except KeyboardInterrupt:
        finished = f"the apply had finished ({_totals(result)}); {context.journal_path} records each change"
        raise Interrupted(finished) from None
    if result.interrupted:
        return EXIT_INTERRUPTED
    if not result.ok:
        return EXIT_FAILED
    return EXIT_OK if result.converged else EXIT_DIFFERS


def _totals(result: ApplyResult) -> str:
    """`2 created, 1 failed`: the apply's nonzero totals in one clause."""
    counted = [f"{count} {name}" for name, count in result.totals.items() if count]
    return ", ".join(counted) or "no changes"


def refuse_over_quota(plan: Plan, context: RunContext, allowed: bool) -> None:
    """Say what the run spends per method; stop before any write when that alone is over the tier's monthly quota."""
    click.echo(requests_line(context.pacer.sent, plan, context.rate), err=True)
    rate = context.rate
    over = over_quota(collections.Counter(context.pacer.sent) + apply_requests(plan), rate)
    if not over or rate is None:
        return
    what = (
        f"this run alone needs {', '.join(over)} requests, more than the {rate.tier} tier's monthly quota of "
        f"{rate.monthly_quota:,} requests per method"
    )
    if allowed:
        click.echo(f"Warning: {what}; going on (--allow-over-quota).", err=True)
        return
    raise UsageError(
        f"{what}; nothing was changed",
        hint="apply a part of the manifests at a time (--kind), wait for next month's quota, "
        "or go on anyway with --allow-over-quota",
    )


def refuse_planning_options(options: PlanOptions) -> None:
    """A saved plan already holds the choices made when planning: options that would change them are refused."""
    planning = {
        "--kind": bool(options.kinds),
        "--only": bool(options.only),
        "--prune": options.prune,
        "--max-deletes": options.max_deletes != DEFAULT_MAX_DELETES,
        "--rotate-secrets": options.rotate_secrets,
    }
    given = [name for name, used in planning.items() if used]
    if given:
        raise UsageError(
            f"{', '.join(given)} cannot change a saved plan: it already holds the choices made when planning",
            hint=f"run `egain-provision plan {' '.join(given)} ... --out FILE` again, or apply the manifests",
        )


def confirm(target: Target) -> None:
    """Ask on a terminal; without one, --auto-approve is required."""
    if not sys.stdin.isatty():
        raise UsageError(
            "refusing to apply without confirmation: stdin is not a terminal",
            hint="review the plan above, then run again with --auto-approve",
        )
    answer = click.prompt(f"Apply these changes to {target.label}? Only 'yes' will be accepted", default="")
    if answer.strip() != "yes":
        raise UsageError("apply cancelled; nothing was changed")

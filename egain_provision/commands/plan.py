"""`egain-provision plan PATHS`: diff the manifests against the live tenant and show the changes."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
from collections.abc import Mapping
from pathlib import Path

import click

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
from egain_provision.context import RunContext
from egain_provision.errors import ManifestError, PlanError
from egain_provision.files import write_atomic
from egain_provision.limits import Rate, estimate_seconds, monthly_quota
from egain_provision.listing import ASKED_PAGE_SIZE
from egain_provision.manifest.report import render as render_diagnostics
from egain_provision.model import Diagnostic
from egain_provision.plan import Plan, PlanRequests
from egain_provision.planner import DEFAULT_MAX_DELETES, PlanOptions
from egain_provision.render import render
from egain_provision.render.values import requests_sentence
from egain_provision.saved_plan import PLAN_KEY_VARIABLE, plan_key, refusals
from egain_provision.targets import resolve_target
from egain_provision.workflow import compute_plan, load_valid_manifests, refuse_excess_deletes

EXIT_NO_CHANGES = 0
EXIT_CHANGES = 2
EXIT_CHANGES_WITH_DELETES = 3
# With --detailed-exitcode: the plan was shown, but it deletes more than --max-deletes allows (apply refuses it).
EXIT_REFUSED_DELETES = 4


def prune_options(func: click.decorators.FC) -> click.decorators.FC:
    """`--prune` and `--max-deletes N`, shared by plan and apply."""
    func = click.option(
        "--max-deletes",
        type=click.IntRange(0),
        default=DEFAULT_MAX_DELETES,
        show_default=True,
        help="Refuse a plan that deletes more objects than this.",
    )(func)
    func = click.option(
        "--prune",
        is_flag=True,
        help="Delete live objects in scope that are neither declared nor ignored (in reverse dependency order).",
    )(func)
    func = click.option(
        "--rotate-secrets",
        is_flag=True,
        help="Send secret fields the tenant does not reveal (write-only), updating those objects.",
    )(func)
    return func


@click.command("plan")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@target_options
@kind_option
@only_option
@prune_options
@var_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown", "github"]),
    default="text",
    show_default=True,
    help="text for people, json for machines (schemas/plan.schema.json), markdown for a pull-request comment, "
    "github for the text plan with workflow annotations. With json and github, problems that stop planning "
    "are printed as located diagnostics, as `validate` prints them.",
)
@click.option("--out", type=click.Path(dir_okay=False), help="Save the plan (JSON, no secret values) for `apply FILE`.")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 with no changes, 2 with changes, 3 with changes that include deletes, 4 when the plan is shown "
    "but refused for deleting more than --max-deletes (without this option, 1); 1 is always an error.",
)
@click.option("--no-color", is_flag=True, help="No colour in text output (also when NO_COLOR is set).")
def plan_command(
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
    fmt: str,
    out: str | None,
    detailed_exitcode: bool,
    no_color: bool,
) -> int:
    """Show what apply would change in the tenant to match the manifests in PATHS.

    PATHS are manifest files or directories (every *.yaml/*.yml in them). Nothing is changed.

    \b
    Examples:
      egain-provision plan examples/byoc
      egain-provision plan --out plan.json --detailed-exitcode manifests/
      egain-provision plan --only 'accounts/support-*' --format markdown manifests/
    """
    configure_logging(verbose)
    variables = parse_variables(var_pairs, var_files)
    options = PlanOptions(prune=prune, max_deletes=max_deletes, kinds=kinds, rotate_secrets=rotate_secrets, only=only)
    try:
        manifest_set = load_valid_manifests(paths, variables)
        context = RunContext(resolve_target(target), parallelism, variables, network=network())
        planned = asyncio.run(compute_plan(manifest_set, context, options))
        plan = with_requests(planned, context.pacer.sent, context.rate)
    except (ManifestError, PlanError) as exc:
        if fmt in ("json", "github"):
            click.echo(render_problems(exc, fmt), nl=False)
        raise
    click.echo(render(plan, fmt, color=color_enabled(no_color)), nl=False)
    if plan.has_changes:
        click.echo(apply_cost(plan, context.rate), err=True)
    click.echo(requests_line(context.pacer.sent, plan, context.rate), err=True)
    if plan.delete_limit_exceeded:
        return refused(plan, out, detailed_exitcode)
    if out:
        save_plan(plan, out)
    if not detailed_exitcode or not plan.has_changes:
        return EXIT_NO_CHANGES
    return EXIT_CHANGES_WITH_DELETES if plan.has_deletes else EXIT_CHANGES


def save_plan(plan: Plan, out: str) -> None:
    """Write the plan for `apply FILE`, signed when EGAIN_PLAN_KEY is set; a plan apply would refuse is not saved."""
    problems = refusals(plan)
    if problems:
        raise PlanError(
            f"the plan was not saved to {out}: apply would refuse it:\n" + "\n".join(f"  {p}" for p in problems),
            hint="a saved plan reads ${env:...} only into secret fields and callback header values: use ${var:...} "
            "for the others, or apply the manifests directly",
        )
    key = plan_key()
    write_plan_file(Path(out), plan.dumps(key))
    signed = f", signed with {PLAN_KEY_VARIABLE}" if key is not None else ""
    click.echo(f"Saved the plan to {out}{signed}; apply it with `egain-provision apply {out}`.", err=True)


def refused(plan: Plan, out: str | None, detailed_exitcode: bool) -> int:
    """A plan over --max-deletes, already shown: never saved; exit 4 with --detailed-exitcode, else the error (1)."""
    if out:
        click.echo(f"The plan was not saved to {out}: apply refuses a plan over --max-deletes.", err=True)
    try:
        refuse_excess_deletes(plan)
    except PlanError as exc:
        if not detailed_exitcode:
            raise
        click.echo(f"Error: {exc}", err=True)
    return EXIT_REFUSED_DELETES


# The request each kind of action sends.
ACTION_METHODS = {"create": "POST", "update": "PUT", "delete": "DELETE"}


def apply_requests(plan: Plan) -> collections.Counter[str]:
    """The requests applying this plan sends at least, per method."""
    # One request per action, and the re-read of each kind written: a listing of its pages (100 objects
    # each, counting those unchanged), which the twin checks of orchestration creates share (apply/tenant.py),
    # and one listing per kind deleted from.
    written = collections.Counter(action.kind for action in plan.actions if action.action != "delete")
    pages = sum(-(-(count + plan.unchanged.get(kind, 0)) // ASKED_PAGE_SIZE) for kind, count in written.items())
    sent = collections.Counter(ACTION_METHODS[action.action] for action in plan.actions)
    sent["GET"] += pages + len({action.kind for action in plan.actions if action.action == "delete"})
    return sent


def plan_requests(read: Mapping[str, int], plan: Plan, rate: Rate | None) -> PlanRequests:
    """What planning read (`read`, per method), what applying `plan` sends at least, and how many such runs fit
    in the tier's month."""
    applying = apply_requests(plan)
    return PlanRequests(read, applying, monthly_quota(collections.Counter(read) + applying, rate))


def with_requests(plan: Plan, read: Mapping[str, int], rate: Rate | None) -> Plan:
    """The plan carrying its requests per method (`plan_requests`), so every format and the saved plan show them."""
    return dataclasses.replace(plan, requests=plan_requests(read, plan, rate))


def requests_line(read: Mapping[str, int], plan: Plan, rate: Rate | None) -> str:
    """`requests per method: plan GET 7; its apply about POST 600, GET 1; ...`: what the plan and its apply spend."""
    return f"requests per method: {requests_sentence(plan_requests(read, plan, rate))}"


def apply_cost(plan: Plan, rate: Rate | None) -> str:
    """`apply: 612 requests, about 10 min 12 s at 1 req/s (burst 30)`: what applying this plan takes at least."""
    count = sum(apply_requests(plan).values())
    requests = f"{count} request{'s' if count != 1 else ''}"
    if rate is None:
        return f"apply: {requests} (not paced)"
    return f"apply: {requests}, about {_duration(estimate_seconds(count, rate))} at {rate}"


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def render_problems(error: ManifestError | PlanError, fmt: str) -> str:
    """What stopped planning as diagnostics: a JSON list, or workflow annotations (as `validate` prints them)."""
    problems = list(error.diagnostics) or [Diagnostic("error", None, "", error.message, error.hint)]
    summary = f"plan failed: {len(problems)} problem{'s' if len(problems) != 1 else ''}"
    return render_diagnostics(problems, fmt=fmt, summary=summary)


def write_plan_file(path: Path, text: str) -> None:
    """Atomically, readable by the owner only: a plan names the tenant's objects and ids."""
    write_atomic(path, text.encode("utf-8"), mode=0o600, what="the plan")

"""`egain-provision apply PATHS | PLANFILE`: make the tenant match, safely."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import click

from egain_provision.commands.common import (
    color_enabled,
    configure_logging,
    kind_option,
    parse_variables,
    target_options,
    var_options,
)
from egain_provision.commands.plan import prune_options
from egain_provision.errors import PlanError, UsageError
from egain_provision.executor import ApplyResult, Executor, new_run_id
from egain_provision.journal import DEFAULT_JOURNAL, Journal
from egain_provision.live import LiveState
from egain_provision.manifest.interpolate import InterpolationError, Interpolator
from egain_provision.paths import get_concrete, set_concrete
from egain_provision.plan import Plan, SensitivePlaceholder
from egain_provision.planner import DEFAULT_MAX_DELETES, PlanOptions
from egain_provision.progress import Progress, echo_summary
from egain_provision.render import render_text
from egain_provision.targets import Target, resolve_target
from egain_provision.workflow import compute_plan, load_valid_manifests, read_tenant, refuse_excess_deletes

EXIT_OK = 0
EXIT_FAILED = 1


@click.command("apply")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@target_options
@kind_option
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
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Format of the final summary on stdout (progress always goes to stderr).",
)
@click.option("--no-color", is_flag=True, help="No colour in the plan shown before applying.")
def apply_command(
    paths: tuple[str, ...],
    target: str | None,
    parallelism: int,
    verbose: bool,
    kinds: tuple[str, ...],
    prune: bool,
    max_deletes: int,
    rotate_secrets: bool,
    var_pairs: tuple[str, ...],
    var_files: tuple[str, ...],
    auto_approve: bool,
    journal_path: str,
    fmt: str,
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
    if saved is not None:
        planning = {
            "--kind": bool(kinds),
            "--prune": prune,
            "--max-deletes": max_deletes != DEFAULT_MAX_DELETES,
            "--rotate-secrets": rotate_secrets,
        }
        given = [name for name, used in planning.items() if used]
        if given:
            raise UsageError(
                f"{', '.join(given)} cannot change a saved plan: it already holds the choices made when planning",
                hint=f"run `egain-provision plan {' '.join(given)} ... --out FILE` again, or apply the manifests",
            )
        resolved = resolve_target(target)
        check_target(saved, resolved)
        plan = saved
        asyncio.run(verify_saved_plan(plan, resolved, parallelism))
        fill_secrets(plan, variables, os.environ)
    else:
        manifest_set = load_valid_manifests(paths, variables)
        resolved = resolve_target(target)
        options = PlanOptions(prune=prune, max_deletes=max_deletes, kinds=kinds, rotate_secrets=rotate_secrets)
        plan = asyncio.run(compute_plan(manifest_set, resolved, options, parallelism=parallelism))
        # With --format json, stdout carries only the summary document; the plan goes to stderr.
        click.echo(render_text(plan, color=color_enabled(no_color) and fmt == "text"), nl=False, err=fmt == "json")
    refuse_excess_deletes(plan)
    if not plan.has_changes:
        click.echo(f"Nothing to apply on {resolved.label}.", err=True)
        if fmt == "json":
            echo_summary(ApplyResult(), resolved.label, fmt)
        return EXIT_OK
    if saved is None and not auto_approve:
        confirm(resolved)
    # What planning built lives until the end: keep the collector from rescanning it during apply.
    gc.freeze()
    result = asyncio.run(execute(plan, resolved, parallelism=parallelism, journal_path=journal_path))
    echo_summary(result, resolved.label, fmt)
    return EXIT_OK if result.ok else EXIT_FAILED


def read_plan_file(paths: tuple[str, ...]) -> Plan | None:
    """The saved plan when PATHS is a single plan file (JSON written by `plan --out`), else None."""
    if len(paths) != 1 or not Path(paths[0]).is_file():
        return None
    try:
        text = Path(paths[0]).read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if not text.lstrip().startswith("{"):
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or "format_version" not in data:
        return None
    return Plan.from_json(data)


def check_target(plan: Plan, target: Target) -> None:
    """A saved plan applies only to the tenant it was computed against."""
    if plan.target_identity != target.identity:
        raise PlanError(
            f"the plan was made for {plan.target}, but the target is {target.label}",
            hint="pass the same --target (or EGAIN_API_URL / EGAIN_SANDBOX_DB) as when planning",
        )


async def verify_saved_plan(plan: Plan, target: Target, parallelism: int) -> None:
    """Refuse, naming each object, when the tenant moved since the plan was made."""
    stale = stale_objects(plan, await read_tenant(target, parallelism))
    if stale:
        raise PlanError(
            "the tenant changed since this plan was made; nothing was applied:\n" + "\n".join(f"  {s}" for s in stale),
            hint="run plan again and review the new plan",
        )


def stale_objects(plan: Plan, live: LiveState) -> list[str]:
    """Each planned action whose object no longer is as the plan recorded it."""
    problems = []
    for action in plan.actions:
        name = f'{action.kind} "{action.natural_key}"'
        if action.action == "create":
            if live.find(action.kind, action.natural_key):
                problems.append(f"{name} now exists in the tenant (the plan would create it)")
            continue
        current = live.by_id.get(action.id or "")
        if current is None:
            problems.append(f"{name} ({action.id}) no longer exists")
        elif current.modified != action.modified:
            problems.append(f"{name} ({action.id}) was modified at {current.modified} (planned at {action.modified})")
    return problems


def fill_secrets(plan: Plan, variables: Mapping[str, str], environ: Mapping[str, str]) -> None:
    """Put the sensitive values a saved plan left out back into its bodies, all before any request.

    Every expression is evaluated again (`${env:...}` from the environment, `${var:...}` from --var);
    any that cannot be is reported together, and nothing is applied.
    """
    interpolator = Interpolator(variables, environ)
    problems = []
    for action in plan.actions:
        if action.body is None:
            continue
        for path, expression in action.sensitive.items():
            if not isinstance(get_concrete(action.body, path), SensitivePlaceholder):
                continue
            if expression is None:
                problems.append(f"{action.address}: {path} is a literal secret, and saved plans never hold secrets")
                continue
            try:
                set_concrete(action.body, path, interpolator.expand(expression, Path.cwd()).value)
            except InterpolationError as exc:
                problems.append(f"{action.address}: {path}: {exc.message}")
    if problems:
        raise PlanError(
            "the saved plan needs values it does not hold; nothing was applied:\n"
            + "\n".join(f"  {p}" for p in problems),
            hint="set the EGAIN_VAR_... variables (and --var values) the manifests used when planning; "
            "use ${env:EGAIN_VAR_...} for secrets rather than literals",
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


async def execute(plan: Plan, target: Target, *, parallelism: int, journal_path: str) -> ApplyResult:
    """Run the plan with a journal and progress on stderr."""
    journal = Journal(journal_path, run_id=new_run_id(), target=target.label)
    progress = Progress(len(plan.actions))
    try:
        async with target.client(parallelism=parallelism) as client:
            executor = Executor(
                client,
                plan,
                journal=journal,
                parallelism=parallelism,
                on_outcome=progress,
            )
            return await executor.run()
    finally:
        journal.close()

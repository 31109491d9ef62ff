"""The stages wired together for the commands: manifests -> (with the live tenant) plan -> apply."""

from __future__ import annotations

import asyncio
import collections
import gc
import json
import signal
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

import click

from egain_provision.apply import ApplyResult, ExecutablePlan, Executor, Outcome, bind, new_run_id
from egain_provision.apply.binding import check_target, check_unchanged
from egain_provision.context import RunContext
from egain_provision.errors import ManifestError, PlanError, UsageError
from egain_provision.journal import Journal
from egain_provision.kinds import SETUP_ORDER
from egain_provision.live import LiveState, agreed, read_live
from egain_provision.manifest import ManifestSet, load_manifests
from egain_provision.manifest.reading import Unreadable, read_regular_file
from egain_provision.manifest.report import text_line
from egain_provision.plan import Plan
from egain_provision.planner import PlanOptions, build_plan
from egain_provision.saved_plan import check_signature, plan_key, refuse

T = TypeVar("T")


class StageRunner(Protocol):
    """Runs one stage (a coroutine) to completion on the command's event loop."""

    def __call__(self, stage: Coroutine[Any, Any, T], /) -> T: ...


@contextmanager
def one_client(context: RunContext) -> Iterator[StageRunner]:
    """Run a command's stages (`run(stage)`) on one event loop with one client held open for all of them.

    Between stages no loop runs, so a prompt there is interrupted by Ctrl-C as usual; the
    client's connections and token stay good because every stage runs on the same loop.
    """
    with asyncio.Runner() as runner:

        def run(stage: Coroutine[Any, Any, T]) -> T:
            # The task's own result stays None: the runner formats the finished task when it
            # restores its signal handler, and the repr of a 10,000-action plan costs ~0.8 s.
            box: list[T] = []

            async def boxed() -> None:
                box.append(await stage)

            runner.run(boxed())
            return box[0]

        runner.run(context.open_client())
        try:
            yield run
        finally:
            runner.run(context.close_client())


def load_valid_manifests(
    paths: Sequence[str], variables: Mapping[str, str], environ: Mapping[str, str] | None = None
) -> ManifestSet:
    """The manifests, or ManifestError carrying every error diagnostic (warnings are kept in the set)."""
    manifest_set = load_manifests(paths, variables=variables, environ=environ)
    # A warning, not an error: one variable file may serve several setups. Shown even when the
    # manifests are invalid, since a misspelt --var is the likely cause of "variable is not set".
    for warning in manifest_set.unused_variables(variables):
        click.echo(text_line(warning), nl=False, err=True)
    if manifest_set.has_errors:
        lines = [f"{d.location}: {d.message}" + (f" [{d.path}]" if d.path else "") for d in manifest_set.errors]
        count = len(lines)
        raise ManifestError(
            f"{count} error{'s' if count != 1 else ''} in the manifests:\n" + "\n".join(lines),
            hint="run `egain-provision validate` on the same paths for details and hints",
            diagnostics=manifest_set.errors,
        )
    return manifest_set


async def read_tenant(context: RunContext) -> LiveState:
    """Every live object of every kind (references cross kinds, so --kind never narrows the read)."""
    async with context.client() as client:
        return await read_live(client, SETUP_ORDER)


async def compute_plan(manifest_set: ManifestSet, context: RunContext, options: PlanOptions) -> Plan:
    """Read the live tenant and diff it against the manifests; a create stands on two reads that agree.

    Only the kinds the plan creates in are read again (`agreed`), so a converged tenant costs one
    read; when a second read changed what is live, the plan is made again from it.
    """

    def plan_of(live: LiveState) -> Plan:
        return build_plan(
            manifest_set.objects,
            live,
            target=context.target.label,
            target_identity=context.target.identity,
            ignore=manifest_set.ignore,
            ownership=manifest_set.ownership,
            manifests=manifest_set.files,
            options=options,
            sensitive=manifest_set.sensitive,
        )

    async with context.client() as client:
        live = await read_live(client, SETUP_ORDER)
        # The manifests and the tenant as read live until the end: the collector need not rescan them
        # while planning (at 30,000 objects those passes were a tenth of the plan's CPU).
        gc.freeze()
        plan = plan_of(live)
        confirmed: set[str] = set()
        # Bounded by the kinds: each round confirms at least one kind more.
        while kinds := created_kinds(plan) - confirmed:
            confirmed |= kinds
            reread = await agreed(client, live, kinds)
            if reread is not live:
                live, plan = reread, plan_of(reread)
    return plan


def created_kinds(plan: Plan) -> set[str]:
    """The kinds a plan creates objects of."""
    return {action.kind for action in plan.actions if action.action == "create"}


async def prepare_saved_plan(plan: Plan, context: RunContext) -> ExecutablePlan:
    """A saved plan made executable: same target, tenant unchanged since planning, secrets bound again.

    The kinds it creates in are read until two reads agree, as when planning: a create is checked
    against a read that cannot have missed the object.
    """
    check_target(plan, context.target)
    async with context.client() as client:
        live = await agreed(client, await read_live(client, SETUP_ORDER), created_kinds(plan))
    check_unchanged(plan, live)
    return bind(plan, context.interpolator())


async def execute(plan: ExecutablePlan, context: RunContext, on_outcome: Callable[[Outcome], None]) -> ApplyResult:
    """Run the plan with a journal (opened before anything is sent); `on_outcome` hears of every action."""
    journal = Journal(context.journal_path, run_id=new_run_id(), target=context.target.label)
    try:
        async with context.client() as client:
            # The client may have read the tenant first: the summary counts the execution's requests only.
            before, paced = replace(client.stats), context.pacer.waited
            sent_before = collections.Counter(client.stats.by_method)
            executor = Executor(
                client, plan, journal=journal, on_outcome=on_outcome, read_after_write=context.read_after_write
            )
            with interruptible(executor, context.network.notice):
                result = await executor.run()
            result.requests = client.stats.requests - before.requests
            result.throttled = client.stats.throttled - before.throttled
            result.by_method = dict(client.stats.by_method - sent_before)
            result.waited = client.stats.waited - before.waited + context.pacer.waited - paced
            return result
    finally:
        journal.close()


def refuse_excess_deletes(plan: Plan) -> None:
    """PlanError when the plan deletes more than its --max-deletes allows (shown, never applied)."""
    if plan.delete_limit_exceeded:
        count = plan.count("delete")
        raise PlanError(
            f"the plan deletes {count} objects, more than --max-deletes {plan.max_deletes}",
            hint=f"review the deletes, then pass --max-deletes {count} if they are intended",
        )


@contextmanager
def interruptible(executor: Executor, notice: Callable[[str], None] | None) -> Iterator[None]:
    """SIGINT/SIGTERM while applying: stop starting changes, let those in flight finish; a second one abandons them."""
    loop = asyncio.get_running_loop()

    def interrupted() -> None:
        first = not executor.scheduler.interrupted
        executor.interrupt()
        if notice is not None:
            notice(
                "Interrupted: no more changes are started; waiting for those in flight (again to abandon them)"
                if first
                else "Interrupted again: abandoning the changes in flight (their outcome is unknown)"
            )

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, interrupted)
    try:
        yield
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def read_plan_file(paths: tuple[str, ...]) -> Plan | None:
    """The saved plan when PATHS is a single plan file (a JSON object with `format_version`), else None.

    Read and checked as `load_plan_file` does (bounded, format version, digest, schema): a file that
    is a plan but fails a check is a PlanError, never taken for a manifest.
    """
    if len(paths) != 1 or not Path(paths[0]).is_file():
        return None
    try:
        text = _plan_text(paths[0])
    except (UsageError, PlanError):
        return None
    if not text.lstrip().startswith("{"):
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or "format_version" not in data:
        return None
    plan = _plan_of(data, paths[0], applying=True)
    try:
        refuse(plan)
    except PlanError as exc:
        exc.where = paths[0]
        raise
    return plan


# A saved plan of many thousands of objects is a few MB; anything near this is not a plan.
MAX_PLAN_FILE_BYTES = 512 * 1024 * 1024
NOT_A_PLAN_HINT = "name a file written by `egain-provision plan --out FILE`"


def load_plan_file(path: str) -> Plan:
    """The saved plan at `path`, after apply's checks of the file (format version, digest, signature, schema);
    PlanError otherwise. Its actions are checked by the caller (`saved_plan.refusals`)."""
    text = _plan_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problem = f"not a plan file: not JSON ({exc.msg} at line {exc.lineno})"
        raise PlanError(problem, where=path, hint=NOT_A_PLAN_HINT) from None
    return _plan_of(data, path, applying=False)


def _plan_text(path: str) -> str:
    try:
        return read_regular_file(path, MAX_PLAN_FILE_BYTES).decode("utf-8")
    except Unreadable as exc:
        raise UsageError(f"cannot read the plan file: {exc.reason}", where=path, hint=exc.hint) from None
    except UnicodeDecodeError:
        raise PlanError("not a plan file: not UTF-8 text", where=path, hint=NOT_A_PLAN_HINT) from None


def _plan_of(data: Any, path: str, *, applying: bool) -> Plan:
    """The plan in `data`, its file checked; without a key, `show` notes a signature it could not check."""
    try:
        plan = Plan.from_json(data)
        note = check_signature(data, plan_key(), applying=applying)
    except PlanError as exc:
        exc.where = exc.where or path
        raise
    if note is not None:
        click.echo(f"{path}: {note}", err=True)
    return plan

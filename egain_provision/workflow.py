"""The stages wired together: manifests -> (with the live tenant) plan. Used by `plan` and `apply`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from egain_provision.errors import ManifestError, PlanError
from egain_provision.kinds import SETUP_ORDER
from egain_provision.live import LiveState, read_live
from egain_provision.manifest import ManifestSet, load_manifests
from egain_provision.plan import Plan
from egain_provision.planner import PlanOptions, build_plan
from egain_provision.targets import Target


def load_valid_manifests(
    paths: Sequence[str], variables: Mapping[str, str], environ: Mapping[str, str] | None = None
) -> ManifestSet:
    """The manifests, or ManifestError carrying every error diagnostic (warnings are kept in the set)."""
    manifest_set = load_manifests(paths, variables=variables, environ=environ)
    if manifest_set.has_errors:
        lines = [f"{d.location}: {d.message}" + (f" [{d.path}]" if d.path else "") for d in manifest_set.errors]
        count = len(lines)
        raise ManifestError(
            f"{count} error{'s' if count != 1 else ''} in the manifests:\n" + "\n".join(lines),
            hint="run `egain-provision validate` on the same paths for details and hints",
            diagnostics=manifest_set.errors,
        )
    return manifest_set


async def read_tenant(target: Target, parallelism: int) -> LiveState:
    """Every live object of every kind (references cross kinds, so --kind never narrows the read)."""
    async with target.client(parallelism=parallelism) as client:
        return await read_live(client, SETUP_ORDER)


async def compute_plan(manifest_set: ManifestSet, target: Target, options: PlanOptions, *, parallelism: int) -> Plan:
    """Read the live tenant and diff it against the manifests."""
    return build_plan(
        manifest_set.objects,
        await read_tenant(target, parallelism),
        target=target.label,
        target_identity=target.identity,
        ignore=manifest_set.ignore,
        manifests=manifest_set.files,
        options=options,
    )


def refuse_excess_deletes(plan: Plan) -> None:
    """PlanError when the plan deletes more than its --max-deletes allows (shown, never applied)."""
    if plan.delete_limit_exceeded:
        count = plan.count("delete")
        raise PlanError(
            f"the plan deletes {count} objects, more than --max-deletes {plan.max_deletes}",
            hint=f"review the deletes, then pass --max-deletes {count} if they are intended",
        )

"""From a plan to what apply may execute: the saved plan read back, checked and bound again.

A saved plan (`plan --out`) holds no secret: each sensitive value is the expression it came
from. `bind` evaluates those again and makes new bodies, so the plan itself never changes
and never holds a secret. A saved plan is used only against the tenant it was made for, and
only while every object it touches is still as it was planned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from egain_provision.errors import PlanError
from egain_provision.kinds import KINDS_BY_NAME
from egain_provision.live import LiveObject, LiveState, same_modified
from egain_provision.manifest.interpolate import InterpolationError, Interpolator
from egain_provision.normalize import clone, fingerprint
from egain_provision.paths import get_concrete, set_concrete
from egain_provision.plan import Action, Plan, SensitivePlaceholder
from egain_provision.targets import Target


@dataclass(frozen=True)
class ExecutablePlan:
    """A plan with every body complete (secrets included); lives only in memory, never written out."""

    plan: Plan
    bodies: Mapping[str, dict[str, Any]]
    secrets: frozenset[str]

    @property
    def actions(self) -> tuple[Action, ...]:
        return tuple(self.plan.actions)

    def body(self, action: Action) -> dict[str, Any] | None:
        """The body to send for `action` (references to objects this run creates still to be filled in)."""
        return self.bodies.get(action.address)


def bind(plan: Plan, interpolator: Interpolator | None = None) -> ExecutablePlan:
    """The executable twin of `plan`: sensitive placeholders evaluated again (all before any request).

    Every expression that cannot be evaluated is reported together, and nothing is applied.
    """
    bodies: dict[str, dict[str, Any]] = {}
    secrets: set[str] = set()
    problems: list[str] = []
    for action in plan.actions:
        if action.body is None:
            continue
        body = clone(action.body)
        for path, expression in action.sensitive.items():
            value = get_concrete(body, path)
            if isinstance(value, SensitivePlaceholder):
                value = _evaluate(action, path, expression, interpolator, problems)
                set_concrete(body, path, value)
            if isinstance(value, str):
                secrets.add(value)
        bodies[action.address] = body
    if problems:
        raise PlanError(
            "the saved plan needs values it does not hold; nothing was applied:\n"
            + "\n".join(f"  {p}" for p in problems),
            hint="set the EGAIN_VAR_... variables (and --var values) the manifests used when planning; "
            "use ${env:EGAIN_VAR_...} for secrets rather than literals",
        )
    return ExecutablePlan(plan, bodies, frozenset(secrets))


def _evaluate(
    action: Action, path: str, expression: str | None, interpolator: Interpolator | None, problems: list[str]
) -> Any:
    if expression is None:
        problems.append(f"{action.address}: {path} is a literal secret, and saved plans never hold secrets")
        return None
    if interpolator is None:
        problems.append(f"{action.address}: {path} has no value to evaluate it with")
        return None
    if "${file:" in expression:
        # Relative to the manifest when planned, but a saved plan is applied from anywhere: never guess the file.
        problems.append(
            f"{action.address}: {path} comes from a ${{file:...}}, which a saved plan cannot read again safely; "
            "use ${env:EGAIN_VAR_...} for it, or apply the manifests"
        )
        return None
    try:
        return interpolator.expand(expression, Path.cwd()).value
    except InterpolationError as exc:
        problems.append(f"{action.address}: {path}: {exc.message}")
        return None


def check_target(plan: Plan, target: Target) -> None:
    """A saved plan applies only to the tenant it was computed against."""
    if plan.target_identity != target.identity:
        raise PlanError(
            f"the plan was made for {plan.target}, but the target is {target.label}",
            hint="pass the same --target (or EGAIN_API_URL / EGAIN_SANDBOX_DB) as when planning",
        )


def check_unchanged(plan: Plan, live: LiveState) -> None:
    """Refuse, naming each object, when the tenant moved since the plan was made."""
    stale = stale_objects(plan, live)
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
        elif current.kind != action.kind:
            problems.append(f"{name}: its id {action.id} names a {current.kind} object, not a {action.kind} one")
        elif current.natural_key not in (action.natural_key, action.previous_key):
            problems.append(f"{name}: its id {action.id} names {current.natural_key!r}, which the plan does not name")
        elif (moved := _moved(action, current)) is not None:
            problems.append(f"{name} ({action.id}) {moved}")
    return problems


def _moved(action: Action, current: LiveObject) -> str | None:
    """How the object changed since the plan read it, or None."""
    if not same_modified(current.modified, action.modified):
        return f"was modified at {current.modified} (planned at {action.modified})"
    # Whatever `modified` looks like (none at all, too coarse to tell two writes apart): the content moved.
    if action.fingerprint is not None and fingerprint(KINDS_BY_NAME[action.kind], current.body) != action.fingerprint:
        return "changed since the plan was made"
    return None

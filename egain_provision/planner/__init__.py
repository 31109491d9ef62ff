"""Desired objects + live objects -> a frozen Plan, in pure steps (decK's "diff" stage, Terraform's plan as a value).

match (declared to live) -> check_references (every reference resolves) -> plan_object (one
create or update each) -> prune (unmanaged objects, deletes with --prune) -> order_actions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from egain_provision.errors import PlanError
from egain_provision.kinds import SETUP_ORDER
from egain_provision.live import LiveState
from egain_provision.model import DesiredObject, Diagnostic, Ownership
from egain_provision.plan import Action, MadeUnder, NormalisationNote, Plan
from egain_provision.planner.match import Matching, Pending, check_references, is_ignored, match
from egain_provision.planner.objects import plan_object, unknown_field_warnings, unprotected_kinds
from egain_provision.planner.order import order_actions
from egain_provision.planner.prune import prune
from egain_provision.sensitive import Marked

DEFAULT_MAX_DELETES = 10

__all__ = ["DEFAULT_MAX_DELETES", "PlanOptions", "build_plan", "order_actions"]


@dataclass(frozen=True)
class PlanOptions:
    """What the user asked of the plan."""

    prune: bool = False
    max_deletes: int = DEFAULT_MAX_DELETES
    kinds: tuple[str, ...] = ()
    rotate_secrets: bool = False
    # `--only KIND/NAME` patterns (NAME a glob): a partial plan of the objects they select.
    only: tuple[str, ...] = ()

    def selects(self, kind: str, key: str) -> bool:
        """Whether `--only` leaves this object in the plan (every object without `--only`)."""
        return not self.only or any(
            kind == wanted and fnmatchcase(key, glob) for wanted, _, glob in (item.partition("/") for item in self.only)
        )


def build_plan(
    objects: Sequence[DesiredObject],
    live: LiveState,
    *,
    target: str,
    target_identity: str,
    ignore: Mapping[str, Sequence[str]] | None = None,
    ownership: Ownership | None = None,
    manifests: Sequence[str] = (),
    options: PlanOptions | None = None,
    sensitive: Marked | None = None,
) -> Plan:
    """Compare the declared objects with the live tenant; PlanError (with diagnostics) for unresolvable input.

    `ownership` (`scope:`) limits the live objects it speaks of; the loader refused declared ones outside."""
    options = options or PlanOptions()
    ignore = ignore or {}
    ownership = ownership or Ownership()
    scope = set(options.kinds) or set(SETUP_ORDER)
    managed = [obj for obj in objects if obj.kind in scope and _managed(obj, ignore, options)]
    matching, pending = _resolved(objects, managed, live, scope, options)

    warnings = [
        f"{obj.location}: {obj.kind} {obj.natural_key!r} is declared but matches an ignore glob; left unchanged"
        for obj in objects
        if obj.kind in scope and is_ignored(ignore, obj.kind, obj.natural_key)
    ]
    forward, unchanged, normalised = _plan_declared(managed, matching, pending, options, sensitive, warnings)
    pruning = prune(
        objects, matching, forward, scope=scope, ignore=ignore, ownership=ownership, delete=options.prune,
        marked=sensitive,
        selected=options.selects,
    )
    warnings += [*unknown_field_warnings(live, scope, ignore, ownership), *unprotected_kinds(live, scope)]
    return Plan(
        target=target,
        target_identity=target_identity,
        manifests=tuple(manifests),
        kinds=tuple(name for name in SETUP_ORDER if name in scope),
        prune=options.prune,
        max_deletes=options.max_deletes,
        only=options.only,
        actions=tuple(order_actions(forward + pruning.deletes)),
        unchanged=unchanged,
        unmanaged=tuple(pruning.unmanaged),
        ignored=pruning.ignored,
        out_of_scope=pruning.out_of_scope,
        excluded=pruning.excluded,
        unchanged_names=_unchanged_names(managed, matching, forward),
        warnings=tuple(live.warnings + warnings + pruning.warnings),
        normalisations=normalised,
        made_under=_made_under(ownership, ignore, sensitive),
    )


def _unchanged_names(
    managed: Sequence[DesiredObject], matching: Matching, forward: Sequence[Action]
) -> dict[str, dict[str, str]]:
    """Kind -> live id -> natural key of each managed object the plan leaves as it is."""
    changed = {(action.kind, action.natural_key) for action in forward}
    names: dict[str, dict[str, str]] = {}
    for obj in managed:
        live = matching.live_of(obj)
        if live is not None and (obj.kind, obj.natural_key) not in changed:
            names.setdefault(obj.kind, {})[live.id] = obj.natural_key
    return names


def _made_under(ownership: Ownership, ignore: Mapping[str, Sequence[str]], sensitive: Marked | None) -> MadeUnder:
    """What the plan records of the manifests it was made from, so a saved plan can be checked against it."""
    return MadeUnder(
        scope=ownership.globs,
        scope_excluded=ownership.excluded,
        ignore={kind: tuple(globs) for kind, globs in ignore.items()},
        sensitive={path: tuple(sorted(names)) for path, names in (sensitive or {}).items()},
    )


def _managed(obj: DesiredObject, ignore: Mapping[str, Sequence[str]], options: PlanOptions) -> bool:
    """Selected by `--only` (or no `--only`) and not matching an ignore glob."""
    return options.selects(obj.kind, obj.natural_key) and not is_ignored(ignore, obj.kind, obj.natural_key)


def _resolved(
    objects: Sequence[DesiredObject],
    managed: Sequence[DesiredObject],
    live: LiveState,
    scope: set[str],
    options: PlanOptions,
) -> tuple[Matching, dict[tuple[str, str], Pending]]:
    """Declared objects matched to live ones, and what each managed one waits for; PlanError if any cannot resolve."""
    matching, problems = match(objects, live)
    pending: dict[tuple[str, str], Pending] = {}
    for obj in managed:
        pending[(obj.kind, obj.natural_key)], found = check_references(obj, matching, scope)
        problems += found + _outside_selection(obj, pending[(obj.kind, obj.natural_key)], options)
    if problems:
        raise PlanError.from_diagnostics(problems)
    return matching, pending


def _outside_selection(obj: DesiredObject, pending: Pending, options: PlanOptions) -> list[Diagnostic]:
    """A reference to an object this plan would have to create, but `--only` leaves out: it cannot resolve."""
    return [
        Diagnostic(
            "error",
            obj.location,
            "",
            f"{obj.kind} {obj.natural_key!r} references {kind} {name!r}, which does not exist in the tenant "
            "and --only leaves out of this plan",
            f"add --only {kind}/{name}, or apply {kind} {name!r} first",
        )
        for kind, name in sorted(pending)
        if not options.selects(kind, name)
    ]


def _plan_declared(
    managed: Sequence[DesiredObject],
    matching: Matching,
    pending: Mapping[tuple[str, str], Pending],
    options: PlanOptions,
    sensitive: Marked | None,
    warnings: list[str],
) -> tuple[list[Action], dict[str, int], list[NormalisationNote]]:
    """A create or update for each managed object that differs, per kind the count of those that do not, and
    the values the tenant stores normalised."""
    forward: list[Action] = []
    unchanged: dict[str, int] = {}
    normalised: list[NormalisationNote] = []
    write_only_skipped = 0
    for obj in managed:
        waiting_for = pending[(obj.kind, obj.natural_key)]
        planned = plan_object(obj, matching, waiting_for, rotate_secrets=options.rotate_secrets, marked=sensitive)
        write_only_skipped += planned.write_only_skipped
        normalised += planned.normalised
        if planned.action is None:
            unchanged[obj.kind] = unchanged.get(obj.kind, 0) + 1
        else:
            forward.append(planned.action)
    if write_only_skipped:
        warnings.append(
            f"{write_only_skipped} secret field(s) are write-only on this tenant and were not compared; "
            "pass --rotate-secrets to send them"
        )
    return forward, unchanged, normalised

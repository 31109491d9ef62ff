"""Step 4 of planning: live objects nothing declares, which of them --prune may delete, and in what order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from egain_provision.kinds import KINDS_BY_NAME, SETUP_ORDER, Kind
from egain_provision.live import LiveObject
from egain_provision.model import DesiredObject, Ownership, Ref
from egain_provision.plan import Action, Unmanaged, address_of
from egain_provision.planner.match import Matching, is_ignored
from egain_provision.planner.objects import plan_delete
from egain_provision.references import iter_references
from egain_provision.sensitive import Marked


@dataclass
class Pruning:
    """What planning found among the live objects nothing declares."""

    deletes: list[Action] = field(default_factory=list)
    unmanaged: list[Unmanaged] = field(default_factory=list)
    ignored: dict[str, int] = field(default_factory=dict)
    out_of_scope: dict[str, int] = field(default_factory=dict)
    # Of those out of scope, the ones a scope exclusion (`!glob`) took out, per `kind: !glob`.
    excluded: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def prune(
    objects: Sequence[DesiredObject],
    matching: Matching,
    forward: Sequence[Action],
    *,
    scope: Collection[str],
    ignore: Mapping[str, Sequence[str]],
    delete: bool,
    ownership: Ownership,
    marked: Marked | None = None,
    selected: Callable[[str, str], bool] | None = None,
) -> Pruning:
    """The unmanaged objects of the planned kinds; with `delete`, a delete for each one nothing that stays references.

    Only objects the manifests own (`scope:`) are candidates: the others, like the ignored, are
    only counted. Ownership comes first, so `ignore:` globs speak only of owned objects. Objects
    `selected` (`--only`) leaves out are neither listed nor deleted: they stay, as live objects do.
    """
    result = Pruning()
    claimed = matching.claimed_ids
    candidates: list[LiveObject] = []
    for name in SETUP_ORDER:
        if name not in scope:
            continue
        for live_obj in sorted(matching.live.of_kind(name), key=lambda item: (item.natural_key, item.id)):
            if live_obj.id in claimed or (selected is not None and not selected(name, live_obj.natural_key)):
                continue
            if not ownership.owns(name, live_obj.natural_key):
                result.out_of_scope[name] = result.out_of_scope.get(name, 0) + 1
                exclusion = ownership.exclusion(name, live_obj.natural_key)
                if exclusion is not None:
                    rule = f"{name}: !{exclusion}"
                    result.excluded[rule] = result.excluded.get(rule, 0) + 1
            elif is_ignored(ignore, name, live_obj.natural_key):
                result.ignored[name] = result.ignored.get(name, 0) + 1
            else:
                candidates.append(live_obj)
    kept_for = still_referenced(objects, matching, candidates) if delete else {}
    doomed = [obj for obj in candidates if delete and obj.id not in kept_for]
    waits = delete_dependencies(matching, forward, doomed)
    for live_obj in candidates:
        if delete and live_obj.id not in kept_for:
            result.deletes.append(plan_delete(live_obj, matching, waits.get(live_obj.id, []), marked))
            continue
        result.unmanaged.append(Unmanaged(live_obj.kind, live_obj.natural_key, live_obj.id))
        if live_obj.id in kept_for:
            result.warnings.append(
                f"{live_obj.kind} {live_obj.natural_key!r} is not declared but {kept_for[live_obj.id]} still "
                "references it; not deleted (declare it, or remove the reference)"
            )
    return result


def still_referenced(
    objects: Iterable[DesiredObject], matching: Matching, candidates: list[LiveObject]
) -> dict[str, str]:
    """The prune candidates something that stays still references (transitively), with who refers.

    What stays: every declared object (with the references it will have) and every live
    object that is not a candidate. Deleting what they reference could never succeed.
    """
    pending = {obj.id: obj for obj in candidates}
    holders: list[tuple[str, list[str]]] = []
    for obj in objects:
        holders.append((f"{obj.kind} {obj.natural_key!r}", referenced_ids(matching, obj.kind, obj.body)))
    for live_obj in matching.live.by_id.values():
        if live_obj.id not in pending:
            holders.append((_label(live_obj), referenced_ids(matching, live_obj.kind, live_obj.body)))
    kept: dict[str, str] = {}
    while holders:
        holder, ids = holders.pop()
        for object_id in ids:
            target = pending.pop(object_id, None)
            if target is not None:
                kept[object_id] = holder
                holders.append((_label(target), referenced_ids(matching, target.kind, target.body)))
    return kept


def delete_dependencies(
    matching: Matching, forward: Sequence[Action], doomed: Sequence[LiveObject]
) -> dict[str, list[str]]:
    """For each doomed id: the updates and deletes of live objects referencing it, which must go first."""
    deleting = {obj.id: address_of("delete", obj.kind, obj.natural_key, obj.id) for obj in doomed}
    if not deleting:
        return {}
    by_id = {action.id: action.address for action in forward if action.id}
    by_id.update(deleting)
    waits: dict[str, list[str]] = defaultdict(list)
    for live_obj in matching.live.by_id.values():
        for target_id in referenced_ids(matching, live_obj.kind, live_obj.body):
            referrer = by_id.get(live_obj.id)
            if target_id in deleting and referrer is not None and referrer not in waits[target_id]:
                waits[target_id].append(referrer)
    return waits


def referenced_ids(matching: Matching, kind_name: str, body: dict[str, Any]) -> list[str]:
    """The live ids a body (desired, with Refs, or live) references."""
    kind: Kind = KINDS_BY_NAME[kind_name]
    found = []
    for reference, slot in iter_references(kind, body):
        value = slot.value
        object_id = matching.resolve(value) if isinstance(value, Ref) else reference.id_in(value)
        if isinstance(object_id, str):
            found.append(object_id)
    return found


def _label(obj: LiveObject) -> str:
    return f"{obj.kind} {obj.natural_key!r}"

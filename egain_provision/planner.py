"""Desired objects + live objects -> a Plan (decK's "diff" stage, Terraform's plan as a value)."""

from __future__ import annotations

import difflib
import heapq
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from graphlib import CycleError, TopologicalSorter
from typing import Any

from egain_provision.diff import diff_documents, pattern_of
from egain_provision.errors import PlanError
from egain_provision.kinds import KINDS_BY_NAME, SETUP_ORDER, Kind
from egain_provision.live import LiveObject, LiveState
from egain_provision.model import DesiredObject, Ref, SourceLocation
from egain_provision.normalize import (
    align_paths,
    clone,
    comparable,
    desired_to_manifest,
    is_masked,
    live_to_manifest,
    mark_sensitive,
)
from egain_provision.paths import get_path, iter_slots
from egain_provision.plan import SENSITIVE_DISPLAY, WRITE_ONLY_DISPLAY, Action, Change, Plan, Unmanaged

DEFAULT_MAX_DELETES = 10


@dataclass(frozen=True)
class PlanOptions:
    """What the user asked of the plan."""

    prune: bool = False
    max_deletes: int = DEFAULT_MAX_DELETES
    kinds: tuple[str, ...] = ()
    rotate_secrets: bool = False


@dataclass
class _Problems:
    """Reference and matching errors, gathered so one run reports all of them."""

    messages: list[str] = field(default_factory=list)

    def add(self, where: SourceLocation | str, message: str, hint: str | None = None) -> None:
        text = f"{where}: {message}"
        self.messages.append(text + (f"\n  hint: {hint}" if hint else ""))

    def raise_if_any(self) -> None:
        if self.messages:
            count = len(self.messages)
            raise PlanError(
                f"{count} problem{'s' if count != 1 else ''} prevent planning:\n" + "\n".join(self.messages)
            )


def build_plan(
    objects: Sequence[DesiredObject],
    live: LiveState,
    *,
    target: str,
    target_identity: str,
    ignore: Mapping[str, Sequence[str]] | None = None,
    manifests: Sequence[str] = (),
    options: PlanOptions | None = None,
) -> Plan:
    """Compare the declared objects with the live tenant; raises PlanError for unresolvable input."""
    return _Planner(objects, live, ignore or {}, options or PlanOptions()).run(target, target_identity, manifests)


class _Planner:
    def __init__(
        self,
        objects: Sequence[DesiredObject],
        live: LiveState,
        ignore: Mapping[str, Sequence[str]],
        options: PlanOptions,
    ) -> None:
        self.objects = list(objects)
        self.live = live
        self.ignore = ignore
        self.options = options
        self.scope = set(options.kinds) or set(SETUP_ORDER)
        self.problems = _Problems()
        self.declared: dict[tuple[str, str], DesiredObject] = {}
        self.matched: dict[tuple[str, str], LiveObject] = {}
        self.key_by_live_id: dict[str, str] = {}

    # --- matching --------------------------------------------------------------------------

    def is_ignored(self, kind: str, key: str) -> bool:
        return any(fnmatchcase(key, glob) for glob in self.ignore.get(kind, ()))

    def match(self) -> None:
        for obj in self.objects:
            self.declared[(obj.kind, obj.natural_key)] = obj
        claimed: dict[str, DesiredObject] = {}
        for obj in self.objects:
            title = KINDS_BY_NAME[obj.kind].title
            for key in (obj.natural_key, *obj.previous_names):
                found = self.live.find(obj.kind, key)
                if len(found) > 1:
                    ids = ", ".join(item.id for item in found)
                    self.problems.add(
                        obj.location,
                        f"{len(found)} live {title} objects are named {key!r} ({ids}); cannot tell which one to manage",
                        "delete or rename the extra objects in the tenant, or ignore the name",
                    )
                    break
                if found:
                    other = claimed.get(found[0].id)
                    if other is not None:
                        self.problems.add(
                            obj.location,
                            f"live {title} {key!r} is also claimed by {other.natural_key!r} ({other.location})",
                            "a previousNames entry may name only one declared object",
                        )
                        break
                    claimed[found[0].id] = obj
                    self.matched[(obj.kind, obj.natural_key)] = found[0]
                    self.key_by_live_id[found[0].id] = obj.natural_key
                    break

    def key_of_id(self, kind: str, object_id: str) -> str | None:
        """How a live id is named in plans: its declared key when matched, else its live key."""
        obj = self.live.by_id.get(object_id)
        if obj is None or obj.kind != kind:
            return None
        return self.key_by_live_id.get(object_id, obj.natural_key)

    def resolve(self, ref: Ref) -> str | None:
        """The live id a reference points at, or None when its object is created by this plan."""
        if (ref.kind, ref.name) in self.declared:
            matched = self.matched.get((ref.kind, ref.name))
            return matched.id if matched else None
        found = self.live.find(ref.kind, ref.name)
        return found[0].id if len(found) == 1 else None

    def check_references(self, obj: DesiredObject) -> set[tuple[str, str]]:
        """Report unresolvable references of `obj`; the (kind, name) targets this plan creates."""
        pending: set[tuple[str, str]] = set()
        kind = KINDS_BY_NAME[obj.kind]
        for reference in kind.references:
            for slot in iter_slots(obj.body, reference.wire_path):
                ref = slot.value
                if not isinstance(ref, Ref):
                    continue
                where = obj.field_locations.get(reference.manifest_path_of(slot.path), obj.location)
                title = KINDS_BY_NAME[ref.kind].title
                if (ref.kind, ref.name) in self.declared:
                    if (ref.kind, ref.name) in self.matched:
                        continue
                    if ref.kind not in self.scope:
                        self.problems.add(
                            where,
                            f"{title} {ref.name!r} is declared but does not exist in the tenant, and --kind leaves "
                            f"{ref.kind} out of this plan",
                            f"add --kind {ref.kind}, or apply {ref.kind} first",
                        )
                    pending.add((ref.kind, ref.name))
                    continue
                found = self.live.find(ref.kind, ref.name)
                if len(found) == 1:
                    continue
                if found:
                    ids = ", ".join(item.id for item in found)
                    self.problems.add(
                        where,
                        f"{title} {ref.name!r} is ambiguous in the tenant ({ids})",
                        "reference it by literal id: {id: <uuid>}",
                    )
                    continue
                candidates = [key for (k, key) in self.declared if k == ref.kind]
                candidates += [item.natural_key for item in self.live.of_kind(ref.kind)]
                close = difflib.get_close_matches(ref.name, candidates, n=1)
                self.problems.add(
                    where,
                    f"{title} {ref.name!r} is neither declared in the manifests nor present in the tenant",
                    f"did you mean {close[0]!r}?" if close else f"declare it under {ref.kind}:, or create it first",
                )
        return pending

    # --- the plan --------------------------------------------------------------------------

    def run(self, target: str, target_identity: str, manifests: Sequence[str]) -> Plan:  # noqa: C901
        self.match()
        plan = Plan(
            target=target,
            target_identity=target_identity,
            manifests=list(manifests),
            kinds=[name for name in SETUP_ORDER if name in self.scope],
            prune=self.options.prune,
            max_deletes=self.options.max_deletes,
        )
        pending_by_object: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for obj in self.objects:
            if obj.kind in self.scope and not self.is_ignored(obj.kind, obj.natural_key):
                pending_by_object[(obj.kind, obj.natural_key)] = self.check_references(obj)
        self.problems.raise_if_any()

        write_only_skipped = 0
        actions: list[Action] = []
        for obj in self.objects:
            if obj.kind not in self.scope:
                continue
            if self.is_ignored(obj.kind, obj.natural_key):
                plan.warnings.append(
                    f"{obj.location}: {obj.kind} {obj.natural_key!r} is declared but matches an ignore glob; "
                    "left unchanged"
                )
                continue
            action, skipped = self.plan_object(obj, pending_by_object[(obj.kind, obj.natural_key)])
            write_only_skipped += skipped
            if action is None:
                plan.unchanged[obj.kind] = plan.unchanged.get(obj.kind, 0) + 1
            else:
                actions.append(action)
        if write_only_skipped:
            plan.warnings.append(
                f"{write_only_skipped} secret field(s) are write-only on this tenant and were not compared; "
                "pass --rotate-secrets to send them"
            )

        claimed = {item.id for item in self.matched.values()}
        unmanaged: list[LiveObject] = []
        for name in SETUP_ORDER:
            if name not in self.scope:
                continue
            for live_obj in sorted(self.live.of_kind(name), key=lambda item: (item.natural_key, item.id)):
                if live_obj.id in claimed:
                    continue
                if self.is_ignored(name, live_obj.natural_key):
                    plan.ignored[name] = plan.ignored.get(name, 0) + 1
                else:
                    unmanaged.append(live_obj)
        kept_for = self.still_referenced(unmanaged) if self.options.prune else {}
        for live_obj in unmanaged:
            if self.options.prune and live_obj.id not in kept_for:
                actions.append(self.plan_delete(live_obj))
                continue
            plan.unmanaged.append(Unmanaged(live_obj.kind, live_obj.natural_key, live_obj.id))
            if live_obj.id in kept_for:
                plan.warnings.append(
                    f"{live_obj.kind} {live_obj.natural_key!r} is not declared but {kept_for[live_obj.id]} still "
                    "references it; not deleted (declare it, or remove the reference)"
                )

        self.link_deletes(actions)
        plan.actions = order_actions(actions)
        return plan

    def plan_object(self, obj: DesiredObject, pending: set[tuple[str, str]]) -> tuple[Action | None, int]:
        """The create or update for one declared object (None when it already matches)."""
        kind = KINDS_BY_NAME[obj.kind]
        live_obj = self.matched.get((obj.kind, obj.natural_key))
        sensitive_paths = sorted(
            set(obj.sensitive) | {p for p in kind.secret_fields if get_path(obj.body, p) is not None}
        )
        desired_api = clone(obj.body)
        mark_sensitive(desired_api, sensitive_paths)
        desired_doc = comparable(kind, desired_to_manifest(kind, desired_api, self.resolve, self.key_of_id))
        depends_on = sorted(f"{k}/{name}" for k, name in pending)
        body = self.wire_body(kind, obj.body)
        sensitive = {path: obj.sensitive.get(path) for path in sensitive_paths}
        if live_obj is None:
            changes = diff_documents(None, desired_doc)
            return (
                Action(
                    action="create",
                    kind=obj.kind,
                    natural_key=obj.natural_key,
                    changes=self.mark_pending(kind, changes, pending),
                    body=body,
                    sensitive=sensitive,
                    depends_on=depends_on,
                    location=obj.location,
                ),
                0,
            )

        live_api = clone(live_obj.body)
        notes: list[str] = []
        forced: list[Change] = []
        skipped = 0
        for path in kind.secret_fields:
            if get_path(obj.body, path) is not None and is_masked(get_path(live_obj.body, path)):
                # The tenant does not reveal this secret: never report a phantom change for it.
                skipped += 1
                _set_leaf(live_api, path, get_path(obj.body, path))
                if self.options.rotate_secrets:
                    notes.append(f"{path}: write-only on this tenant; sent because of --rotate-secrets")
                    forced.append(Change(path, WRITE_ONLY_DISPLAY, SENSITIVE_DISPLAY, sensitive=True))
                else:
                    notes.append(f"{path}: write-only on this tenant, not compared")
        live_sensitive = align_paths(kind, sensitive_paths, obj.body, live_obj.body)
        mark_sensitive(live_api, sorted(set(live_sensitive) | set(kind.secret_fields)))
        live_doc = comparable(kind, live_to_manifest(kind, live_api, self.key_of_id))
        changes = self.mark_pending(kind, diff_documents(live_doc, desired_doc), pending) + forced
        if not changes:
            return None, skipped
        body["modified"] = live_obj.modified
        return (
            Action(
                action="update",
                kind=obj.kind,
                natural_key=obj.natural_key,
                id=live_obj.id,
                modified=live_obj.modified,
                previous_key=live_obj.natural_key if live_obj.natural_key != obj.natural_key else None,
                changes=sorted(changes, key=lambda change: change.path),
                body=body,
                sensitive=sensitive,
                depends_on=depends_on,
                notes=notes,
                location=obj.location,
            ),
            0 if self.options.rotate_secrets else skipped,
        )

    def plan_delete(self, live_obj: LiveObject) -> Action:
        kind = KINDS_BY_NAME[live_obj.kind]
        live_api = clone(live_obj.body)
        mark_sensitive(live_api, list(kind.secret_fields))
        doc = comparable(kind, live_to_manifest(kind, live_api, self.key_of_id))
        return Action(
            action="delete",
            kind=live_obj.kind,
            natural_key=live_obj.natural_key,
            id=live_obj.id,
            modified=live_obj.modified,
            changes=diff_documents(doc, None),
        )

    def wire_body(self, kind: Kind, body: dict[str, Any]) -> dict[str, Any]:
        """The body to send: references to live objects as ids, references to new objects kept as Refs."""
        wire = clone(body)
        for reference in kind.references:
            for slot in list(iter_slots(wire, reference.wire_path)):
                if isinstance(slot.value, Ref):
                    object_id = self.resolve(slot.value)
                    if object_id is not None:
                        slot.replace(object_id if reference.bare else {"id": object_id})
        return wire

    def mark_pending(self, kind: Kind, changes: list[Change], pending: set[tuple[str, str]]) -> list[Change]:
        """Flag references to objects this plan creates: their ids are known only after apply."""
        if not pending:
            return changes
        patterns = {pattern_of(reference.path): reference.target for reference in kind.references}
        marked = []
        for change in changes:
            target = patterns.get(pattern_of(change.path))
            names = change.after if isinstance(change.after, list) else [change.after]
            if target is not None and any(isinstance(n, str) and (target, n) in pending for n in names):
                change = Change(change.path, change.before, change.after, change.sensitive, known_after_apply=True)
            marked.append(change)
        return marked

    def still_referenced(self, candidates: list[LiveObject]) -> dict[str, str]:
        """The prune candidates something that stays still references (transitively), with who refers.

        What stays: every declared object (with the references it will have) and every live
        object that is not a candidate. Deleting what they reference could never succeed.
        """
        pending = {obj.id: obj for obj in candidates}
        holders: list[tuple[str, list[str]]] = []
        for obj in self.objects:
            holders.append((f"{obj.kind} {obj.natural_key!r}", self.referenced_ids(KINDS_BY_NAME[obj.kind], obj.body)))
        for live_obj in self.live.by_id.values():
            if live_obj.id not in pending:
                kind = KINDS_BY_NAME[live_obj.kind]
                holders.append((f"{live_obj.kind} {live_obj.natural_key!r}", self.referenced_ids(kind, live_obj.body)))
        kept: dict[str, str] = {}
        while holders:
            holder, ids = holders.pop()
            for object_id in ids:
                target = pending.pop(object_id, None)
                if target is not None:
                    kept[object_id] = holder
                    label = f"{target.kind} {target.natural_key!r}"
                    holders.append((label, self.referenced_ids(KINDS_BY_NAME[target.kind], target.body)))
        return kept

    def referenced_ids(self, kind: Kind, body: dict[str, Any]) -> list[str]:
        """The live ids a body (desired, with Refs, or live) references."""
        found = []
        for reference in kind.references:
            for slot in iter_slots(body, reference.wire_path):
                value = slot.value
                object_id = self.resolve(value) if isinstance(value, Ref) else reference.id_in(value)
                if isinstance(object_id, str):
                    found.append(object_id)
        return found

    def link_deletes(self, actions: list[Action]) -> None:
        """A delete waits for the deletes and updates of the live objects that reference it."""
        by_id = {action.id: action for action in actions if action.id}
        deleting = {action.id for action in actions if action.action == "delete"}
        if not deleting:
            return
        referrers: dict[str, list[str]] = defaultdict(list)
        for live_obj in self.live.by_id.values():
            for target_id in self.referenced_ids(KINDS_BY_NAME[live_obj.kind], live_obj.body):
                if target_id in deleting:
                    referrers[target_id].append(live_obj.id)
        for action in actions:
            if action.action != "delete" or action.id is None:
                continue
            for referrer_id in referrers.get(action.id, []):
                referrer = by_id.get(referrer_id)
                if referrer is not None and referrer.address not in action.depends_on:
                    action.depends_on.append(referrer.address)


def _set_leaf(document: dict[str, Any], path: str, value: Any) -> None:
    node = document
    parts = path.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def order_actions(actions: list[Action]) -> list[Action]:
    """Creates and updates in dependency order, then deletes in reverse; ties by setup order and name."""
    forward = [action for action in actions if action.action != "delete"]
    deletes = [action for action in actions if action.action == "delete"]
    return _topological(forward, reverse=False) + _topological(deletes, reverse=True)


def _topological(actions: list[Action], *, reverse: bool) -> list[Action]:
    by_address = {action.address: action for action in actions}
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for action in actions:
        sorter.add(action.address, *(dep for dep in action.depends_on if dep in by_address))

    def priority(address: str) -> tuple[int, str]:
        action = by_address[address]
        index = SETUP_ORDER.index(action.kind)
        return (-index if reverse else index, address)

    try:
        sorter.prepare()
    except CycleError as exc:
        raise PlanError(f"the references form a cycle: {' -> '.join(exc.args[1])}") from None
    ready = [(priority(address), address) for address in sorter.get_ready()]
    heapq.heapify(ready)
    ordered: list[Action] = []
    while ready:
        _, address = heapq.heappop(ready)
        ordered.append(by_address[address])
        sorter.done(address)
        for address_ready in sorter.get_ready():
            heapq.heappush(ready, (priority(address_ready), address_ready))
    return ordered

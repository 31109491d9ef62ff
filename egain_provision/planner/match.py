"""Step 1 and 2 of planning: match declared objects to live ones, then resolve and check references."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from egain_provision.kinds import KINDS_BY_NAME, Reference
from egain_provision.live import LiveObject, LiveState
from egain_provision.model import DesiredObject, Diagnostic, Ref, SourceLocation
from egain_provision.references import iter_references, missing_reference

Pending = frozenset[tuple[str, str]]


@dataclass
class Matching:
    """Which live object each declared object manages, and how plans name live ids."""

    live: LiveState
    declared: dict[tuple[str, str], DesiredObject] = field(default_factory=dict)
    matched: dict[tuple[str, str], LiveObject] = field(default_factory=dict)
    key_by_live_id: dict[str, str] = field(default_factory=dict)

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

    def live_of(self, obj: DesiredObject) -> LiveObject | None:
        return self.matched.get((obj.kind, obj.natural_key))

    @property
    def claimed_ids(self) -> set[str]:
        return {item.id for item in self.matched.values()}


def is_ignored(ignore: Mapping[str, Sequence[str]], kind: str, key: str) -> bool:
    """Whether an ignore glob of the manifests covers this natural key."""
    return any(fnmatchcase(key, glob) for glob in ignore.get(kind, ()))


def match(objects: Sequence[DesiredObject], live: LiveState) -> tuple[Matching, list[Diagnostic]]:
    """Pair each declared object with the live object of its natural key (or a previous name)."""
    matching = Matching(live)
    problems: list[Diagnostic] = []
    for obj in objects:
        matching.declared[(obj.kind, obj.natural_key)] = obj
    claimed: dict[str, DesiredObject] = {}
    for obj in objects:
        title = KINDS_BY_NAME[obj.kind].title
        for key in (obj.natural_key, *obj.previous_names):
            found = live.find(obj.kind, key)
            if len(found) > 1:
                ids = ", ".join(item.id for item in found)
                problems.append(
                    _error(
                        obj,
                        f"{len(found)} live {title} objects are named {key!r} ({ids}); cannot tell which one to manage",
                        "delete or rename the extra objects in the tenant, or ignore the name",
                    )
                )
                break
            if not found:
                continue
            other = claimed.get(found[0].id)
            if other is not None:
                problems.append(
                    _error(
                        obj,
                        f"live {title} {key!r} is also claimed by {other.natural_key!r} ({other.location})",
                        "a previousNames entry may name only one declared object",
                    )
                )
                break
            claimed[found[0].id] = obj
            matching.matched[(obj.kind, obj.natural_key)] = found[0]
            matching.key_by_live_id[found[0].id] = obj.natural_key
            break
    return matching, problems


def check_references(
    obj: DesiredObject, matching: Matching, scope: Collection[str]
) -> tuple[Pending, list[Diagnostic]]:
    """The (kind, name) targets of `obj` that this plan creates, and every reference that cannot resolve."""
    pending: set[tuple[str, str]] = set()
    problems: list[Diagnostic] = []
    for reference, slot in iter_references(KINDS_BY_NAME[obj.kind], obj.body):
        ref = slot.value
        path = reference.manifest_path_of(slot.path)
        where = obj.field_locations.get(path, obj.location)
        if not isinstance(ref, Ref):
            problems += _literal_id_problems(reference, ref, matching, where, path)
            continue
        title = KINDS_BY_NAME[ref.kind].title
        if (ref.kind, ref.name) in matching.declared:
            if (ref.kind, ref.name) in matching.matched:
                continue
            if ref.kind not in scope:
                problems.append(
                    Diagnostic(
                        "error",
                        where,
                        path,
                        f"{title} {ref.name!r} is declared but does not exist in the tenant, and --kind leaves "
                        f"{ref.kind} out of this plan",
                        f"add --kind {ref.kind}, or apply {ref.kind} first",
                    )
                )
            pending.add((ref.kind, ref.name))
            continue
        found = matching.live.find(ref.kind, ref.name)
        if len(found) == 1:
            continue
        if found:
            ids = ", ".join(item.id for item in found)
            message = f"{title} {ref.name!r} is ambiguous in the tenant ({ids})"
            problems.append(Diagnostic("error", where, path, message, "reference it by literal id: {id: <uuid>}"))
            continue
        candidates = [key for (kind, key) in matching.declared if kind == ref.kind]
        candidates += [item.natural_key for item in matching.live.of_kind(ref.kind)]
        missing = missing_reference(ref.kind, ref.name, candidates=candidates, live=True)
        problems.append(Diagnostic("error", where, path, missing.message, missing.hint))
    return frozenset(pending), problems


def _literal_id_problems(
    reference: Reference, value: Any, matching: Matching, where: SourceLocation, path: str
) -> list[Diagnostic]:
    """A literal `{id: X}` must name a live object of the referenced kind (apply would only fail on it)."""
    object_id = reference.id_in(value)
    if object_id is None:
        return []
    title = KINDS_BY_NAME[reference.target].title
    live = matching.live.by_id.get(object_id)
    if live is None:
        message = f"{title} {{id: {object_id}}} does not exist in the tenant"
        hint = "reference it by name, or check the id"
    elif live.kind != reference.target:
        message = f"{{id: {object_id}}} is a {KINDS_BY_NAME[live.kind].title}, not a {title}"
        hint = f"reference a {title}"
    else:
        return []
    return [Diagnostic("error", where, path, message, hint)]


def _error(obj: DesiredObject, message: str, hint: str) -> Diagnostic:
    return Diagnostic("error", obj.location, "", message, hint)

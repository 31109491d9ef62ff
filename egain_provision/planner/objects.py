"""Step 3 of planning: the create, update or delete of one object, from its two sides."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from egain_provision.diff import diff_documents, pattern_of
from egain_provision.kinds import KINDS_BY_NAME, SETUP_ORDER, Kind, Reference
from egain_provision.live import LiveObject, LiveState
from egain_provision.model import DesiredObject, Ownership, Ref
from egain_provision.normalize import (
    align_paths,
    clone,
    comparable,
    desired_to_manifest,
    fingerprint,
    is_masked,
    known_only,
    live_to_manifest,
    mark_sensitive,
)
from egain_provision.paths import get_concrete, get_path, set_concrete, set_path
from egain_provision.plan import SENSITIVE_DISPLAY, WRITE_ONLY_DISPLAY, Action, Change, NormalisationNote
from egain_provision.planner.match import Matching, Pending, is_ignored
from egain_provision.planner.normalised import absorb_normalised, may_be_normalised
from egain_provision.references import KEEP, rewrite_references
from egain_provision.sensitive import Marked, opaque_paths, secret_item_values, secret_paths


@dataclass(frozen=True)
class ObjectPlan:
    """The action one declared object needs (None: it already matches), and its secrets left uncompared."""

    action: Action | None
    write_only_skipped: int = 0
    normalised: tuple[NormalisationNote, ...] = ()


def plan_object(
    obj: DesiredObject, matching: Matching, pending: Pending, *, rotate_secrets: bool, marked: Marked | None = None
) -> ObjectPlan:
    """The create or update for one declared object."""
    kind = KINDS_BY_NAME[obj.kind]
    sensitive_paths = sorted(set(obj.sensitive) | set(secret_paths(kind, obj.body, marked)))
    desired_api = clone(obj.body)
    # Opaque values are masked for the comparison only: the saved plan keeps them (they are not secrets).
    mark_sensitive(desired_api, sorted({*sensitive_paths, *opaque_paths(kind, obj.body)}))
    desired_doc = comparable(kind, desired_to_manifest(kind, desired_api, matching.resolve, matching.key_of_id))
    fields: dict[str, Any] = {
        "kind": obj.kind,
        "natural_key": obj.natural_key,
        "body": wire_body(kind, obj.body, matching),
        "sensitive": {path: obj.sensitive.get(path) for path in sensitive_paths},
        "depends_on": sorted(f"{k}/{name}" for k, name in pending),
        "location": obj.location,
    }
    live_obj = matching.live_of(obj)
    if live_obj is None:
        changes = mark_pending(kind, diff_documents(None, desired_doc), pending)
        return ObjectPlan(Action(action="create", changes=changes, **fields))

    # Fields no manifest can declare are neither compared nor sent (the update sends the desired body).
    live_api, _ = known_only(kind, live_obj.body)
    notes, forced, skipped = _write_only_secrets(kind, obj, live_api, rotate_secrets=rotate_secrets, marked=marked)
    live_sensitive = align_paths(kind, sensitive_paths, obj.body, live_obj.body)
    mark_sensitive(
        live_api, sorted({*live_sensitive, *secret_paths(kind, live_api, marked), *opaque_paths(kind, live_api)})
    )
    live_doc = comparable(kind, live_to_manifest(kind, live_api, matching.key_of_id))
    changes, normalised = _changes(obj, live_doc, desired_doc, pending)
    changes += forced
    if not changes:
        return ObjectPlan(None, skipped, normalised)
    if live_obj.modified is not None:
        # Sent back exactly as read, whatever its type: the tenant's token, not ours to interpret.
        fields["body"]["modified"] = live_obj.modified
    action = Action(
        action="update",
        id=live_obj.id,
        modified=live_obj.modified,
        fingerprint=fingerprint(kind, live_obj.body),
        previous_key=live_obj.natural_key if live_obj.natural_key != obj.natural_key else None,
        changes=sorted(changes, key=lambda change: change.path),
        notes=notes,
        **fields,
    )
    return ObjectPlan(action, 0 if rotate_secrets else skipped, normalised)


def _changes(
    obj: DesiredObject, live_doc: dict[str, Any], desired_doc: dict[str, Any], pending: Pending
) -> tuple[list[Change], tuple[NormalisationNote, ...]]:
    """The changes an update makes, and the differences that are the tenant's normalisation (noted, not planned)."""
    kind = KINDS_BY_NAME[obj.kind]
    changes = diff_documents(live_doc, desired_doc)
    if not may_be_normalised(changes):
        return mark_pending(kind, changes, pending), ()
    absorbed, found = absorb_normalised(live_doc, desired_doc)
    notes = tuple(
        NormalisationNote(
            kind=obj.kind,
            natural_key=obj.natural_key,
            path=path,
            normalisation=stored.normalisation.value,
            declared=stored.sent,
            stored=stored.stored,
            fix=stored.fix,
            location=obj.location,
        )
        for path, stored in found
    )
    if notes:
        changes = diff_documents(absorbed, desired_doc)
    return mark_pending(kind, changes, pending), notes


def _write_only_secrets(
    kind: Kind, obj: DesiredObject, live_api: dict[str, Any], *, rotate_secrets: bool, marked: Marked | None = None
) -> tuple[list[str], list[Change], int]:
    """Secrets the tenant does not reveal are never a phantom change: copy ours over its mask.

    Returns the notes for the plan, the changes forced by --rotate-secrets, and how many were skipped.
    """
    notes: list[str] = []
    forced: list[Change] = []
    skipped = 0
    for shown, live_path, desired in _masked_secrets(kind, obj, live_api, marked):
        skipped += 1
        if "[" in live_path:
            set_concrete(live_api, live_path, desired)  # a list item's value: the item is there
        else:
            set_path(live_api, live_path, desired)  # a field the tenant may leave out altogether
        if rotate_secrets:
            notes.append(f"{shown}: write-only on this tenant; sent because of --rotate-secrets")
            forced.append(Change(shown, WRITE_ONLY_DISPLAY, SENSITIVE_DISPLAY, sensitive=True))
        else:
            notes.append(f"{shown}: write-only on this tenant, not compared")
    return notes, forced, skipped


def _masked_secrets(
    kind: Kind, obj: DesiredObject, live_api: dict[str, Any], marked: Marked | None
) -> Iterator[tuple[str, str, Any]]:
    """(path as the plan shows it, live path, declared value) of each declared secret the tenant answers masked.

    Secret list items (an account's `authToken` attribute) are found in the live list by name.
    """
    for path in kind.secret_fields:
        desired = get_path(obj.body, path)
        if desired is not None and is_masked(get_path(live_api, path)):
            yield path, path, desired
    for items in kind.secret_items:
        for path, desired in secret_item_values(items, obj.body, marked):
            name = get_concrete(obj.body, f"{path.rpartition('.')[0]}.{items.key}")
            for live_path in align_paths(kind, [path], obj.body, live_api):
                if is_masked(get_concrete(live_api, live_path)):
                    yield f"{items.list_path}[{name}].{items.value}", live_path, desired


def plan_delete(
    live_obj: LiveObject, matching: Matching, depends_on: list[str], marked: Marked | None = None
) -> Action:
    """The delete of a live object nothing declares, showing every field it loses (secrets masked)."""
    kind = KINDS_BY_NAME[live_obj.kind]
    # Only the fields the tool knows are shown: it cannot tell whether the others hold secrets.
    live_api, _ = known_only(kind, live_obj.body)
    mark_sensitive(live_api, sorted({*secret_paths(kind, live_api, marked), *opaque_paths(kind, live_api)}))
    doc = comparable(kind, live_to_manifest(kind, live_api, matching.key_of_id))
    return Action(
        action="delete",
        kind=live_obj.kind,
        natural_key=live_obj.natural_key,
        id=live_obj.id,
        modified=live_obj.modified,
        fingerprint=fingerprint(kind, live_obj.body),
        changes=diff_documents(doc, None),
        depends_on=depends_on,
    )


def unknown_field_warnings(
    live: LiveState, scope: Collection[str], ignore: Mapping[str, Sequence[str]], ownership: Ownership
) -> list[str]:
    """One warning per kind and field pattern the tenant answers but the manifest schema does not know.

    Every live object of the kinds planned counts, managed or not, except those the user ignores
    and those outside the manifests' `scope:` (another team's objects are not theirs to hear of).
    """
    found: list[str] = []
    for name in SETUP_ORDER:
        if name not in scope:
            continue
        patterns: set[str] = set()
        for live_obj in live.of_kind(name):
            if ownership.owns(name, live_obj.natural_key) and not is_ignored(ignore, name, live_obj.natural_key):
                patterns |= known_only(KINDS_BY_NAME[name], live_obj.body)[1]
        found += [f"tenant answers field {pattern} on {name}; not managed" for pattern in sorted(patterns)]
    return found


def unprotected_kinds(live: LiveState, scope: Collection[str]) -> list[str]:
    """One warning per kind whose live objects are listed without `modified` (the tenant's concurrency token)."""
    found = []
    for name in SETUP_ORDER:
        objects = live.of_kind(name) if name in scope else []
        if objects and all(obj.modified is None for obj in objects):
            found.append(
                f"{name}: the tenant lists these objects without `modified`; apply reads each one before updating "
                "it, and where it has none either, a change another client makes meanwhile cannot be detected "
                "(it would be overwritten)"
            )
    return found


def wire_body(kind: Kind, body: dict[str, Any], matching: Matching) -> dict[str, Any]:
    """The body to send: references to live objects as ids, references to new objects kept as Refs."""
    wire = clone(body)

    def resolved(reference: Reference, value: Any) -> Any:
        object_id = matching.resolve(value) if isinstance(value, Ref) else None
        return KEEP if object_id is None else reference.api_value(object_id)

    rewrite_references(kind, wire, resolved)
    return wire


def mark_pending(kind: Kind, changes: list[Change], pending: Pending) -> list[Change]:
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

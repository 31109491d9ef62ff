"""Both sides into one comparable shape before diffing, declared per kind (kinds.py).

API bodies become "manifest space": server-set fields dropped, documented defaults filled,
references written as the referenced object's natural key (as in a manifest; literal `{id}`
where the id is not a known live object), sensitive values replaced by run-salted digests so
they compare without being held in the result. `comparable()` then turns keyed lists into
mappings and set-like lists into sorted lists, so order the API ignores never shows as a change.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import os
from collections.abc import Callable, Mapping
from typing import Any

from egain_provision.kinds import Kind, Reference
from egain_provision.model import Ref
from egain_provision.paths import get_concrete, get_path, set_concrete, set_path
from egain_provision.references import KEEP, rewrite_references

MASKED_VALUES = frozenset({"********"})
SENSITIVE_PREFIX = "\x00sensitive:"
_RUN_KEY = os.urandom(32)

KeyOfId = Callable[[str, str], str | None]
ResolveRef = Callable[[Ref], str | None]
# Leaves of manifest and API documents; never changed in place, so copies may share them.
_IMMUTABLE = frozenset({str, int, float, bool, type(None), Ref})


def clone(value: Any) -> Any:
    """A deep copy of a document: new dicts and lists, the same immutable leaves.

    Several times faster than copy.deepcopy, whose memo and per-type dispatch dominated
    planning; any other value is handed to copy.deepcopy.
    """
    kind = type(value)
    if kind is dict:
        return {key: item if type(item) in _IMMUTABLE else clone(item) for key, item in value.items()}
    if kind is list:
        return [item if type(item) in _IMMUTABLE else clone(item) for item in value]
    if kind in _IMMUTABLE:
        return value
    return copy.deepcopy(value)


def _canonical(value: Any) -> Any:
    """A copy in which whole-number floats are ints: JSON does not tell 30 from 30.0, nor may a plan."""
    kind = type(value)
    if kind is dict:
        return {key: _canonical(item) for key, item in value.items()}
    if kind is list:
        return [_canonical(item) for item in value]
    if kind is float and value.is_integer():
        return int(value)
    return clone(value)


def sensitive_token(value: Any) -> str:
    """A stand-in that compares like `value` within this run and reveals nothing about it."""
    digest = hmac.new(_RUN_KEY, repr(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return SENSITIVE_PREFIX + digest


def is_sensitive_token(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(SENSITIVE_PREFIX)


def is_masked(value: Any) -> bool:
    """The tenant's answer for a write-only secret: a mask, or nothing at all."""
    return value is None or (isinstance(value, str) and value in MASKED_VALUES)


def live_to_manifest(kind: Kind, body: Mapping[str, Any], key_of_id: KeyOfId) -> dict[str, Any]:
    """A live API object in manifest terms: no server fields, references by natural key."""
    doc = {key: clone(value) for key, value in body.items() if key not in kind.server_fields}

    def named(reference: Reference, value: Any) -> Any:
        object_id = reference.id_in(value)
        if object_id is None:
            return KEEP
        return reference.manifest_value(object_id, key_of_id(reference.target, object_id))

    rewrite_references(kind, doc, named, target="manifest")
    return doc


def desired_to_manifest(kind: Kind, body: Mapping[str, Any], resolve: ResolveRef, key_of_id: KeyOfId) -> dict[str, Any]:
    """A desired API-shaped body in manifest terms, with references named the way the live side is."""
    doc: dict[str, Any] = clone(dict(body))

    def named(reference: Reference, value: Any) -> Any:
        if isinstance(value, Ref):
            object_id = resolve(value)
            return value.name if object_id is None else key_of_id(value.kind, object_id) or value.name
        object_id = reference.id_in(value)
        if object_id is None:
            return KEEP
        return reference.manifest_value(object_id, key_of_id(reference.target, object_id))

    rewrite_references(kind, doc, named, target="manifest")
    return doc


def mark_sensitive(doc: Any, concrete_paths: list[str]) -> None:
    """Replace the values at concrete paths (`oauth2.payload`, `roles[0].headers[1].value`) by tokens, in place."""
    for path in concrete_paths:
        value = get_concrete(doc, path)
        if value is not None:
            set_concrete(doc, path, sensitive_token(value))


def align_paths(kind: Kind, paths: list[str], source: dict[str, Any], target: dict[str, Any]) -> list[str]:
    """Concrete paths of `source` where they stand in `target`: keyed lists are followed by key.

    `roles[1].callback` of the manifest is `roles[0].callback` of a tenant that lists that role
    first; a path whose keyed item `target` lacks is dropped.
    """
    aligned = []
    for path in paths:
        moved: str | None = path
        for list_path, key in kind.keyed_lists.items():
            index_text, closed, rest = path.removeprefix(list_path + "[").partition("]")
            if not closed or not path.startswith(list_path + "[") or not index_text.isdigit():
                continue
            source_items = get_path(source, list_path)
            target_items = get_path(target, list_path)
            if not isinstance(source_items, list) or not isinstance(target_items, list):
                continue
            wanted = source_items[int(index_text)].get(key) if int(index_text) < len(source_items) else None
            position = next(
                (i for i, item in enumerate(target_items) if isinstance(item, dict) and item.get(key) == wanted), None
            )
            moved = None if position is None else f"{list_path}[{position}]{rest}"
            break
        if moved is not None:
            aligned.append(moved)
    return aligned


def comparable(kind: Kind, doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` with the API's defaults filled (where their object is present), keyed lists as `{"[key]": item}`,
    set-like lists sorted, `30.0` as `30`."""
    out: dict[str, Any] = _canonical(doc)
    for path, default in kind.defaults.items():
        # A default is for a field of an object that is there: filling it never invents the object.
        parent_path, _, leaf = path.rpartition(".")
        parent = get_path(out, parent_path) if parent_path else out
        if isinstance(parent, dict) and parent.get(leaf) is None:
            parent[leaf] = default
    for path in kind.set_lists:
        value = get_path(out, path)
        if isinstance(value, list) and all(isinstance(item, str | int | float | bool) for item in value):
            set_path(out, path, sorted(set(value), key=lambda item: (type(item).__name__, item)))
    for path, key in kind.keyed_lists.items():
        value = get_path(out, path)
        if isinstance(value, list):
            keys = [item.get(key) if isinstance(item, dict) else None for item in value]
            if all(isinstance(k, str) for k in keys) and len(set(keys)) == len(keys):
                set_path(out, path, {f"[{k}]": item for k, item in zip(keys, value, strict=True)})
    return out

"""Both sides into one comparable shape before diffing, declared per kind (kinds.py).

API bodies become "manifest space": server-set fields dropped,
references written as the referenced object's natural key (as in a manifest; literal `{id}`
where the id is not a known live object), sensitive values replaced by run-salted digests so
they compare without being held in the result. `comparable()` then puts values in the form the
spec gives them a meaning in (meaning.py) and turns keyed lists into mappings, so order the API
ignores never shows as a change.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import os
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from egain_provision.kinds import Kind, Reference
from egain_provision.meaning import apply_meaning, meaning_of
from egain_provision.model import Ref
from egain_provision.paths import get_concrete, iter_slots, join_path, set_concrete
from egain_provision.references import KEEP, rewrite_references
from egain_provision.schemas import load_schema

SENSITIVE_PREFIX = "\x00sensitive:"
_RUN_KEY = os.urandom(32)
# One part of a concrete path: a field name, or a list position in brackets.
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")

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
    """The tenant's answer for a write-only secret: nothing at all, `""`, or a mask of `*` of any length.

    Tenants differ in how they hide a secret they will not reveal. The API requires at least one
    character, and a secret made only of `*` is implausible enough to read as a mask: comparing it
    would show a change on every plan.
    """
    return value is None or (isinstance(value, str) and not value.strip("*"))


# Fields of a kind's manifest object the API does not have: the loader takes them out of the body.
MANIFEST_ONLY_FIELDS = frozenset({"previousNames"})
# The field names a body may hold, by name; None for a leaf (a scalar, or an id). Lists are transparent.
FieldTree = dict[str, "FieldTree | None"]


def known_only(kind: Kind, body: Mapping[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """A copy of a live API body holding only the fields the manifest schema knows (and the server's),
    and the patterns of the fields left out (`tenantId`, `roles[].extra`).

    A tenant may answer more than the spec describes (new API versions, tenant-specific data): no
    manifest can declare those fields, so comparing them would be a change no apply could remove.
    """
    tree = known_fields(kind.list_key, kind.references)
    if tree is None:
        return clone(dict(body)), set()
    unknown: set[str] = set()
    return _known_mapping(body, {**tree, **dict.fromkeys(kind.server_fields)}, "", unknown), unknown


def _known_mapping(node: Mapping[str, Any], tree: FieldTree, pattern: str, unknown: set[str]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in node.items():
        if key not in tree:
            unknown.add(join_path(pattern, key))
            continue
        below = tree[key]
        kept[key] = clone(value) if below is None else _known_value(value, below, join_path(pattern, key), unknown)
    return kept


def _known_value(value: Any, tree: FieldTree, pattern: str, unknown: set[str]) -> Any:
    if isinstance(value, dict):
        return _known_mapping(value, tree, pattern, unknown)
    if isinstance(value, list):
        return [_known_value(item, tree, pattern + "[]", unknown) for item in value]
    return value


@cache
def known_fields(list_key: str, references: tuple[Reference, ...]) -> FieldTree | None:
    """The API field names of a kind, from its object in the manifest schema (`$defs.<list_key>`).

    The manifest says `bots[].application` where the API says `bots[].id`: references whose
    manifest field differs from the API's are moved back. None for a kind the schema lacks.
    """
    defs: dict[str, Any] = load_schema("manifest")["$defs"]
    if list_key not in defs:
        return None
    tree = _schema_fields(defs[list_key], defs) or {}
    for name in MANIFEST_ONLY_FIELDS:
        tree.pop(name, None)
    for reference in references:
        manifest_names, api_names = _field_names(reference.pattern("manifest")), _field_names(reference.pattern("api"))
        if manifest_names != api_names:
            _take(tree, manifest_names)
        # A reference is known whole: a tenant may answer `{id, name, ...}` where the spec has `{id}`.
        _put(tree, api_names, None)
    return tree


def _schema_fields(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> FieldTree | None:
    """The fields a schema allows, through `$ref`, array `items` and every `allOf`/`anyOf`/`oneOf` branch.

    `if`/`then` parts are not read: they only restrict fields declared elsewhere.
    """
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    if "items" in schema:
        return _schema_fields(schema["items"], defs)
    tree: FieldTree | None = None
    if "properties" in schema:
        tree = {name: _schema_fields(child, defs) for name, child in schema["properties"].items()}
    for combinator in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(combinator, ()):
            tree = _merged(tree, _schema_fields(branch, defs))
    return tree


def _merged(left: FieldTree | None, right: FieldTree | None) -> FieldTree | None:
    """Both trees' fields: a reference is a string or `{id}`, and its object form's fields count."""
    if left is None or right is None:
        return left if right is None else right
    merged = dict(left)
    for name, below in right.items():
        merged[name] = _merged(merged[name], below) if name in merged else below
    return merged


def _field_names(pattern: str) -> list[str]:
    """`applications.botConfiguration.bots[].id` -> its field names (lists are transparent in a FieldTree)."""
    return [part.removesuffix("[]") for part in pattern.split(".")]


def _take(tree: FieldTree, names: list[str]) -> FieldTree | None:
    """Remove and return the subtree at `names` (None when it is not there)."""
    node: FieldTree | None = tree
    for name in names[:-1]:
        node = node.get(name) if node is not None else None
    return node.pop(names[-1], None) if node is not None else None


def _put(tree: FieldTree, names: list[str], below: FieldTree | None) -> None:
    node = tree
    for name in names[:-1]:
        child = node.get(name)
        if child is None:
            child = node[name] = {}
        node = child
    node[names[-1]] = below


def fingerprint(kind: Kind, body: Mapping[str, Any]) -> str:
    """`sha256:<hex>` of a live object as read, every value that may be secret left out (it goes into saved plans).

    Two reads of an object that did not change give the same fingerprint, whatever its `modified` looks
    like, or when it has none: a saved plan compares it to refuse a tenant that moved.
    """
    hidden = _hidden_patterns(kind)
    doc: Any = body
    if any(True for pattern in hidden for _ in iter_slots(body, pattern)):
        doc = clone(dict(body))
        for pattern in hidden:
            for slot in list(iter_slots(doc, pattern)):
                slot.replace(None)
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _hidden_patterns(kind: Kind) -> tuple[str, ...]:
    """The patterns of every value of a kind that may be secret (a secret item's value whatever its name)."""
    items = tuple(f"{secret.list_path}[].{secret.value}" for secret in kind.secret_items)
    return (*kind.secret_fields, *kind.opaque_values, *items)


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
    """Concrete paths of `source` where they stand in `target`: keyed lists are followed by key, at any depth.

    `roles[1].headers[0].value` of the manifest is `roles[0].headers[2].value` of a tenant that lists
    that role first and that header last; a path whose keyed item `target` lacks is dropped. Where
    either side keeps a list positional (keys missing or repeated), the same position and every item
    with the same key are returned: they are what the comparison may put against the source value,
    and each must be masked like it.
    """
    aligned: list[str] = []
    for path in paths:
        aligned += _aligned(kind.keyed_lists, _path_parts(path), source, target, "", "")
    return aligned


def _aligned(
    keyed: Mapping[str, str], parts: list[str | int], source: Any, target: Any, pattern: str, at: str
) -> list[str]:
    """The target paths for the rest of a concrete path (`parts`), `pattern` and `at` being where both stand."""
    if not parts:
        return [at]
    part, rest = parts[0], parts[1:]
    if isinstance(part, str):
        if not isinstance(source, dict) or not isinstance(target, dict) or part not in target:
            return []
        return _aligned(keyed, rest, source.get(part), target[part], join_path(pattern, part), join_path(at, part))
    if not isinstance(source, list) or not isinstance(target, list) or part >= len(source):
        return []
    found: list[str] = []
    for position in _positions(keyed.get(pattern), source, target, part):
        found += _aligned(keyed, rest, source[part], target[position], pattern + "[]", join_path(at, position))
    return found


def _positions(key: str | None, source: list[Any], target: list[Any], index: int) -> list[int]:
    """Where `source[index]` is compared in `target`: by key when both lists are keyed, else positionally."""
    same = [index] if index < len(target) else []
    if key is None:
        return same
    source_keys, target_keys = _keys(source, key), _keys(target, key)
    if source_keys is not None and target_keys is not None:
        name = source_keys[index]
        return [target_keys.index(name)] if name in target_keys else []
    item = source[index]
    wanted = item.get(key) if isinstance(item, dict) else None
    if wanted is None:
        return same
    namesakes = [i for i, other in enumerate(target) if isinstance(other, dict) and other.get(key) == wanted]
    return sorted({*same, *namesakes})


def _keys(items: list[Any], key: str) -> list[str] | None:
    """The items' keys, when they can stand for the items: all present, plain strings, and distinct.

    A sensitive token cannot name an item in a plan, and a bracket would make the path unreadable.
    """
    keys: list[str] = []
    for item in items:
        k = item.get(key) if isinstance(item, dict) else None
        if not isinstance(k, str) or is_sensitive_token(k) or "[" in k or "]" in k:
            return None
        keys.append(k)
    return keys if len(set(keys)) == len(keys) else None


def _path_parts(path: str) -> list[str | int]:
    """`roles[1].headers[0].value` -> ['roles', 1, 'headers', 0, 'value']."""
    return [int(index) if index else name for name, index in _PATH_PART.findall(path)]


def comparable(kind: Kind, doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` as the spec means it (meaning.apply_meaning: typed strings, defaults, objects of defaults, sets),
    keyed lists as `{"[key]": item}` at any depth (positional while their keys are missing or repeated),
    `30.0` as `30`; lists the spec leaves ordered keep their order."""
    out: dict[str, Any] = _canonical(doc)
    apply_meaning(out, meaning_of(kind.list_key))
    # Inner lists first (`roles[].headers` before `roles`): their pattern walks the outer list's items.
    for pattern, key in sorted(kind.keyed_lists.items(), key=lambda entry: -entry[0].count("[]")):
        for slot in list(iter_slots(out, pattern)):
            keys = _keys(slot.value, key) if isinstance(slot.value, list) else None
            if keys is not None:
                slot.replace({f"[{k}]": item for k, item in zip(keys, slot.value, strict=True)})
    return out

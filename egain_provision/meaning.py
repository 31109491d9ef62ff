"""What the spec says a kind's values mean, read from its object in the manifest schema (`$defs.<list_key>`).

The manifest schema fragments carry eGain's spec facts (types, defaults, `uniqueItems`), checked
against the spec by the contract tests: this module is their only reader for the comparison, so a
default or a type lives in one place. `apply_meaning` puts a document in the form in which two
values that mean the same are equal: a typed value answered as its string is the value, a default
is filled where its object is present, an object holding only defaults is absence, a list the
spec makes a set is sorted. Nothing else is touched.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from egain_provision.schemas import interpolated, load_schema

# JSON types a tenant may answer as their string form (`"30"`, `"true"`).
_TYPED = frozenset({"integer", "number", "boolean"})
_NO_DEFAULT: Any = object()


@dataclass
class FieldMeaning:
    """One field of a schema: its JSON types, its default, whether it is a set, and what lies below."""

    types: frozenset[str] = frozenset()
    default: Any = _NO_DEFAULT
    unique: bool = False
    fields: dict[str, FieldMeaning] = field(default_factory=dict)
    items: FieldMeaning | None = None
    # Whether a default sits at or below this field (only such objects can hold nothing but defaults).
    holds_defaults: bool = False
    # Derived once (meaning_of), for the comparison of thousands of objects: the string form is read as
    # the value (an integer, number or boolean field), the fields with a default, those holding defaults.
    typed: bool = False
    defaulted: tuple[tuple[str, Any], ...] = ()
    default_holders: tuple[tuple[str, FieldMeaning], ...] = ()
    # The fields whose values the meaning may change (the others are left as they are, unvisited).
    relevant: tuple[tuple[str, FieldMeaning], ...] = ()

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT


@cache
def meaning_of(list_key: str) -> FieldMeaning:
    """The meaning tree of a kind's object; an empty one for a kind the schema lacks."""
    defs: dict[str, Any] = interpolated(load_schema("manifest")["$defs"])
    if list_key not in defs:
        return FieldMeaning()
    tree = _read(defs[list_key], defs, ())
    _summarise(tree)
    return tree


def _read(schema: Mapping[str, Any], defs: Mapping[str, Any], seen: tuple[str, ...]) -> FieldMeaning:
    """A schema as a FieldMeaning, through `$ref` and every `allOf`/`anyOf`/`oneOf` branch."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        # A recursive definition stops at its second visit: nothing below it means more.
        target = defs.get(name) if name not in seen else None
        found = _read(target, defs, (*seen, name)) if target is not None else FieldMeaning()
    else:
        found = FieldMeaning()
    declared = schema.get("type")
    types = {declared} if isinstance(declared, str) else set(declared or ())
    found.types = found.types | frozenset(types)
    if "default" in schema:
        found.default = schema["default"]
    found.unique = found.unique or schema.get("uniqueItems") is True
    for name, child in schema.get("properties", {}).items():
        found.fields[name] = _merged(found.fields.get(name), _read(child, defs, seen))
    if "items" in schema:
        found.items = _merged(found.items, _read(schema["items"], defs, seen))
    for combinator in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(combinator, ()):
            found = _merged(found, _read(branch, defs, seen))
    return found


def _merged(left: FieldMeaning | None, right: FieldMeaning) -> FieldMeaning:
    """Both readings of one field (branches of a combinator): every type, field and default either gives."""
    if left is None:
        return right
    merged = FieldMeaning(
        types=left.types | right.types,
        default=left.default if left.has_default else right.default,
        unique=left.unique or right.unique,
        fields=dict(left.fields),
        items=left.items if right.items is None else _merged(left.items, right.items),
    )
    for name, child in right.fields.items():
        merged.fields[name] = _merged(merged.fields.get(name), child)
    return merged


def _summarise(meaning: FieldMeaning) -> bool:
    """Derive the fields' summaries, deepest first; whether anything at or below `meaning` has a meaning to apply."""
    below = [_summarise(child) for child in meaning.fields.values()]
    if meaning.items is not None:
        below.append(_summarise(meaning.items))
    children = [*meaning.fields.values(), *([meaning.items] if meaning.items is not None else [])]
    meaning.holds_defaults = meaning.has_default or any(child.holds_defaults for child in children)
    types = meaning.types - {"null"}
    meaning.typed = bool(types) and types <= _TYPED
    meaning.defaulted = tuple((name, child.default) for name, child in meaning.fields.items() if child.has_default)
    meaning.default_holders = tuple(
        (name, child) for name, child in meaning.fields.items() if child.holds_defaults and not child.has_default
    )
    meaning.relevant = tuple(
        (name, child) for (name, child), matters in zip(meaning.fields.items(), below, strict=False) if matters
    )
    return meaning.typed or meaning.unique or meaning.holds_defaults or any(below)


def spec_defaults(list_key: str) -> dict[str, Any]:
    """Field pattern -> the spec's default of every defaulted field of a kind (`restrictions.inbound.maxTextLength`)."""
    return dict(_defaults(list_key))


@cache
def _defaults(list_key: str) -> tuple[tuple[str, Any], ...]:
    found: dict[str, Any] = {}
    _collect_defaults(meaning_of(list_key), "", found)
    return tuple(found.items())


def _collect_defaults(meaning: FieldMeaning, prefix: str, found: dict[str, Any]) -> None:
    for name, child in meaning.fields.items():
        path = f"{prefix}.{name}" if prefix else name
        if child.has_default:
            found[path] = child.default
        _collect_defaults(child, path, found)
    if meaning.items is not None:
        _collect_defaults(meaning.items, f"{prefix}[]", found)


def apply_meaning(doc: dict[str, Any], meaning: FieldMeaning) -> None:
    """Put a comparable document (owned by the caller) in its meaning's form, in place."""
    for name, child in meaning.relevant:
        if name in doc:
            doc[name] = _meant(doc[name], child)
    for name, default in meaning.defaulted:
        # A default is for a field of an object that is there: filling it never invents the object.
        if doc.get(name) is None:
            doc[name] = default
    for name, child in meaning.default_holders:
        value = doc.get(name)
        if isinstance(value, dict) and _only_defaults(value, child):
            # Left out, the object would mean exactly this: both are absence.
            del doc[name]


def _meant(value: Any, meaning: FieldMeaning) -> Any:
    if isinstance(value, str):
        return typed_value(value, meaning.types) if meaning.typed else value
    if isinstance(value, dict):
        apply_meaning(value, meaning)
    elif isinstance(value, list):
        if meaning.items is not None:
            value = [_meant(item, meaning.items) for item in value]
        if meaning.unique and all(isinstance(item, str | int | float | bool) for item in value):
            value = sorted(set(value), key=lambda item: (type(item).__name__, item))
    return value


def typed_value(text: str, types: frozenset[str]) -> Any:
    """`"30"` as 30 where the spec types the field integer (or number), `"true"` as True where boolean.

    Only the value's exact JSON spelling counts (`"030"`, `"True"` and `" 30"` stay strings), and only
    for a field of those types alone (or null): a string field keeps its `"30"`.
    """
    types = types - {"null"}
    if not types or not types <= _TYPED:
        return text
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if json.dumps(value) != text:
        return text
    kind = "boolean" if isinstance(value, bool) else "integer" if isinstance(value, int) else "number"
    if isinstance(value, float) and value.is_integer() and "integer" in types:
        return int(value)
    return value if kind in types or (kind == "integer" and "number" in types) else text


def _only_defaults(doc: Mapping[str, Any], meaning: FieldMeaning) -> bool:
    """Whether every field of `doc` holds its spec default (an empty object does)."""
    for name, value in doc.items():
        child = meaning.fields.get(name)
        if child is None or not child.has_default or not _same(value, child.default):
            return False
    return True


def _same(left: Any, right: Any) -> bool:
    """Equal with the same JSON types: `True` is not `1`."""
    return type(left) is type(right) and left == right

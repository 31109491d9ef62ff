"""The shapes a request body may take, how a body is checked against them, and their defaults.

A small, closed set of rule types, enough for the setup resources' request schemas: strings with
lengths and enums, numbers with ranges, booleans, objects with required attributes, arrays with
item counts, and a `oneOf` chosen by a discriminating attribute. The first violation is raised as
an `ApiFailure` carrying the spec's error code; its attribute path (`roles[0].callback`) is in the
message and the details.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from egain_provision.sandbox import failures
from egain_provision.sandbox.failures import ApiFailure


@dataclass(frozen=True)
class Text:
    """A JSON string; `ref` names the collection an id must point to."""

    min_len: int | None = None
    max_len: int | None = None
    enum: tuple[str, ...] | None = None
    ref: str | None = None
    default: str | None = None


@dataclass(frozen=True)
class Numeric:
    """A JSON number (never a boolean); `integer` also refuses a fractional part."""

    integer: bool = False
    minimum: float | None = None
    maximum: float | None = None
    default: int | None = None


@dataclass(frozen=True)
class Boolean:
    """A JSON boolean."""

    default: bool | None = None


@dataclass(frozen=True)
class Record:
    """A JSON object with known attributes; any other attribute is refused."""

    fields: dict[str, Field]
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class Items:
    """A JSON array; `unique` names an item attribute that must not repeat."""

    item: Field
    min_items: int | None = None
    max_items: int | None = None
    unique: str | None = None


@dataclass(frozen=True)
class OneOf:
    """Exactly one of `branches`, chosen by the value of the attribute `discriminator`."""

    discriminator: str
    branches: dict[str, Record]


Field = Text | Numeric | Boolean | Record | Items | OneOf


@dataclass(frozen=True)
class Reference:
    """An id in a body that must name an existing object of `collection`."""

    path: str
    collection: str
    target_id: str


def check(rule: Field, value: Any, path: str, references: list[Reference]) -> None:
    """Raise the first violation of `rule` by `value`; collect the ids it refers to."""
    if isinstance(rule, OneOf):
        check(_branch(rule, value, path), value, path, references)
    elif isinstance(rule, Record):
        _check_record(rule, value, path, references)
    elif isinstance(rule, Items):
        _check_items(rule, value, path, references)
    elif isinstance(rule, Text):
        _check_text(rule, value, path, references)
    elif isinstance(rule, Numeric):
        _check_numeric(rule, value, path)
    elif not isinstance(value, bool):
        raise not_allowed(path, "true or false")


def with_defaults(rule: Field, value: Any) -> Any:
    """A copy of a valid `value` where every omitted attribute that has a default carries it."""
    result = copy.deepcopy(value)
    _fill_defaults(rule, result)
    return result


def not_allowed(path: str, expected: str) -> ApiFailure:
    """The spec's "value not allowed" failure for the attribute at `path`."""
    return ApiFailure(
        failures.VALUE_NOT_ALLOWED,
        f"Attribute {path} has a value that is not allowed; expected {expected}",
        [(path, f"expected {expected}")],
    )


def _fill_defaults(rule: Field, value: Any) -> None:
    if isinstance(rule, OneOf):
        rule = rule.branches[value[rule.discriminator]]
    if isinstance(rule, Items):
        for item in value:
            _fill_defaults(rule.item, item)
    if not isinstance(rule, Record):
        return
    for name, sub_rule in rule.fields.items():
        if name in value:
            _fill_defaults(sub_rule, value[name])
        elif isinstance(sub_rule, Text | Numeric | Boolean) and sub_rule.default is not None:
            value[name] = sub_rule.default


def _branch(rule: OneOf, value: Any, path: str) -> Record:
    if not isinstance(value, dict):
        raise not_allowed(path or "body", "an object")
    key = _join(path, rule.discriminator)
    if rule.discriminator not in value:
        raise _required(key)
    chosen = value[rule.discriminator]
    if not isinstance(chosen, str) or chosen not in rule.branches:
        raise not_allowed(key, "one of " + ", ".join(rule.branches))
    return rule.branches[chosen]


def _check_record(rule: Record, value: Any, path: str, references: list[Reference]) -> None:
    if not isinstance(value, dict):
        raise not_allowed(path or "body", "an object")
    for name in rule.required:
        if name not in value:
            raise _required(_join(path, name))
    for name in value:
        if name not in rule.fields:
            attribute = _join(path, name)
            raise ApiFailure(
                failures.UNKNOWN_ATTRIBUTE,
                f"{attribute}: no such attribute is defined for this request body",
                [(attribute, "unknown attribute")],
            )
    for name, sub_rule in rule.fields.items():
        if name in value:
            check(sub_rule, value[name], _join(path, name), references)


def _check_items(rule: Items, value: Any, path: str, references: list[Reference]) -> None:
    if not isinstance(value, list):
        raise not_allowed(path, "an array")
    if rule.max_items is not None and len(value) > rule.max_items:
        raise _too_long(path, len(value), rule.max_items, "items")
    if rule.min_items is not None and len(value) < rule.min_items:
        raise not_allowed(path, f"at least {rule.min_items} item(s), not {len(value)}")
    for index, item in enumerate(value):
        check(rule.item, item, f"{path}[{index}]", references)
    if rule.unique is not None:
        seen: set[Any] = set()
        for index, item in enumerate(value):
            key = item[rule.unique]
            if key in seen:
                raise not_allowed(f"{path}[{index}].{rule.unique}", f"a value not already used in {path}")
            seen.add(key)


def _check_text(rule: Text, value: Any, path: str, references: list[Reference]) -> None:
    if not isinstance(value, str):
        raise not_allowed(path, "a string")
    if rule.max_len is not None and len(value) > rule.max_len:
        raise _too_long(path, len(value), rule.max_len, "characters")
    if rule.min_len is not None and len(value) < rule.min_len:
        raise not_allowed(path, f"a string of at least {rule.min_len} character(s)")
    if rule.enum is not None and value not in rule.enum:
        raise not_allowed(path, "one of " + ", ".join(rule.enum))
    if rule.ref is not None:
        references.append(Reference(path=path, collection=rule.ref, target_id=value))


def _check_numeric(rule: Numeric, value: Any, path: str) -> None:
    kind = "an integer" if rule.integer else "a number"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise not_allowed(path, kind)
    # JSON does not tell 140 from 140.0; a schema integer is any number without a fraction.
    if rule.integer and isinstance(value, float) and not value.is_integer():
        raise not_allowed(path, kind)
    too_small = rule.minimum is not None and value < rule.minimum
    if too_small or (rule.maximum is not None and value > rule.maximum):
        raise not_allowed(path, f"{kind} in {_bound(rule.minimum)}..{_bound(rule.maximum)}")


def _required(attribute: str) -> ApiFailure:
    return ApiFailure(
        failures.REQUIRED_MISSING,
        f"Required attribute missing in request body: {attribute}",
        [(attribute, "required")],
    )


def _too_long(path: str, length: int, limit: int, unit: str) -> ApiFailure:
    return ApiFailure(
        failures.TOO_LONG,
        f"Attribute {path} is longer than the limit of {limit} {unit}: {length}",
        [(path, f"at most {limit} {unit}")],
    )


def _bound(value: float | None) -> str:
    if value is None:
        return "any"
    return str(int(value)) if float(value).is_integer() else str(value)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name

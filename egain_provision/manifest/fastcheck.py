"""A fast yes/no answer to "is this value valid against the schema?" for the common, valid case.

jsonschema walks its validator machinery for every keyword of every value (about 100-200 us
per manifest object), which dominates `validate` on large manifests. This compiles the JSON
Schema keywords the manifest schema uses into plain closures; only a value it rejects goes to
jsonschema, which stays the authority for every reported error. A schema keyword it does not
know makes `compile_schema` raise `Unsupported`, and the caller then uses jsonschema alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

# Keywords that only annotate (jsonschema does not assert `format` without a format checker).
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$defs", "$comment", "title", "description", "examples", "default", "format"}
)


class Unsupported(Exception):
    """The schema uses a keyword this compiler does not implement."""


def compile_schema(schema: Any, root: dict[str, Any]) -> Check:
    """A predicate equivalent to `Draft202012Validator(root-with-schema).is_valid` for supported keywords."""
    return _Compiler(root).compile(schema)


class _Compiler:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return _accept
        if schema is False:
            return _reject
        if not isinstance(schema, dict):
            raise Unsupported(f"schema {schema!r}")
        checks: list[Check] = []
        for name, value in schema.items():
            if name not in _ANNOTATIONS:
                check = self.keyword(name, value, schema)
                if check is not None:
                    checks.append(check)
        if not checks:
            return _accept
        if len(checks) == 1:
            return checks[0]
        return _all_of(checks)

    def keyword(self, name: str, value: Any, schema: dict[str, Any]) -> Check | None:
        handler = getattr(self, "_" + name.lstrip("$"), None)
        if handler is None:
            raise Unsupported(name)
        check: Check | None = handler(value, schema)
        return check

    def _ref(self, target: str, _: dict[str, Any]) -> Check:
        if not target.startswith("#/$defs/"):
            raise Unsupported(f"$ref {target}")
        if target not in self.refs:
            self.refs[target] = _reject
            self.refs[target] = self.compile(self.root["$defs"][target.removeprefix("#/$defs/")])
        refs = self.refs
        return lambda value: refs[target](value)

    def _type(self, expected: Any, _: dict[str, Any]) -> Check:
        names = [expected] if isinstance(expected, str) else list(expected)
        tests = [_TYPE_TESTS[name] for name in names]
        return lambda value: any(test(value) for test in tests)

    def _properties(self, properties: dict[str, Any], _: dict[str, Any]) -> Check:
        compiled = {name: self.compile(sub) for name, sub in properties.items()}

        def check(value: Any) -> bool:
            if not isinstance(value, dict):
                return True
            for name, item in value.items():
                sub = compiled.get(name)
                if sub is not None and not sub(item):
                    return False
            return True

        return check

    def _additionalProperties(self, allowed: Any, schema: dict[str, Any]) -> Check | None:
        if allowed is True:
            return None
        if allowed is not False or "patternProperties" in schema:
            raise Unsupported("additionalProperties with a schema")
        known = frozenset(schema.get("properties", {}))
        return lambda value: not isinstance(value, dict) or known.issuperset(value)

    def _required(self, names: list[str], _: dict[str, Any]) -> Check:
        return lambda value: not isinstance(value, dict) or all(name in value for name in names)

    def _enum(self, options: list[Any], _: dict[str, Any]) -> Check:
        return lambda value: any(_equal(value, option) for option in options)

    def _const(self, option: Any, _: dict[str, Any]) -> Check:
        return lambda value: _equal(value, option)

    def _minLength(self, limit: int, _: dict[str, Any]) -> Check:
        return lambda value: not isinstance(value, str) or len(value) >= limit

    def _maxLength(self, limit: int, _: dict[str, Any]) -> Check:
        return lambda value: not isinstance(value, str) or len(value) <= limit

    def _pattern(self, pattern: str, _: dict[str, Any]) -> Check:
        compiled = re.compile(pattern)
        return lambda value: not isinstance(value, str) or compiled.search(value) is not None

    def _minItems(self, limit: int, _: dict[str, Any]) -> Check:
        return lambda value: not isinstance(value, list) or len(value) >= limit

    def _maxItems(self, limit: int, _: dict[str, Any]) -> Check:
        return lambda value: not isinstance(value, list) or len(value) <= limit

    def _uniqueItems(self, unique: bool, _: dict[str, Any]) -> Check | None:
        if not unique:
            return None
        return lambda value: not isinstance(value, list) or _all_distinct(value)

    def _items(self, items: Any, _: dict[str, Any]) -> Check:
        check = self.compile(items)

        def each(value: Any) -> bool:
            if isinstance(value, list):
                for item in value:
                    if not check(item):
                        return False
            return True

        return each

    def _minimum(self, limit: float, _: dict[str, Any]) -> Check:
        return lambda value: not _is_number(value) or value >= limit

    def _maximum(self, limit: float, _: dict[str, Any]) -> Check:
        return lambda value: not _is_number(value) or value <= limit

    def _allOf(self, schemas: list[Any], _: dict[str, Any]) -> Check:
        return _all_of([self.compile(sub) for sub in schemas])

    def _anyOf(self, schemas: list[Any], _: dict[str, Any]) -> Check:
        checks = [self.compile(sub) for sub in schemas]
        return lambda value: any(check(value) for check in checks)

    def _oneOf(self, schemas: list[Any], _: dict[str, Any]) -> Check:
        checks = [self.compile(sub) for sub in schemas]
        return lambda value: sum(1 for check in checks if check(value)) == 1

    def _not(self, schema: Any, _: dict[str, Any]) -> Check:
        check = self.compile(schema)
        return lambda value: not check(value)

    def _if(self, condition: Any, schema: dict[str, Any]) -> Check:
        test = self.compile(condition)
        then = self.compile(schema.get("then", True))
        otherwise = self.compile(schema.get("else", True))
        return lambda value: then(value) if test(value) else otherwise(value)

    def _then(self, *_: Any) -> None:
        """Compiled together with `if`."""
        return None

    def _else(self, *_: Any) -> None:
        """Compiled together with `if`."""
        return None


def _all_of(checks: list[Check]) -> Check:
    # A plain loop: this runs for every value of every object, and beats all() over a generator.
    def check(value: Any) -> bool:
        for one in checks:  # noqa: SIM110
            if not one(value):
                return False
        return True

    return check


def _accept(_: Any) -> bool:
    return True


def _reject(_: Any) -> bool:
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


_TYPE_TESTS: dict[str, Check] = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
}


def _equal(one: Any, other: Any) -> bool:
    """JSON equality: true is not 1, and containers compare item by item."""
    if isinstance(one, bool) or isinstance(other, bool):
        return type(one) is type(other) and one == other
    if isinstance(one, dict) and isinstance(other, dict):
        return one.keys() == other.keys() and all(_equal(one[key], other[key]) for key in one)
    if isinstance(one, list) and isinstance(other, list):
        return len(one) == len(other) and all(_equal(a, b) for a, b in zip(one, other, strict=True))
    if isinstance(one, dict | list) or isinstance(other, dict | list):
        return False
    return bool(one == other)


def _all_distinct(items: list[Any]) -> bool:
    if all(isinstance(item, str) for item in items):
        return len(set(items)) == len(items)
    return all(not _equal(items[i], items[j]) for i in range(len(items)) for j in range(i + 1, len(items)))

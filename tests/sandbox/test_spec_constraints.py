"""Every constraint of the spec's create schemas is enforced with the spec's code, derived from the spec.

For each resource, a valid body is changed in one place to break one constraint the spec's
request schema declares there (a required attribute removed, a string one over its maxLength or
empty under a minLength, a value outside its enum, a number past its range, an array one over its
maxItems or empty under its minItems, a wrong JSON type), and the sandbox must refuse it with the
code the spec gives that violation. Hand-written cases (test_validation.py) say what we expect;
these say what the spec says, so a constraint nobody thought of is covered too.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.sandbox.examples import Graph, collection_of, full_body
from tests.sandbox.spec import spec_or_skip

REQUIRED, NOT_ALLOWED, TOO_LONG = "400-143", "400-196", "400-358"
REMOVE = object()
KINDS = [
    "authentications",
    "oauth2",
    "clientapplications",
    "participants",
    "channels",
    "orchestrations",
    "agent_orchestrations",
    "accounts",
]


@dataclass(frozen=True)
class Violation:
    """One change to a valid body and the code the spec gives it."""

    path: tuple[str | int, ...]
    value: Any
    code: str

    def label(self) -> str:
        return ".".join(str(part) for part in self.path) + f" -> {self.code}"


def _request_schema(collection: str) -> dict[str, Any]:
    operation = spec_or_skip()["paths"][f"/{collection}"]["post"]
    schema: dict[str, Any] = operation["requestBody"]["content"]["application/json"]["schema"]
    return schema


def _parts(schema: dict[str, Any], value: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The object schemas that apply to `value`: allOf members, and the oneOf branch `type` picks."""
    yield schema
    for member in schema.get("allOf", []):
        yield from _parts(member, value)
    for branch in schema.get("oneOf", []):
        if value.get("type") in branch.get("properties", {}).get("type", {}).get("enum", ()):
            yield from _parts(branch, value)


def _violations(schema: dict[str, Any], value: Any, path: tuple[str | int, ...]) -> Iterator[Violation]:
    if isinstance(value, list):
        for index, item in enumerate(value[:1]):
            yield from _violations(schema.get("items", {}), item, (*path, index))
        return
    if not isinstance(value, dict):
        return
    for part in _parts(schema, value):
        for name in part.get("required", ()):
            if name in value:
                yield Violation((*path, name), REMOVE, REQUIRED)
        for name, sub in part.get("properties", {}).items():
            yield from _value_violations(sub, value.get(name, REMOVE), (*path, name))
            if name in value:
                yield from _violations(sub, value[name], (*path, name))


def _value_violations(schema: dict[str, Any], current: Any, path: tuple[str | int, ...]) -> Iterator[Violation]:
    kind = schema.get("type")
    if kind == "string":
        yield Violation(path, 7, NOT_ALLOWED)
        if "maxLength" in schema:
            yield Violation(path, "x" * (schema["maxLength"] + 1), TOO_LONG)
        if schema.get("minLength", 0) >= 1:
            yield Violation(path, "", NOT_ALLOWED)
        if "enum" in schema:
            yield Violation(path, "not-in-the-enum", NOT_ALLOWED)
    elif kind in ("integer", "number"):
        yield Violation(path, "12", NOT_ALLOWED)
        if "maximum" in schema:
            yield Violation(path, schema["maximum"] + 1, NOT_ALLOWED)
        if "minimum" in schema:
            yield Violation(path, schema["minimum"] - 1, NOT_ALLOWED)
        if kind == "integer":
            yield Violation(path, 2.5, NOT_ALLOWED)
    elif kind == "boolean":
        yield Violation(path, "true", NOT_ALLOWED)
    elif kind == "array":
        yield from _array_violations(schema, current, path)
    elif kind == "object" and current is not REMOVE:
        yield Violation(path, [], NOT_ALLOWED)


def _array_violations(schema: dict[str, Any], current: Any, path: tuple[str | int, ...]) -> Iterator[Violation]:
    yield Violation(path, {}, NOT_ALLOWED)
    if schema.get("minItems", 0) >= 1:
        yield Violation(path, [], NOT_ALLOWED)
    if "maxItems" in schema and current is not REMOVE and current:
        yield Violation(path, [current[0]] * (schema["maxItems"] + 1), TOO_LONG)
    item = schema.get("items", {})
    if "enum" in item:
        yield Violation(path, ["not-in-the-enum"], NOT_ALLOWED)


def _applied(body: dict[str, Any], violation: Violation) -> dict[str, Any]:
    result = copy.deepcopy(body)
    node: Any = result
    for part in violation.path[:-1]:
        node = node[part]
    if violation.value is REMOVE:
        del node[violation.path[-1]]
    else:
        node[violation.path[-1]] = violation.value
    return result


@pytest.mark.parametrize("kind", KINDS)
def test_every_constraint_of_the_specs_create_schema_is_refused_with_the_specs_code(
    api: httpx.Client, graph: Graph, kind: str
) -> None:
    collection = collection_of(kind)
    body = full_body(graph, kind)
    violations = list(_violations(_request_schema(collection), body, ()))
    wrong = []
    for violation in violations:
        response = api.post(f"/{collection}", json=_applied(body, violation))
        code = response.json().get("code") if response.status_code != 201 else "201"
        if code != violation.code:
            wrong.append(f"{violation.label()}: got {code}")
    assert wrong == []
    assert len(violations) >= 20, [violation.label() for violation in violations]

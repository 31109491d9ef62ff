"""Access to the JSON Schemas in `schemas/`, shipped inside the package as data."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

# The manifest schema's definition of a `${...}` string; `anyOf: [X, {"$ref": EXPRESSION}]` marks a typed
# value that an editor should also accept as an expression.
EXPRESSION = "#/$defs/expression"


def schema_text(which: str) -> str:
    """The text of `schemas/<which>.schema.json`."""
    return resources.files("egain_provision").joinpath("data", f"{which}.schema.json").read_text("utf-8")


@cache
def load_schema(which: str) -> dict[str, Any]:
    """The parsed schema (cached: validators are built from it once per process)."""
    loaded: dict[str, Any] = json.loads(schema_text(which))
    return loaded


def interpolated(schema: Any) -> Any:
    """`schema` as it applies after interpolation: each `anyOf: [X, expression]` is X again.

    Editors see the expression alternatives; the loader interpolates first and checks the values.
    """
    if isinstance(schema, list):
        return [interpolated(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    branches = schema.get("anyOf")
    if isinstance(branches, list) and len(branches) == 2 and branches[1] == {"$ref": EXPRESSION}:
        annotations = {key: value for key, value in schema.items() if key != "anyOf"}
        return {**interpolated(branches[0]), **annotations}
    return {key: interpolated(value) for key, value in schema.items()}

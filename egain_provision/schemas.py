"""Access to the JSON Schemas in `schemas/`, shipped inside the package as data."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


def schema_text(which: str) -> str:
    """The text of `schemas/<which>.schema.json`."""
    return resources.files("egain_provision").joinpath("data", f"{which}.schema.json").read_text("utf-8")


@cache
def load_schema(which: str) -> dict[str, Any]:
    """The parsed schema (cached: validators are built from it once per process)."""
    loaded: dict[str, Any] = json.loads(schema_text(which))
    return loaded

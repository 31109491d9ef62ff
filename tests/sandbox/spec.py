"""eGain's OpenAPI source, read by tests only: one document with every `$ref` inlined.

The spec lives beside the repository (`../shared/egain-oas/`); tests that need it skip, saying
where they looked, when it is absent. The sandbox never reads it: the tests hold the two apart.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_ROOT = REPO_ROOT.parent / "shared" / "egain-oas" / "published"
API_YAML = SPEC_ROOT / "conversation" / "conversationmgr" / "v3" / "api.yaml"
# The six setup resources the sandbox serves; Conversation and Assets are runtime APIs it does not.
SETUP_TAGS = ("Authentication", "Client Application", "Participant", "Channel", "Orchestration", "Account")


def spec_or_skip() -> dict[str, Any]:
    """The bundled spec, or a skip naming the missing file."""
    if not API_YAML.is_file():
        pytest.skip(f"eGain's OpenAPI source is absent: {API_YAML} (expected at ../shared/egain-oas/)")
    return bundled()


@cache
def bundled() -> dict[str, Any]:
    """api.yaml with every `$ref` (into the model files and both common.yaml) replaced by its target."""
    document: dict[str, Any] = _inline(_load(API_YAML), API_YAML, ())
    return document


def request_examples(operation: dict[str, Any]) -> dict[str, Any]:
    """The named request body examples of an operation (`example` is named "example")."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    if "example" in content:
        return {"example": content["example"]}
    return {name: example["value"] for name, example in content.get("examples", {}).items()}


def setup_operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) for every operation of the six setup resources."""
    found = []
    for path, item in spec_or_skip()["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and set(operation.get("tags", ())) & set(SETUP_TAGS):
                found.append((method.upper(), path, operation))
    return found


@cache
def _load(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _inline(node: Any, base: Path, seen: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_inline(item, base, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target, target_file, key = _target(node["$ref"], base)
        if key in seen:
            raise ValueError(f"recursive $ref {key}")
        return _inline(target, target_file, (*seen, key))
    return {key: _inline(value, base, seen) for key, value in node.items()}


def _target(ref: str, base: Path) -> tuple[Any, Path, str]:
    file_part, _, pointer = ref.partition("#")
    target_file = (base.parent / file_part).resolve() if file_part else base
    node = _load(target_file)
    for token in filter(None, pointer.split("/")):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node, target_file, f"{target_file}#{pointer}"

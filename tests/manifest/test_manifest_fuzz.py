"""Property-based: random and mutated manifests never raise; every outcome is valid or a diagnostic."""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from egain_provision.kinds import KINDS_BY_NAME, SETUP_ORDER
from egain_provision.manifest import load_manifests
from egain_provision.manifest.fastcheck import compile_schema
from egain_provision.manifest.report import render
from egain_provision.manifest.validation import validators
from egain_provision.schemas import load_schema
from tests.manifest.manifest_support import EXAMPLE_ENV, EXAMPLES

FUZZ = settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])


def _example_documents() -> list[dict[str, Any]]:
    documents = []
    for path in [*sorted((EXAMPLES / "byoc").glob("*.yaml")), EXAMPLES / "agent-only" / "agent-only.yaml"]:
        documents.append(yaml.safe_load(path.read_text("utf-8").replace("${file:icons/web.png}", "aWNvbg==")))
    return documents


def _merged_example() -> dict[str, Any]:
    merged: dict[str, Any] = {"version": 1}
    for document in _example_documents():
        for key, value in document.items():
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            elif key != "version":
                merged[key] = value
    return merged


BASE = _merged_example()

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["${var:X}", "${env:EGAIN_VAR_BOT_TOKEN_PAYLOAD}", "$${", "${", "custom_bot"]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def _containers(node: Any, found: list[Any]) -> list[Any]:
    if isinstance(node, dict | list):
        found.append(node)
        for child in node.values() if isinstance(node, dict) else node:
            _containers(child, found)
    return found


@st.composite
def mutated(draw: st.DrawFn, base: Any = BASE) -> Any:
    """The example with a few random edits: drop, duplicate, retype, rename, insert."""
    document = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 4))):
        containers = _containers(document, [])
        target = draw(st.sampled_from(containers))
        operation = draw(st.sampled_from(["drop", "duplicate", "retype", "rename", "insert"]))
        if isinstance(target, dict) and target:
            key = draw(st.sampled_from(sorted(target)))
            if operation == "drop":
                del target[key]
            elif operation == "rename":
                target[key + draw(st.sampled_from(["s", "_", ""]))[:1] or key[:-1]] = target.pop(key)
            elif operation == "insert":
                target[draw(st.text(max_size=8))] = draw(json_values)
            else:
                target[key] = draw(json_values) if operation == "retype" else copy.deepcopy(target[key])
        elif isinstance(target, list) and target:
            index = draw(st.integers(0, len(target) - 1))
            if operation == "drop":
                del target[index]
            elif operation == "duplicate":
                target.append(copy.deepcopy(target[index]))
            else:
                target[index] = draw(json_values)
    return document


def _check_outcome(files: list[Path]) -> None:
    manifest_set = load_manifests(files, variables={"X": "1"}, environ=EXAMPLE_ENV)
    for diagnostic in manifest_set.diagnostics:
        assert diagnostic.location is not None
        assert diagnostic.location.line >= 1 and diagnostic.location.column >= 1
        assert diagnostic.message
    for fmt in ("text", "json", "github"):
        render(manifest_set.diagnostics, fmt=fmt, summary="")
    json.dumps([d.to_json() for d in manifest_set.diagnostics])


@FUZZ
@given(mutated())
def test_mutated_examples_give_diagnostics_not_tracebacks(document: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
        _check_outcome([path])


@settings(max_examples=500)
@given(
    st.lists(st.sampled_from([*"version: 1\n-[]{}&*!|>'\"#%@`,?$\t abc", "channels", "${var:X}", "<<"]), max_size=80)
)
def test_random_yaml_text_gives_diagnostics_not_tracebacks(tokens: list[str]) -> None:
    text = "".join(tokens)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.yaml"
        path.write_text(text, "utf-8")
        _check_outcome([path])


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_random_bytes_give_diagnostics_not_tracebacks(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.yaml"
        path.write_bytes(data)
        _check_outcome([path])


@settings(max_examples=1000)
@given(st.sampled_from(SETUP_ORDER).flatmap(lambda kind: st.tuples(st.just(kind), mutated(BASE[kind][0]))))
def test_fast_check_agrees_with_jsonschema(case: tuple[str, Any]) -> None:
    kind, value = case
    validator = validators().kinds[kind]
    assert validator.fast is not None
    assert validator.fast(value) == validator.schema.is_valid(value)


@settings(max_examples=300)
@given(st.sampled_from(SETUP_ORDER).flatmap(lambda kind: st.tuples(st.just(kind), mutated(BASE[kind][0]))))
def test_fast_check_agrees_with_jsonschema_on_the_editor_schema(case: tuple[str, Any]) -> None:
    kind, value = case
    schema = load_schema("manifest")
    kind_schema = {
        "$schema": schema["$schema"],
        "$defs": schema["$defs"],
        "$ref": f"#/$defs/{KINDS_BY_NAME[kind].singular}",
    }
    assert compile_schema(kind_schema, kind_schema)(value) == Draft202012Validator(kind_schema).is_valid(value)

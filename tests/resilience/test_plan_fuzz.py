"""`plan` on random and mutated manifests: a clear error or a plan, never a traceback, never a secret."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.resilience.resilience_support import assert_no_secrets_in
from tests.support import FULL_SETUP, run_cli, write_manifest

BASE = yaml.safe_load(FULL_SETUP)
SAVED_PLAN = "saved-plan.json"  # in the workspace
FUZZ = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NAMES = ["bot-callback", "agent-basic", "web-customer", "order-bot-app", "agent-desk", "order-bot", "custom.web"]
# Interpolation in odd places; none of these yields a secret (see test_environment_values_stay_masked.py).
EXPRESSIONS = [
    "${env:EGAIN_VAR_NOT_SET}",
    "${env:HOME}",
    "${var:nothing}",
    "${file:.}",
    "${file:missing.png}",
    "${file:../}",
    "${env:}",
    "${",
    "$${env:EGAIN_VAR_AGENT_PASSWORD}",
]


def _leaves(node: Any) -> Iterator[tuple[Any, Any]]:
    """Every (key, scalar) in a document."""
    for parent, key in _spots(node):
        if not isinstance(parent[key], dict | list):
            yield key, parent[key]


def _spots(node: Any) -> Iterator[tuple[Any, Any]]:
    """Every (container, key or index) in a document, depth first."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in list(items):
        yield node, key
        yield from _spots(child)


text = st.text(st.characters(codec="utf-8"), max_size=30)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), text)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=10
)
# The document's own strings, so a swap often keeps it valid but confuses names, kinds and roles.
words = st.sampled_from(sorted({value for _, value in _leaves(BASE) if isinstance(value, str)})) | text
# Shape-keeping edits are drawn more often, so that many examples get as far as computing a plan.
EDITS = ["drop", "retype", "expression"] + ["same type", "duplicate", "reorder", "reference"] * 3
references = st.one_of(
    text,
    st.sampled_from(NAMES),
    st.uuids().map(str),
    st.builds(lambda value: {"id": value}, text | st.uuids().map(str)),
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder (and one embedded sandbox holding FULL_SETUP) for every example of the module.

    The live header value is a plain literal: a `--prune` plan shows what it deletes, and without a
    state file it cannot know that a live header value once came from the environment.
    """
    folder = tmp_path_factory.mktemp("plan-fuzz")
    arranged = run_cli(
        [
            "apply",
            "--auto-approve",
            "--target",
            "sandbox",
            str(write_manifest(folder / "arranged", FULL_SETUP.replace("${env:EGAIN_VAR_CALLBACK_TOKEN}", "literal"))),
            "--journal",
            str(folder / "journal.jsonl"),
        ],
        env={"EGAIN_SANDBOX_DB": str(folder / "sandbox.db")},
    )
    assert arranged.exit_code == 0, arranged.output
    return folder


def plan_shows_no_traceback(workspace: Path, manifest_text: str, options: list[str]) -> None:
    """Plan the manifest on the embedded sandbox: a documented exit code, no traceback, no secret
    (in the output, nor in the saved plan when `--out` is among the options)."""
    manifest, saved = workspace / "fuzzed.yaml", workspace / SAVED_PLAN
    manifest.write_text(manifest_text, encoding="utf-8")
    saved.unlink(missing_ok=True)
    options = [str(saved) if option == SAVED_PLAN else option for option in options]
    result = run_cli(
        ["plan", "--target", "sandbox", str(manifest), *options],
        env={"EGAIN_SANDBOX_DB": str(workspace / "sandbox.db")},
    )
    event(f"exit code {result.exit_code}")
    allowed = {0, 1, 2, 3, 4} if "--detailed-exitcode" in options else {0, 1}
    assert result.exit_code in allowed, result.output
    assert "Traceback" not in result.output, result.output
    assert_no_secrets_in([result.stdout, result.stderr, saved.read_text("utf-8") if saved.exists() else ""])


plan_options = st.tuples(
    st.sampled_from([[], ["--format", "json"], ["--format", "markdown"]]),
    st.sampled_from([[], ["--detailed-exitcode"]]),
    st.sampled_from([[], ["--prune", "--max-deletes", "100"]]),
    st.sampled_from([[], ["--out", SAVED_PLAN]]),
).map(lambda parts: [option for part in parts for option in part])


@st.composite
def mutated_full_setup(draw: st.DrawFn) -> Any:
    """FULL_SETUP with one to three edits. Some break it (a key dropped, a value of another type, an
    interpolation expression in an odd place); some keep its shape so the plan gets computed (a string
    or number changed, a reference to another name, a list reordered or an entry repeated, a rename)."""
    document = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        spots = list(_spots(document))
        if not spots:
            break
        parent, key = draw(st.sampled_from(spots))
        current = parent[key]
        edit = draw(st.sampled_from(EDITS))
        if edit == "drop":
            del parent[key]
        elif edit == "retype":
            parent[key] = draw(values)
        elif edit == "same type" and isinstance(current, dict):
            current.update(previousNames=draw(st.lists(st.sampled_from(NAMES) | text, max_size=2)))
        elif edit == "same type" and not isinstance(current, list):
            parent[key] = draw(st.from_type(type(current)) if isinstance(current, bool | int) else words)
        elif edit == "duplicate" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(current))
        elif edit in ("duplicate", "reorder") and isinstance(current, list) and current:
            extra = [copy.deepcopy(draw(st.sampled_from(current)))] if edit == "duplicate" else []
            parent[key] = draw(st.permutations(current)) + extra
        elif edit == "reference":
            parent[key] = draw(references)
        else:
            parent[key] = draw(st.sampled_from(EXPRESSIONS))
    if draw(st.booleans()):
        document["ignore"] = {
            draw(st.sampled_from(list(BASE)[1:])): draw(
                st.lists(st.sampled_from(["*", "order-*", "?"]) | text, max_size=2)
            )
        }
    return document


@st.composite
def mangled_yaml(draw: st.DrawFn) -> str:
    """FULL_SETUP's text with lines dropped, repeated (duplicate keys), re-indented, or random text spliced in."""
    lines = FULL_SETUP.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["drop", "repeat", "indent", "splice", "truncate"]))
        if edit == "drop" and len(lines) > 1:
            del lines[index]
        elif edit == "repeat":
            lines.insert(index, lines[index])
        elif edit == "indent":
            lines[index] = " " * draw(st.integers(0, 9)) + lines[index].lstrip()
        elif edit == "splice":
            column = draw(st.integers(0, len(lines[index])))
            lines[index] = lines[index][:column] + draw(text) + lines[index][column:]
        else:
            lines[index] = lines[index][: draw(st.integers(0, len(lines[index])))]
    return "\n".join(lines) + "\n"


kinds_with_random_entries = st.fixed_dictionaries(
    {"version": st.sampled_from([1, 1, 2, "1", None])},
    optional={kind: st.lists(values, max_size=3) | values for kind in BASE if kind != "version"},
)


@FUZZ
@given(document=mutated_full_setup(), options=plan_options)
def test_plan_of_a_mutated_manifest_never_shows_a_traceback(workspace: Path, document: Any, options: list[str]) -> None:
    plan_shows_no_traceback(workspace, yaml.safe_dump(document, sort_keys=False, allow_unicode=True), options)


@FUZZ
@given(manifest_text=mangled_yaml(), options=plan_options)
def test_plan_of_mangled_yaml_never_shows_a_traceback(workspace: Path, manifest_text: str, options: list[str]) -> None:
    plan_shows_no_traceback(workspace, manifest_text, options)


@FUZZ
@given(
    manifest_text=st.one_of(
        text,
        values.map(lambda value: yaml.safe_dump(value, allow_unicode=True)),
        kinds_with_random_entries.map(lambda value: yaml.safe_dump(value, allow_unicode=True)),
    ),
    options=plan_options,
)
def test_plan_of_a_random_document_never_shows_a_traceback(
    workspace: Path, manifest_text: str, options: list[str]
) -> None:
    plan_shows_no_traceback(workspace, manifest_text, options)

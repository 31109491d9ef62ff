"""Every request example in eGain's spec, written as a manifest, passes `egain-provision validate`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from egain_provision.cli import main
from egain_provision.kinds import KINDS, Kind
from egain_provision.normalize import live_to_manifest
from tests.contract.spec_support import spec_or_skip
from tools.spec_facts import API, Spec


def request_examples(root: Path) -> list[tuple[Kind, str, dict[str, Any]]]:
    """(kind, example label, API body) of every create and update example of the six setup kinds."""
    spec = Spec(root)
    api_file = root / API
    paths = spec.load(api_file)["paths"]
    found = []
    for kind in KINDS:
        for path, method in ((kind.api_path, "post"), (f"{kind.api_path}/{{id}}", "put")):
            body, body_file = spec.resolve(paths[path][method]["requestBody"], api_file)
            [media] = body["content"].values()
            examples = {"example": {"value": media["example"]}} if "example" in media else media["examples"]
            for label, example in examples.items():
                value, _ = spec.resolve(example, body_file)
                found.append((kind, f"{method.upper()} {path}: {label}", value["value"]))
    return found


def as_manifest(kind: Kind, body: dict[str, Any]) -> dict[str, Any]:
    """The API body in manifest terms: no server fields, every reference the literal `{id}` it names."""
    return {"version": 1, kind.name: [live_to_manifest(kind, body, lambda _kind, _id: None)]}


def test_the_spec_has_request_examples_of_every_kind() -> None:
    examples = request_examples(spec_or_skip())
    assert {kind.name for kind, _, _ in examples} == {kind.name for kind in KINDS}
    assert len(examples) >= 2 * len(KINDS)


def test_every_spec_request_example_validates_as_a_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    failed = {}
    for index, (kind, label, body) in enumerate(request_examples(spec_or_skip())):
        path = tmp_path / f"example-{index}.yaml"
        path.write_text(yaml.safe_dump(as_manifest(kind, body), sort_keys=False), "utf-8")
        code = main(["validate", "--no-color", str(path)])
        output = capsys.readouterr()
        if code != 0:
            failed[label] = output.out + output.err
    assert failed == {}

"""A value from the environment is sensitive wherever a manifest uses it (DESIGN.md §2): never printed.

Secrets are meant for the secret fields, but a manifest may put `${env:EGAIN_VAR_...}` anywhere, by
mistake or on purpose; the value must still not reach plan output or an error message.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.resilience.resilience_support import assert_no_secrets_in
from tests.support import FULL_SETUP, PASSWORD_SECRET, run_cli, write_manifest

BASE = yaml.safe_load(FULL_SETUP)
PASSWORD = "${env:EGAIN_VAR_AGENT_PASSWORD}"
SECRET_EXPRESSIONS = [
    PASSWORD,
    "${env:EGAIN_VAR_BOT_TOKEN_PAYLOAD}",
    "${env:EGAIN_VAR_CALLBACK_TOKEN}",
    "x-${env:EGAIN_VAR_AGENT_PASSWORD}",
]


def plan(tmp_path: Path, document: dict[str, Any], *options: str) -> tuple[int, str]:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    result = run_cli(
        ["plan", "--target", "sandbox", str(manifest), *options], env={"EGAIN_SANDBOX_DB": str(tmp_path / "sb.db")}
    )
    return result.exit_code, result.output


def edited(edit: Any) -> dict[str, Any]:
    document = copy.deepcopy(BASE)
    edit(document)
    return document


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_plan_masks_a_natural_key_taken_from_the_environment(tmp_path: Path, fmt: str) -> None:
    document = edited(lambda d: d["authentications"][1].update(name=PASSWORD))
    document["clientApplications"][2]["roles"][0]["authentication"] = PASSWORD
    exit_code, output = plan(tmp_path, document, "--format", fmt)
    # Planning it, or refusing a natural key from the environment, are both fine; printing it is not.
    assert exit_code in (0, 1), output
    assert "Traceback" not in output
    assert PASSWORD_SECRET not in output


def test_a_reference_taken_from_the_environment_is_refused_without_its_value(tmp_path: Path) -> None:
    document = edited(lambda d: d["participants"][0].update(application=PASSWORD))
    exit_code, output = plan(tmp_path, document)
    assert exit_code == 1
    assert "application cannot come from ${env:...}" in output
    assert PASSWORD_SECRET not in output


def test_validate_warns_about_a_role_taken_from_the_environment_without_its_value(tmp_path: Path) -> None:
    document = edited(lambda d: d["clientApplications"][0]["roles"][0].update(name=PASSWORD))
    result = run_cli(["validate", str(write_manifest(tmp_path, yaml.safe_dump(document, sort_keys=False)))])
    assert "has no customer role" in result.output
    assert PASSWORD_SECRET not in result.output


@st.composite
def secret_somewhere(draw: st.DrawFn) -> dict[str, Any]:
    """FULL_SETUP with one to three strings replaced by an expression whose value is a secret."""
    document = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        spots = [(parent, key) for parent, key in _spots(document) if isinstance(parent[key], str)]
        parent, key = draw(st.sampled_from(spots))
        parent[key] = draw(st.sampled_from(SECRET_EXPRESSIONS))
    return document


def _spots(node: Any) -> list[tuple[Any, Any]]:
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    found = []
    for key, child in list(items):
        found.append((node, key))
        found += _spots(child)
    return found


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("env-values")


@settings(
    max_examples=100,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # the focused tests above are the minimal examples
    suppress_health_check=[HealthCheck.too_slow],
)
@given(document=secret_somewhere(), fmt=st.sampled_from(["text", "json", "markdown"]))
def test_plan_never_prints_an_environment_value_wherever_the_manifest_uses_it(
    folder: Path, document: dict[str, Any], fmt: str
) -> None:
    exit_code, output = plan(folder, document, "--format", fmt)
    assert exit_code in (0, 1)
    assert "Traceback" not in output
    assert_no_secrets_in([output])

"""The CI examples and the action validate against the schemas editors and linters use for them.

check-jsonschema vendors SchemaStore's schemas for GitHub workflows, GitHub actions and GitLab CI,
so the check runs offline. Where check-jsonschema is not installed the tests skip, saying so.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKED = [
    ("vendor.github-workflows", "examples/ci/github-actions.yml"),
    ("vendor.github-workflows", "examples/ci/github-actions-drift.yml"),
    ("vendor.github-actions", "action.yml"),
    ("vendor.gitlab-ci", "examples/ci/gitlab-ci.yml"),
]

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("check_jsonschema") is None,
    reason="check-jsonschema is not installed (pip install check-jsonschema; it is in the dev extra)",
)


def check(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(("schema", "path"), CHECKED, ids=[path for _, path in CHECKED])
def test_the_file_validates_against_its_vendored_schema(schema: str, path: str) -> None:
    result = check(schema, ROOT / path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_workflow_with_a_misspelt_key_is_refused(tmp_path: Path) -> None:
    """The check can fail: a job whose `steps` is misspelt is not a workflow."""
    broken = tmp_path / "broken.yml"
    text = (ROOT / "examples/ci/github-actions.yml").read_text("utf-8").replace("    steps:", "    stepz:", 1)
    broken.write_text(text, "utf-8")
    result = check("vendor.github-workflows", broken)
    assert result.returncode != 0, result.stdout

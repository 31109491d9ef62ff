"""`egain-provision fmt`: canonical layout that keeps comments, anchors and key order, idempotent, meaning kept."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from egain_provision.fmt import format_text
from tests.support import FULL_SETUP, run_cli, write_manifest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(path for path in (REPO / "examples").rglob("*.y*ml") if path.suffix in (".yaml", ".yml"))

# Comment-heavy and untidy: compact sequences, odd indentation, trailing spaces, an anchor and its alias.
# (A trailing comment keeps its column.)
UNTIDY = """\
# yaml-language-server: $schema=../schemas/manifest.schema.json
# The callbacks' credentials.
version: 1   # the format

authentications:
# first one
- name: agent-basic\x20\x20
  type: basic
  basicAuth:
       username: egain      # who
       password: ${env:EGAIN_VAR_AGENT_PASSWORD}
clientApplications:
    -   name: agent-desk
        roles:
        -   name: custom_agent
            version: v3
            callback: &cb https://agents.example.com/egain/callback
            notificationEmail: 'ops@example.com'
            authentication: agent-basic
    -   name: agent-desk-2
        roles:
        - {name: custom_agent, version: v3, callback: *cb, notificationEmail: ops@example.com}
# trailing note
"""

CANONICAL = """\
# yaml-language-server: $schema=../schemas/manifest.schema.json
# The callbacks' credentials.
version: 1   # the format

authentications:
# first one
  - name: agent-basic
    type: basic
    basicAuth:
      username: egain       # who
      password: ${env:EGAIN_VAR_AGENT_PASSWORD}
clientApplications:
  - name: agent-desk
    roles:
      - name: custom_agent
        version: v3
        callback: &cb https://agents.example.com/egain/callback
        notificationEmail: 'ops@example.com'
        authentication: agent-basic
  - name: agent-desk-2
    roles:
      - {name: custom_agent, version: v3, callback: *cb, notificationEmail: ops@example.com}
# trailing note
"""


@pytest.mark.parametrize("example", EXAMPLES, ids=[str(path.relative_to(REPO)) for path in EXAMPLES])
def test_every_example_is_already_canonical(example: Path) -> None:
    text = example.read_text(encoding="utf-8")
    assert format_text(text, str(example)) == text


def test_untidy_manifest_is_laid_out_canonically_keeping_comments_anchors_order_and_quotes() -> None:
    formatted = format_text(UNTIDY, "untidy.yaml")
    assert formatted == CANONICAL
    assert format_text(formatted, "untidy.yaml") == formatted


def test_fmt_output_validates_and_plans_as_the_input_did(tmp_path: Path) -> None:
    compact = "".join(line[2:] if line.startswith("  ") else line for line in FULL_SETUP.splitlines(True))
    before, after = tmp_path / "before", tmp_path / "after"
    write_manifest(before, "# setup\n" + compact)
    write_manifest(after, "# setup\n" + compact)
    result = run_cli(["fmt", str(after)])
    assert result.exit_code == 0, result.stderr
    assert (after / "setup.yaml").read_text(encoding="utf-8") == "# setup\n" + FULL_SETUP
    plans = []
    for directory in (before, after):
        validated = run_cli(["validate", "--format", "json", str(directory)])
        assert validated.exit_code == 0, validated.output
        planned = run_cli(
            ["plan", "--format", "json", "--target", "sandbox", str(directory)],
            env={"EGAIN_SANDBOX_DB": str(tmp_path / "sandbox.db")},
        )
        assert planned.exit_code == 0, planned.stderr
        # The same plan but for where each object is declared (its directory, and columns fmt moved).
        document = json.loads(planned.stdout)
        actions = [{key: value for key, value in action.items() if key != "location"} for action in document["actions"]]
        plans.append((actions, document["summary"]))
    assert plans[0] == plans[1]


def test_check_lists_the_files_to_change_and_changes_nothing(tmp_path: Path) -> None:
    untidy = write_manifest(tmp_path, UNTIDY, "untidy.yaml")
    tidy = write_manifest(tmp_path, CANONICAL, "tidy.yaml")
    result = run_cli(["fmt", "--check", "--diff", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"would reformat {untidy}"]
    assert f"--- {untidy}" in result.stdout and "-    -   name: agent-desk" in result.stdout
    assert untidy.read_text(encoding="utf-8") == UNTIDY
    assert run_cli(["fmt", "--check", str(tidy)]).exit_code == 0


def test_yaml_that_is_not_a_manifest_is_left_alone(tmp_path: Path) -> None:
    workflow = "jobs:\n    check: {runs-on: ubuntu-latest}\n"
    path = write_manifest(tmp_path, workflow, "ci.yaml")
    assert run_cli(["fmt", str(path)]).exit_code == 0
    assert path.read_text(encoding="utf-8") == workflow


def test_broken_yaml_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = write_manifest(tmp_path, "version: 1\naccounts: [\n", "broken.yaml")
    result = run_cli(["fmt", str(path)])
    assert result.exit_code == 1
    assert f"fix the YAML at {path}:" in result.stderr


def test_the_tracked_examples_are_left_unmodified_by_fmt(tmp_path: Path) -> None:
    copy = tmp_path / "byoc"
    shutil.copytree(REPO / "examples" / "byoc", copy)
    assert run_cli(["fmt", "--check", str(copy)]).exit_code == 0

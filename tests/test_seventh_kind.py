"""A seventh kind is one declaration and one schema fragment: every stage handles it with no engine change.

The test copies the package and its schemas, adds a throw-away `greetings` kind to the copy's
kind table and a fragment for its fields, regenerates the copy's schemas, gives the copy's
sandbox a rule for it (the sandbox is an independent reading, so it needs its own), and then
runs validate, graph, plan, apply, export and prune through the copy's CLI against its embedded sandbox.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

GREETING_KIND = """
KINDS = (
    *KINDS,
    Kind(
        name="greetings",
        title="Greeting",
        api_path="/greetings",
        list_key="greeting",
        references=(Reference("channel", "channels"),),
    ),
)
"""

GREETING_FRAGMENT = {
    "$defs": {
        "greeting": {
            "type": "object",
            "description": "A greeting a channel shows (a kind that exists only in this test).",
            "properties": {
                "name": {"$ref": "#/$defs/name255"},
                "description": {"$ref": "#/$defs/description"},
                "active": {"$ref": "#/$defs/active"},
                "previousNames": {"$ref": "#/$defs/previousNames"},
                "channel": {"$ref": "#/$defs/channelReference"},
                "text": {"type": "string", "minLength": 1, "maxLength": 255, "description": "What it says."},
            },
            "required": ["name", "channel", "text"],
            "additionalProperties": False,
        }
    }
}

# The sandbox's own rule for the new resource, in the sandbox's terms (a test fixture, not product code).
GREETING_RULE = """
GREETING = Resource(
    collection="greetings",
    singular="greeting",
    label_field="name",
    unique_key=True,
    body=Record(
        {"name": _NAME, "description": _DESCRIPTION, "active": _ACTIVE, "channel": _id_of("channels"),
         "text": _text(1, 255)},
        required=("name", "channel", "text"),
    ),
)
RESOURCES[GREETING.collection] = GREETING
"""

CHANNEL = """\
channels:
  - type: custom.web
    displayName: Web chat
    icon: iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==
"""
WITH_GREETING = f"""\
version: 1
{CHANNEL}greetings:
  - name: welcome
    channel: custom.web
    text: Hello! How can we help?
"""
WITHOUT_GREETING = f"version: 1\n{CHANNEL}"


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package and schemas copied, with the seventh kind added to the copy only."""
    root = tmp_path_factory.mktemp("seventh-kind")
    shutil.copytree(
        REPO / "egain_provision", root / "egain_provision", symlinks=True, ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(REPO / "schemas", root / "schemas")
    kinds = root / "egain_provision" / "kinds.py"
    text = kinds.read_text()
    marker = "\nKINDS_BY_NAME"
    assert marker in text
    kinds.write_text(text.replace(marker, GREETING_KIND + marker, 1))
    (root / "schemas" / "fragments" / "greetings.json").write_text(json.dumps(GREETING_FRAGMENT, indent=2))
    rules = root / "egain_provision" / "sandbox" / "rules.py"
    rules.write_text(rules.read_text() + GREETING_RULE)
    generated = run(root, "-m", "egain_provision.schemagen", "--write")
    assert generated.returncode == 0, generated.stderr
    return root


def run(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("EGAIN_", "CI"))}
    environment.update({"PYTHONPATH": str(root), "EGAIN_SANDBOX_DB": str(root / "sandbox.db"), **(env or {})})
    return subprocess.run(
        [sys.executable, *args], cwd=root, env=environment, capture_output=True, text=True, timeout=120, check=False
    )


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(root, "-m", "egain_provision.cli", *args)


def manifest(root: Path, text: str) -> str:
    path = root / "setup.yaml"
    path.write_text(text)
    return str(path)


def test_the_copy_is_what_runs(copy: Path) -> None:
    found = run(
        copy,
        "-c",
        "import egain_provision, egain_provision.kinds as k; print(egain_provision.__file__, "
        "[kind.name for kind in k.KINDS][-1])",
    )
    assert found.stdout.split() == [str(copy / "egain_provision" / "__init__.py"), "greetings"]
    plan_schema = json.loads((copy / "schemas" / "plan.schema.json").read_text())
    assert "greetings" in plan_schema["$defs"]["kind"]["enum"]


def test_validate_plan_apply_export_and_prune_handle_the_seventh_kind(copy: Path) -> None:
    with_greeting = manifest(copy, WITH_GREETING)
    assert cli(copy, "validate", with_greeting).returncode == 0
    wrong = cli(copy, "validate", manifest(copy, WITH_GREETING.replace("text:", "txt:")))
    assert wrong.returncode == 1 and "unknown field 'txt'" in wrong.stdout

    drawn = cli(copy, "graph", manifest(copy, WITH_GREETING))
    assert drawn.returncode == 0, drawn.stderr
    assert '["greetings"]' in drawn.stdout and re.search(r"n\d+ -->\|channel\| n\d+", drawn.stdout)

    with_greeting = manifest(copy, WITH_GREETING)
    planned = cli(copy, "plan", "--target", "sandbox", "--detailed-exitcode", "--format", "json", with_greeting)
    assert planned.returncode == 2, planned.stderr
    actions = [(a["action"], a["kind"], a["natural_key"]) for a in json.loads(planned.stdout)["actions"]]
    assert actions == [("create", "channels", "custom.web"), ("create", "greetings", "welcome")]

    applied = cli(copy, "apply", "--target", "sandbox", "--auto-approve", with_greeting)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert cli(copy, "plan", "--target", "sandbox", "--detailed-exitcode", with_greeting).returncode == 0

    exported = cli(copy, "export", "--target", "sandbox", "--out", str(copy / "exported"))
    assert exported.returncode == 0, exported.stderr
    tenant = (copy / "exported" / "tenant.yaml").read_text()
    assert "greetings:" in tenant and "channel: custom.web" in tenant

    without = manifest(copy, WITHOUT_GREETING)
    pruned = cli(copy, "apply", "--target", "sandbox", "--auto-approve", "--prune", without)
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    assert "1 deleted" in pruned.stdout
    assert cli(copy, "plan", "--target", "sandbox", "--detailed-exitcode", "--prune", without).returncode == 0

"""`validate --only-manifests --allow-unset`, the options a pre-commit hook runs with: other YAML is
skipped with a note, unset secrets and variables are warnings, and every other problem still fails."""

from __future__ import annotations

from pathlib import Path

from tests.support import FULL_SETUP, run_cli

NO_SECRETS = {"EGAIN_VAR_BOT_TOKEN_PAYLOAD": None, "EGAIN_VAR_AGENT_PASSWORD": None, "EGAIN_VAR_CALLBACK_TOKEN": None}


def write(directory: Path, name: str, text: str) -> str:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_only_manifests_skips_other_yaml_but_keeps_anything_that_could_be_a_manifest(tmp_path: Path) -> None:
    ci = write(tmp_path, "ci.yml", "stages: [plan]\nplan:\n  script: [make]\n")
    variables = write(tmp_path, "staging.vars.yaml", "ENV: staging\n")
    empty = write(tmp_path, "empty.yaml", "")
    unversioned = write(tmp_path, "unversioned.yaml", "channels:\n  - type: custom.web\n    displayName: Web\n")
    broken = write(tmp_path, "broken.yaml", "version: 1\nchannels: [\n")
    result = run_cli(["validate", "--only-manifests", ci, variables, empty, unversioned, broken])
    assert result.exit_code == 1
    for skipped in (ci, variables, empty):
        assert f"{skipped}: skipped: not a manifest" in result.stderr
    assert f"{unversioned}:1:1: error: missing required field 'version'" in result.stdout
    assert f"{broken}:" in result.stdout and "YAML syntax error" in result.stdout
    assert "in 2 files" in result.stdout


def test_without_only_manifests_other_yaml_is_an_error() -> None:
    result = run_cli(["validate", "examples/environments/staging.vars.yaml"])
    assert result.exit_code == 1
    assert "missing required field 'version'" in result.stdout


def test_allow_unset_turns_only_unset_values_into_warnings(tmp_path: Path) -> None:
    manifest = write(tmp_path, "setup.yaml", FULL_SETUP)
    strict = run_cli(["validate", manifest], env=NO_SECRETS)
    assert strict.exit_code == 1
    assert "error: environment variable EGAIN_VAR_BOT_TOKEN_PAYLOAD is not set" in strict.stdout
    lenient = run_cli(["validate", "--allow-unset", manifest], env=NO_SECRETS)
    assert lenient.exit_code == 0, lenient.stdout
    assert "warning: environment variable EGAIN_VAR_BOT_TOKEN_PAYLOAD is not set" in lenient.stdout
    assert "valid: 9 objects in 1 file (3 warnings)" in lenient.stdout


def test_allow_unset_still_fails_other_problems_next_to_an_unset_value(tmp_path: Path) -> None:
    text = (
        FULL_SETUP.replace("timeout: 30", "timeout: ${var:TIMEOUT}")
        .replace("displayName: Web chat", "displayName: ${nope:X}")
        .replace(
            "notificationEmail: ops@example.com\n        headers", "notificatonEmail: ops@example.com\n        headers"
        )
    )
    manifest = write(tmp_path, "setup.yaml", text)
    result = run_cli(["validate", "--allow-unset", manifest], env=NO_SECRETS)
    assert result.exit_code == 1
    assert "warning: variable 'TIMEOUT' is not set" in result.stdout
    assert "error: unknown interpolation source 'nope'" in result.stdout
    assert "error: unknown field 'notificatonEmail'" in result.stdout
    # The field an unset value feeds goes unchecked: no type error for the template left in its place.
    errors = [line for line in result.stdout.splitlines() if ": error: " in line]
    assert not [line for line in errors if "chatConfigurations.timeout" in line], errors

"""`--var` and `--var-file`: dotenv rules for NAME=VALUE files, hostile files refused, unused variables named."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from egain_provision.commands.common import parse_variables
from egain_provision.errors import UsageError
from tests.manifest.manifest_support import Workspace, run_cli
from tests.support import run_cli as cli


def var_file(ws: Workspace, text: str) -> tuple[str, ...]:
    return (str(ws.write("vars.env", text)),)


def test_a_name_value_file_follows_dotenv_rules(ws: Workspace) -> None:
    # Read line by line, quotes stayed in the value, a comment joined it and `export A` was a name.
    files = var_file(
        ws,
        """
        # staging
        export ENV=staging
        TITLE="Shop chat"   # the display name
        QUOTED='a # b'
        EMPTY=
        """,
    )
    assert parse_variables((), files) == {"ENV": "staging", "TITLE": "Shop chat", "QUOTED": "a # b", "EMPTY": ""}


def test_a_name_value_file_does_not_expand_the_environment(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    # dotenv expands ${NAME} by default: that would lift EGAIN_CLIENT_SECRET into a variable and a plan.
    monkeypatch.setenv("EGAIN_CLIENT_SECRET", "do-not-lift")
    assert parse_variables((), var_file(ws, "A=${EGAIN_CLIENT_SECRET}\n")) == {"A": "${EGAIN_CLIENT_SECRET}"}


@pytest.mark.parametrize("line", ["JUST_A_NAME", "'unterminated=x", "A B=c"])
def test_a_line_that_is_not_name_value_is_an_error_at_its_line(ws: Workspace, line: str) -> None:
    files = var_file(ws, f"A=1\n{line}\n")
    with pytest.raises(UsageError) as raised:
        parse_variables((), files)
    assert (raised.value.message, raised.value.where) == ("expected NAME=VALUE or a YAML mapping", f"{files[0]}:2")


def test_a_yaml_mapping_still_works_and_a_huge_number_in_it_is_an_error(ws: Workspace) -> None:
    assert parse_variables((), var_file(ws, "A: web\nB: 30\n")) == {"A": "web", "B": "30"}
    with pytest.raises(UsageError, match="number too large"):
        parse_variables((), var_file(ws, "A: " + "9" * 5000 + "\n"))


def test_a_fifo_as_variable_file_is_refused_without_waiting(ws: Workspace, no_hang: None) -> None:
    os.mkfifo(ws.root / "vars.env")
    with pytest.raises(UsageError, match=r"cannot read variable file: not a regular file \(a FIFO\)"):
        parse_variables((), (str(ws.root / "vars.env"),))


def test_a_device_as_variable_file_is_refused_without_reading_it(no_hang: None) -> None:
    with pytest.raises(UsageError, match=r"not a regular file \(a character device\)"):
        parse_variables((), (str(Path("/dev/zero")),))


CHANNEL = "version: 1\nchannels:\n  - {type: 'custom.${var:ENV}', displayName: Web, icon: aWNvbg==}\n"
TYPO_WARNING = "warning: variable 'ENVV' is set but no manifest uses it\n    hint: did you mean 'ENV'?\n"


def test_validate_warns_on_stderr_about_a_variable_no_manifest_uses(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    path = ws.write("m.yaml", CHANNEL)
    result = run_cli(capsys, "validate", str(path), "--var", "ENV=prod", "--var", "ENVV=prod")
    # A warning, not a failure: one variable file may well serve several setups.
    assert (result.code, result.out, result.err) == (0, "valid: 1 object in 1 file\n", TYPO_WARNING)


def test_the_warning_also_comes_when_the_typo_left_a_variable_unset(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    path = ws.write("m.yaml", CHANNEL)
    result = run_cli(capsys, "validate", str(path), "--var", "ENVV=prod")
    assert (result.code, result.err) == (1, TYPO_WARNING)
    assert "variable 'ENV' is not set" in result.out


def test_a_variable_file_entry_no_manifest_uses_is_named_too(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    path = ws.write("m.yaml", CHANNEL)
    files = var_file(ws, "ENV=prod\nREGION=eu\n")
    result = run_cli(capsys, "validate", str(path), "--var-file", files[0])
    assert (result.code, result.err) == (
        0,
        "warning: variable 'REGION' is set but no manifest uses it\n    hint: check its name, or stop passing it\n",
    )


def test_every_used_variable_gives_no_warning(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    path = ws.write("m.yaml", CHANNEL)
    assert run_cli(capsys, "validate", str(path), "--var", "ENV=prod").err == ""


@pytest.mark.parametrize("apply", [False, True], ids=["plan", "apply"])
def test_plan_and_apply_warn_on_stderr_too(ws: Workspace, tmp_path: Path, apply: bool) -> None:
    path = ws.write("m.yaml", CHANNEL)
    command = ["apply", "--auto-approve", "--journal", str(tmp_path / "j.jsonl")] if apply else ["plan"]
    result = cli(
        [*command, "--target", "sandbox", str(path), "--var", "ENV=p", "--var", "ENVV=p"],
        env={"EGAIN_SANDBOX_DB": str(tmp_path / "sandbox.db")},
    )
    assert result.exit_code == 0, result.output
    assert TYPO_WARNING in result.stderr and TYPO_WARNING not in result.stdout

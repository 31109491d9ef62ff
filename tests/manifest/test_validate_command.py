"""`egain-provision validate`: output formats, exit codes, options."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from egain_provision.cli import cli
from tests.manifest.manifest_support import EXAMPLE_ENV, EXAMPLES, REPO, Workspace, run_cli

BROKEN = """\
version: 1
channels:
  - type: custom.web
    displayNme: Web
    icon: aWNvbg==
participants:
  - {name: p, type: custom_bot, application: nowhere}
"""


@pytest.fixture
def broken(ws: Workspace) -> str:
    return str(ws.write("m.yaml", BROKEN))


def test_valid_manifests_exit_0_with_a_summary(capsys: pytest.CaptureFixture[str], example_env: None) -> None:
    result = run_cli(capsys, "validate", str(EXAMPLES / "byoc"))
    assert (result.code, result.out) == (0, "valid: 8 objects in 6 files\n")


def test_warnings_alone_still_exit_0(capsys: pytest.CaptureFixture[str], ws: Workspace) -> None:
    path = ws.write("m.yaml", "version: 1\nparticipants:\n  - {name: p, type: egain_bot, application: va}\n")
    result = run_cli(capsys, "validate", str(path))
    assert result.code == 0
    assert result.out.endswith("valid: 1 object in 1 file (1 warning)\n")


def test_text_output_lists_each_problem_with_location_path_and_hint(
    capsys: pytest.CaptureFixture[str], broken: str
) -> None:
    result = run_cli(capsys, "validate", "--no-color", broken)
    assert result.code == 1
    assert result.out == (
        f"{broken}:3:5: error: missing required field 'displayName' [channels[0]]\n"
        "    hint: add displayName: Name shown to agents; 1..255 characters.\n"
        f"{broken}:4:5: error: unknown field 'displayNme' [channels[0].displayNme]\n"
        "    hint: did you mean 'displayName'?\n"
        f"{broken}:7:46: warning: Client Application 'nowhere' is not declared in these manifests; "
        "it must exist in the tenant [participants[0].application]\n"
        "    hint: declare it under clientApplications:, or reference an object managed elsewhere by literal id: "
        "{id: <uuid>}\n"
        "invalid: 2 errors, 1 warning in 1 file\n"
    )


def test_json_output_is_a_list_of_diagnostics(capsys: pytest.CaptureFixture[str], broken: str) -> None:
    result = run_cli(capsys, "validate", "--format", "json", broken)
    assert result.code == 1
    diagnostics = json.loads(result.out)
    assert diagnostics[1] == {
        "severity": "error",
        "file": broken,
        "line": 4,
        "column": 5,
        "path": "channels[0].displayNme",
        "message": "unknown field 'displayNme'",
        "hint": "did you mean 'displayName'?",
    }
    assert [d["severity"] for d in diagnostics] == ["error", "error", "warning"]


def test_json_output_of_valid_manifests_is_an_empty_list(capsys: pytest.CaptureFixture[str], example_env: None) -> None:
    result = run_cli(capsys, "validate", "--format", "json", str(EXAMPLES / "agent-only"))
    assert (result.code, json.loads(result.out)) == (0, [])


def test_github_output_is_workflow_annotations_with_escaping(capsys: pytest.CaptureFixture[str], ws: Workspace) -> None:
    path = ws.write("a,b.yaml", "version: 1\nchannels:\n  - {type: custom.web, displayName: '100%', icn: x}\n")
    result = run_cli(capsys, "validate", "--format", "github", str(path))
    lines = result.out.splitlines()
    escaped_file = str(path).replace(",", "%2C")
    assert lines[0] == (
        f"::error file={escaped_file},line=3,col=5,title=channels[0]::missing required field 'icon'"
        "%0Ahint: add icon: Base64 image shown in the agent desktop (32x32 PNG for eGain Chat); "
        "write ${file:icons/x.png}. 1..512000 characters."
    )
    assert lines[1].startswith(
        f"::error file={escaped_file},line=3,col=45,title=channels[0].icn::unknown field 'icn'%0A"
    )
    assert lines[-1] == "invalid: 2 errors, 0 warnings in 1 file"


def test_github_annotation_escapes_percent_and_newlines() -> None:
    from egain_provision.manifest.report import github_annotation
    from egain_provision.model import Diagnostic, SourceLocation

    diagnostic = Diagnostic("warning", SourceLocation("d:/m.yaml", 1, 2), "a.b", "50% done\r\nnext", None)
    assert github_annotation(diagnostic) == "::warning file=d%3A/m.yaml,line=1,col=2,title=a.b::50%25 done%0D%0Anext"


def test_var_and_var_file_feed_var_expressions(capsys: pytest.CaptureFixture[str], ws: Workspace) -> None:
    path = ws.write(
        "m.yaml", "version: 1\nchannels:\n  - {type: 'custom.${var:A}', displayName: '${var:B}', icon: aWNvbg==}\n"
    )
    var_file = ws.write("vars.yaml", "A: web\nB: from-file\n")
    result = run_cli(capsys, "validate", str(path), "--var-file", str(var_file), "--var", "B=from-flag")
    assert (result.code, result.out) == (0, "valid: 1 object in 1 file\n")


def test_missing_path_is_a_usage_error_exit_1(capsys: pytest.CaptureFixture[str], ws: Workspace) -> None:
    result = run_cli(capsys, "validate", str(ws.root / "nope.yaml"))
    assert result.code == 1
    assert result.err == f"Error: {ws.root / 'nope.yaml'}: no such file or directory\n  hint: check the path\n"


def test_bad_var_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str], broken: str) -> None:
    result = run_cli(capsys, "validate", broken, "--var", "novalue")
    assert result.code == 1
    assert "is not NAME=VALUE" in result.err


def test_paths_are_required(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "validate").code == 1


def test_click_runner_sees_exit_code_1_for_invalid_manifests(broken: str) -> None:
    result = CliRunner().invoke(cli, ["validate", broken])
    assert result.exit_code == 1


def test_help_describes_the_command_and_every_option() -> None:
    result = CliRunner().invoke(cli, ["validate", "--help"])
    assert result.exit_code == 0
    for text in ("Check manifests offline", "--format", "--var NAME=VALUE", "--var-file", "--no-color"):
        assert text in result.output


def test_console_script_end_to_end(ws: Workspace) -> None:
    env = {**os.environ, **EXAMPLE_ENV}
    ok = subprocess.run(
        [sys.executable, "-m", "egain_provision.cli", "validate", "examples/byoc", "examples/agent-only"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "valid: 14 objects in 7 files\n", "")
    bad = subprocess.run(
        [sys.executable, "-m", "egain_provision.cli", "validate", str(ws.write("m.yaml", "version: [\n"))],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr + bad.stdout

"""The `graph` command: offline like validate, the diagram alone on stdout, validate's diagnostics when invalid."""

from __future__ import annotations

import re
from pathlib import Path

import click

from egain_provision.cli import cli
from tests.graph.diagrams import parse_mermaid
from tests.support import FULL_SETUP, run_cli, write_manifest

REPO = Path(__file__).resolve().parents[2]


def test_invalid_manifests_exit_1_with_validates_diagnostics_and_no_diagram(tmp_path: Path) -> None:
    manifest = str(write_manifest(tmp_path, FULL_SETUP.replace("callback: https://web", "callbak: https://web")))
    drawn = run_cli(["graph", manifest])
    validated = run_cli(["validate", "--no-color", manifest])
    assert drawn.exit_code == validated.exit_code == 1
    assert drawn.stdout == ""
    assert drawn.stderr == validated.stdout
    assert "unknown field 'callbak'" in drawn.stderr


def test_an_unset_variable_is_named_as_validate_names_it(tmp_path: Path) -> None:
    drawn = run_cli(["graph", str(REPO / "examples" / "environments" / "base")])
    assert drawn.exit_code == 1
    assert "variable 'ENV' is not set" in drawn.stderr
    assert "Traceback" not in drawn.output


def test_graph_needs_no_secret_values(tmp_path: Path) -> None:
    drawn = run_cli(["graph", str(REPO / "examples" / "byoc")], env={"EGAIN_VAR_BOT_TOKEN_PAYLOAD": None})
    assert drawn.exit_code == 0, drawn.output
    assert "byoc-bot-callback" in drawn.stdout
    assert "environment variable EGAIN_VAR_BOT_TOKEN_PAYLOAD is not set" in drawn.stderr


def test_warnings_go_to_stderr_and_the_diagram_alone_to_stdout(tmp_path: Path) -> None:
    manifest = str(write_manifest(tmp_path, FULL_SETUP.replace("participant: order-bot", "participant: live-bot")))
    drawn = run_cli(["graph", manifest])
    assert drawn.exit_code == 0, drawn.output
    assert "Participant 'live-bot' is not declared in these manifests" in drawn.stderr
    diagram = parse_mermaid(drawn.stdout)
    assert ("live-bot", "external", "participants") in diagram.nodes.values()


def test_graph_sends_nothing_anywhere(tmp_path: Path) -> None:
    # An unreachable API URL and no credentials: a command that tried to talk to a tenant would fail.
    env = {"EGAIN_API_URL": "http://127.0.0.1:9/v3", "EGAIN_CLIENT_ID": None, "EGAIN_SANDBOX_DB": str(tmp_path / "x")}
    drawn = run_cli(["graph", "--format", "dot", str(write_manifest(tmp_path))], env=env)
    assert drawn.exit_code == 0, drawn.output
    assert drawn.stdout.startswith("digraph routing {")
    assert not (tmp_path / "x").exists()


def test_the_command_and_each_option_have_help() -> None:
    command = cli.commands["graph"]
    assert command.help and "routing" in command.help
    options = [param for param in command.params if isinstance(param, click.Option)]
    assert {option.name for option in options} == {"fmt", "var_pairs", "var_files"}
    assert all(option.help for option in options)
    shown = run_cli(["graph", "--help"])
    assert shown.exit_code == 0 and re.search(r"--format \[mermaid\|dot\]", shown.stdout)

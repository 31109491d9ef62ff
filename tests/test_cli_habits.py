"""Habits users bring from Terraform: single-dash long options, shell completion."""

from __future__ import annotations

import click
import pytest
from click.shell_completion import get_completion_class

from egain_provision.cli import cli
from egain_provision.commands import COMMANDS
from tests.support import run_cli


@pytest.mark.parametrize("option", ["-out", "-detailed-exitcode", "-parallelism"])
def test_a_single_dash_long_option_is_answered_with_the_double_dash_one(option: str) -> None:
    result = run_cli(["plan", option, "x", "examples/byoc"])
    assert result.exit_code == 1
    assert f"No such option: {option} (did you mean -{option}?)" in result.stderr


def test_an_unknown_option_without_a_double_dash_twin_keeps_clicks_message() -> None:
    result = run_cli(["plan", "--nope", "examples/byoc"])
    assert result.exit_code == 1
    assert "No such option '--nope'" in result.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_a_script_for_each_shell(shell: str) -> None:
    result = run_cli(["completion", shell])
    assert result.exit_code == 0
    assert "_EGAIN_PROVISION_COMPLETE" in result.stdout


def test_completion_of_the_command_name_lists_every_command_with_its_summary() -> None:
    completion = get_completion_class("bash")
    assert completion is not None
    items = completion(cli, {}, "egain-provision", "_EGAIN_PROVISION_COMPLETE").get_completions([], "")
    listed = {item.value: item.help for item in items}
    assert set(COMMANDS) | {"version", "completion"} <= set(listed)
    # What click shows for the loaded command, as when every command was imported up front.
    context = click.Context(cli)
    assert isinstance(cli, click.Group)
    for name in COMMANDS:
        command = cli.get_command(context, name)
        assert command is not None
        assert listed[name] == command.get_short_help_str()

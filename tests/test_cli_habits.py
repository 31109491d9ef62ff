"""Habits users bring from Terraform: single-dash long options, shell completion."""

from __future__ import annotations

import pytest

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

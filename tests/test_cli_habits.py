"""Habits users bring from Terraform and decK: single-dash long options, their commands, shell completion."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.shell_completion import get_completion_class

from egain_provision.cli import cli
from egain_provision.commands import COMMANDS
from egain_provision.sandbox.testing import ServedSandbox
from tests.support import FULL_SETUP, run_cli, target_env, write_manifest

# Terraform's spelling, ours, and what each must do here (checked on a served sandbox).
RESPELLED = [
    (["plan", "-json"], "-json is spelled --format json here"),
    (["plan", "-var", "X=1"], "-var is spelled --var here"),
    (["plan", "-var=X=1"], "-var is spelled --var here"),
    (["plan", "-var-file", "{vars}"], "-var-file is spelled --var-file here"),
    (["plan", "-out", "{out}"], "-out is spelled --out here"),
    (["plan", "-out={out}"], "-out is spelled --out here"),
    (["plan", "-parallelism", "2"], "-parallelism is spelled --parallelism here"),
    (["plan", "-detailed-exitcode"], "-detailed-exitcode is spelled --detailed-exitcode here"),
    (["plan", "-no-color"], "-no-color is spelled --no-color here"),
    (["apply", "-auto-approve"], "-auto-approve is spelled --auto-approve here"),
]


@pytest.mark.parametrize(("words", "note"), RESPELLED, ids=[" ".join(words) for words, _ in RESPELLED])
def test_a_terraform_option_does_what_it_means_here_with_a_note_of_our_spelling(
    clean_sandbox: ServedSandbox, tmp_path: Path, words: list[str], note: str
) -> None:
    manifest = write_manifest(tmp_path / "m", FULL_SETUP)
    (tmp_path / "vars.yaml").write_text("X: '1'\n", encoding="utf-8")
    values = {"vars": str(tmp_path / "vars.yaml"), "out": str(tmp_path / "plan.json")}
    args = [word.format(**values) for word in words] + ["--target", clean_sandbox.base_url, str(manifest)]
    if words[0] == "apply":
        args[1:1] = ["--journal", str(tmp_path / "journal.jsonl")]
    result = run_cli(args, env=target_env(clean_sandbox))
    assert f"note: {note}" in result.stderr.splitlines()
    assert "No such option" not in result.stderr
    expected = {"-detailed-exitcode": 2}.get(words[1], 0)
    assert result.exit_code == expected, result.stderr
    if words[1] == "-json":
        assert json.loads(result.stdout)["summary"]["create"] > 0
    if words[1].startswith("-out"):
        assert json.loads((tmp_path / "plan.json").read_text())["tool"] == "egain-provision"
    if words[1] == "-auto-approve":
        assert (tmp_path / "journal.jsonl").read_text().count("\n") > 0


ANSWERED = [
    (["plan", "-target=accounts.support", "examples/byoc"], "use --only KIND/NAME"),
    (["plan", "-target", "accounts.support", "examples/byoc"], "use --only KIND/NAME"),
    (["plan", "-destroy", "examples/byoc"], "use --prune"),
    (["import"], "No such command 'import': use `egain-provision export --out DIR`"),
    (["dump"], "No such command 'dump': use `egain-provision export --out DIR`"),
    (["diff", "examples/byoc"], "No such command 'diff': use `egain-provision plan PATHS`"),
    (["sync", "examples/byoc"], "No such command 'sync': use `egain-provision apply PATHS`"),
    (["init"], "No such command 'init': nothing to initialise"),
]


@pytest.mark.parametrize(("words", "answer"), ANSWERED, ids=[" ".join(words) for words, _ in ANSWERED])
def test_a_terraform_or_deck_word_that_means_something_else_is_answered_with_what_to_use(
    words: list[str], answer: str
) -> None:
    result = run_cli(words)
    assert result.exit_code == 1
    assert answer in result.stderr


def test_json_on_a_command_without_format_keeps_clicks_answer() -> None:
    result = run_cli(["sandbox", "reset", "-json"])
    assert result.exit_code == 1
    assert "spelled" not in result.stderr


def test_a_terraform_word_after_a_double_dash_is_an_argument() -> None:
    result = run_cli(["validate", "--", "-out"])
    assert result.exit_code == 1
    assert "spelled" not in result.stderr


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


@pytest.mark.parametrize("name", sorted([*COMMANDS, "version", "completion", "fmt"]))
def test_each_commands_help_ends_with_two_or_three_examples(name: str) -> None:
    result = run_cli([name, "--help"])
    assert result.exit_code == 0
    lines = result.stdout.rstrip("\n").splitlines()
    heading = max(index for index, line in enumerate(lines) if line.strip() == "Examples:")
    # Each example a command line, maybe under a `# why` line and a blank one.
    examples = [line for line in lines[heading + 1 :] if line.strip() not in ("", "\b")]
    examples = [line for line in examples if not line.strip().startswith("#")]
    assert 2 <= len(examples) <= 3, examples
    assert all("egain-provision" in line for line in examples), examples


def test_the_command_list_shows_whole_descriptions() -> None:
    result = run_cli(["--help"])
    listing = result.stdout.split("Commands:", 1)[1]
    assert "..." not in listing
    assert "e.g.\n" not in listing
    for summary in (summary for _, summary in COMMANDS.values()):
        assert " ".join(summary.split()) in " ".join(listing.split())

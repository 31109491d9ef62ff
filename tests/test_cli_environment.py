"""Every option of every command is also read from an EGAIN_PROVISION_<OPTION> environment variable."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.core import ParameterSource

from egain_provision.cli import cli
from egain_provision.commands import COMMANDS
from tests.support import run_cli, write_manifest


@pytest.fixture(autouse=True)
def _work_in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Commands run with their defaults here (the journal under ./.egain): never in the checkout.
    monkeypatch.chdir(tmp_path)


# Values a variable may hold where the type alone does not say (checked when the option is parsed).
SAMPLES = {"--rate-limit": "none", "--only": "accounts/x"}


def leaf_commands() -> Iterator[tuple[list[str], click.Command]]:
    """(command path, command) for every command that runs, `sandbox serve` included."""
    context = click.Context(cli)

    def walk(group: click.Group, path: list[str]) -> Iterator[tuple[list[str], click.Command]]:
        for name in group.list_commands(context):
            command = group.get_command(context, name)
            assert command is not None
            if isinstance(command, click.Group):
                yield from walk(command, [*path, name])
            else:
                yield [*path, name], command

    assert isinstance(cli, click.Group)
    yield from walk(cli, [])


def settings(command: click.Command) -> list[click.Option]:
    """The options that are settings (not eager actions such as --help)."""
    return [p for p in command.params if isinstance(p, click.Option) and not (p.is_eager and not p.expose_value)]


CASES = [
    pytest.param(path, command, option, id=f"{' '.join(path)} {max(option.opts, key=len)}")
    for path, command in leaf_commands()
    for option in settings(command)
]
PATHS = sorted({tuple(path) for path, command in leaf_commands() if settings(command)})


def expected_variable(path: list[str], option: click.Option) -> str:
    words = ["EGAIN_PROVISION", *(name.upper() for name in path[:-1]), max(option.opts, key=len)[2:]]
    return "_".join(words).replace("-", "_").upper()


def sample(option: click.Option, tmp_path: Path) -> str:
    """A value the option accepts, written as a user would put it in the environment."""
    kind = option.type
    if max(option.opts, key=len) in SAMPLES:
        return SAMPLES[max(option.opts, key=len)]
    if option.is_flag:
        return "yes"
    if isinstance(kind, click.Choice):
        return str(kind.choices[-1])
    if isinstance(kind, click.IntRange | click.FloatRange):
        return str(kind.max if kind.max is not None else (kind.min or 0) + 1)
    if isinstance(kind, click.types.IntParamType | click.types.FloatParamType):
        return "1"
    if isinstance(kind, click.Path):
        existing = tmp_path / "existing.pem"
        existing.write_text("not read while parsing", "utf-8")
        return str(existing) if kind.exists else str(tmp_path / "new")
    return "a=b"


def arguments(command: click.Command, tested: click.Option, tmp_path: Path) -> list[str]:
    """Values for the command's required arguments and for its other required options."""
    values = []
    for param in command.params:
        if isinstance(param, click.Argument) and param.required:
            values.append(str(param.type.choices[0]) if isinstance(param.type, click.Choice) else "x")
        elif isinstance(param, click.Option) and param.required and param is not tested:
            values += [param.opts[0], sample(param, tmp_path)]
    return values


@pytest.mark.parametrize(("path", "command", "option"), CASES)
def test_every_option_is_read_from_its_variable(
    path: list[str], command: click.Command, option: click.Option, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    variable = expected_variable(path, option)
    assert option.envvar is not None and variable in option.envvar
    assert option.show_envvar
    monkeypatch.setenv(variable, sample(option, tmp_path))
    assert option.name is not None
    with command.make_context(path[-1], arguments(command, option, tmp_path)) as context:
        assert context.get_parameter_source(option.name) == ParameterSource.ENVIRONMENT


@pytest.mark.parametrize("path", PATHS, ids=" ".join)
def test_help_names_the_variable_of_every_option(path: tuple[str, ...]) -> None:
    result = run_cli([*path, "--help"])
    assert result.exit_code == 0
    # Help is wrapped, and click breaks a long name across lines.
    unwrapped = "".join(result.stdout.split())
    _, command = next(item for item in leaf_commands() if tuple(item[0]) == path)
    for option in settings(command):
        assert re.search(rf"envvar:([A-Z_]+,)*{expected_variable(list(path), option)}[];]", unwrapped), option.opts


def test_arguments_and_eager_actions_have_no_variable() -> None:
    assert isinstance(cli, click.Group)
    version = next(p for p in cli.params if "--version" in getattr(p, "opts", ()))
    assert not version.envvar
    for _, command in leaf_commands():
        assert all(not p.envvar for p in command.params if isinstance(p, click.Argument))


def test_the_format_variable_makes_plan_print_json(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path)
    env = {"EGAIN_PROVISION_FORMAT": "json", "EGAIN_SANDBOX_DB": str(tmp_path / "sandbox.db")}
    result = run_cli(["plan", "--target", "sandbox", str(manifest)], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["create"] == 9


def test_the_target_variable_is_the_target_of_every_command(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path)
    env = {"EGAIN_PROVISION_TARGET": "sandbox", "CI": "true", "EGAIN_SANDBOX_DB": str(tmp_path / "sandbox.db")}
    assert run_cli(["apply", "--auto-approve", str(manifest)], env=env).exit_code == 0
    plan = run_cli(["plan", "--detailed-exitcode", str(manifest)], env=env)
    assert plan.exit_code == 0, plan.output
    exported = run_cli(["export", "--out", str(tmp_path / "exported")], env=env)
    assert "Exported 9 objects from embedded sandbox" in exported.stdout


@pytest.mark.parametrize(("value", "exit_code"), [("1", 2), ("true", 2), ("yes", 2), ("0", 0), ("false", 0), ("no", 0)])
def test_a_flag_variable_reads_yes_and_no(tmp_path: Path, value: str, exit_code: int) -> None:
    manifest = write_manifest(tmp_path)
    env = {"EGAIN_PROVISION_DETAILED_EXITCODE": value, "EGAIN_SANDBOX_DB": str(tmp_path / "sandbox.db")}
    assert run_cli(["plan", "--target", "sandbox", str(manifest)], env=env).exit_code == exit_code


def test_an_option_on_the_command_line_wins_over_its_variable(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path)
    env = {"EGAIN_PROVISION_FORMAT": "json", "EGAIN_SANDBOX_DB": str(tmp_path / "sandbox.db")}
    result = run_cli(["plan", "--target", "sandbox", "--format", "text", str(manifest)], env=env)
    assert result.stdout.startswith("Target: embedded sandbox")


def test_variables_the_tool_read_before_still_work(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path)
    env = {"EGAIN_RATE_LIMIT": "bogus", "EGAIN_SANDBOX_DB": str(tmp_path / "sandbox.db")}
    result = run_cli(["plan", "--target", "sandbox", str(manifest)], env=env)
    assert result.exit_code == 1
    assert "EGAIN_RATE_LIMIT" in result.stderr


def test_the_command_table_summaries_are_the_commands_own() -> None:
    context = click.Context(cli)
    assert isinstance(cli, click.Group)
    for name, (_, summary) in COMMANDS.items():
        command = cli.get_command(context, name)
        assert command is not None and command.help is not None
        assert " ".join(command.help.split("\n\n")[0].split()) == summary, name


def test_a_safety_option_from_the_environment_is_named_on_stderr(tmp_path: Path) -> None:
    # A variable left in a profile must not drop the prompt or turn on deletes unseen.
    manifest = write_manifest(tmp_path)
    env = {"EGAIN_PROVISION_AUTO_APPROVE": "1", "EGAIN_PROVISION_PRUNE": "yes"}
    env["EGAIN_SANDBOX_DB"] = str(tmp_path / "db")
    result = run_cli(["apply", str(manifest)], env=env)
    assert result.exit_code == 0, result.output
    assert "note: --auto-approve from the environment (EGAIN_PROVISION_AUTO_APPROVE)" in result.stderr
    assert "note: --prune from the environment (EGAIN_PROVISION_PRUNE)" in result.stderr
    quiet = run_cli(["apply", "--auto-approve", str(manifest)], env={"EGAIN_SANDBOX_DB": str(tmp_path / "db")})
    assert "from the environment" not in quiet.stderr

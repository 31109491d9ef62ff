"""The `egain-provision` command line: a click group; each command lives in `egain_provision.commands`.

The group imports a command's module only when that command runs (or its help is asked for):
`--version` and `validate` must not pay for the HTTP client, asyncio and the plan machinery.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import platform
import sys
from collections.abc import Callable, Mapping
from typing import Any

import click
from click.core import ParameterSource
from click.shell_completion import CompletionItem, get_completion_class

from egain_provision import __version__
from egain_provision.commands import COMMANDS
from egain_provision.errors import NOTHING_CHANGED, Interrupted, ProvisionerError
from egain_provision.habits import respell, unknown_command_answer

VERSION_LINE = f"%(prog)s %(version)s (Python {platform.python_version()})"
ENV_PREFIX = "EGAIN_PROVISION_"


def option_envvar(option: click.Option, prefix: str = ENV_PREFIX) -> str:
    """`EGAIN_PROVISION_<OPTION>` from the long option name: `--max-deletes` -> EGAIN_PROVISION_MAX_DELETES."""
    longest = max(option.opts, key=len)
    return prefix + longest.lstrip("-").replace("-", "_").upper()


def read_options_from_environment(command: click.Command, prefix: str = ENV_PREFIX) -> click.Command:
    """Every option of `command` (and of its subcommands) also read from its EGAIN_PROVISION_ variable.

    The same option name means the same variable in every command (EGAIN_PROVISION_TARGET for
    plan, apply and export); a group's commands add the group's name (`sandbox serve --port`:
    EGAIN_PROVISION_SANDBOX_PORT), their options being the emulator's, not the tool's. A variable
    the option already had (EGAIN_RATE_LIMIT) is kept and wins. Eager actions (`--version`) are
    not settings, so no variable triggers them.
    """
    for param in command.params:
        if not isinstance(param, click.Option) or (param.is_eager and not param.expose_value):
            continue
        name = option_envvar(param, prefix)
        existing = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar or ())
        if name not in existing:
            param.envvar = [*existing, name]
            param.callback = _noting_the_environment(param.callback)
        param.show_envvar = True
    if isinstance(command, click.Group):
        for subcommand in command.commands.values():
            read_options_from_environment(subcommand, f"{prefix}{(command.name or '').upper().replace('-', '_')}_")
    return command


Callback = Callable[[click.Context, click.Parameter, Any], Any]

EXAMPLES = "\b\nExamples:"
# A short-help limit no summary reaches.
WHOLE = 10_000


def _examples_last(command: click.Command) -> click.Command:
    """The `Examples:` paragraph of a command's docstring moved to its epilog: `--help` ends with them."""
    help_text = inspect.cleandoc(command.help or "")
    if EXAMPLES in help_text and not command.epilog:
        command.help, _, examples = help_text.partition(EXAMPLES)
        command.epilog = EXAMPLES + examples
    return command


def _noting_the_environment(callback: Callback | None) -> Callback:
    """The option's callback, after a line on stderr when the value came from a variable.

    A variable set long ago (EGAIN_PROVISION_AUTO_APPROVE, EGAIN_PROVISION_PRUNE in a profile)
    must not change a run unseen; the line names the option and the variable, never the value.
    """

    def note(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if param.name and ctx.get_parameter_source(param.name) is ParameterSource.ENVIRONMENT:
            envvars = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar or ())
            source = next((var for var in envvars if os.environ.get(var)), envvars[-1] if envvars else "")
            click.echo(f"note: {max(param.opts, key=len)} from the environment ({source})", err=True)
        return value if callback is None else callback(ctx, param, value)

    return note


class LazyGroup(click.Group):
    """A group whose commands are imported on first use; `lazy` maps a name to (`module:attribute`, summary)."""

    def __init__(self, *args: Any, lazy: Mapping[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in self.lazy:
            module, _, attribute = self.lazy[cmd_name][0].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            self.add_command(command, cmd_name)
        return None if command is None else read_options_from_environment(_examples_last(command))

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        answer = None if self.get_command(ctx, name) else unknown_command_answer(name)
        if answer is not None:
            raise click.UsageError(f"No such command {name!r}: {answer}", ctx=ctx)
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        """The command run; Ctrl-C before it said otherwise changed nothing (never click's bare `Aborted.`)."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted(NOTHING_CHANGED) from None
        except click.exceptions.Abort as exc:
            # click.prompt turns Ctrl-C into Abort; end of input (EOF) stays an abort.
            if isinstance(exc.__context__, KeyboardInterrupt):
                raise Interrupted(NOTHING_CHANGED) from None
            raise

    def summary(self, name: str, limit: int = 45) -> str | None:
        """A command's short help without importing it; None for a hidden command."""
        command = self.commands.get(name)
        if command is None:
            # Shortened as click shortens a loaded command's help.
            return click.Command(name, help=self.lazy[name][1]).get_short_help_str(limit)
        return None if command.hidden else command.get_short_help_str(limit)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Whole summaries, wrapped by click: a description cut mid-sentence ("Check manifests offline:
        # YAML, schema,...") reads as if the rest did not matter.
        names = self.list_commands(ctx)
        rows = [(name, summary) for name in names if (summary := self.summary(name, WHOLE)) is not None]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        names = [name for name in self.list_commands(ctx) if name.startswith(incomplete)]
        found = [CompletionItem(name, help=summary) for name in names if (summary := self.summary(name)) is not None]
        # The group's own options, as click.Group completes them after its commands.
        return found + click.Command.shell_complete(self, ctx, incomplete)


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="egain-provision", message=VERSION_LINE)
def cli() -> None:
    """Declarative provisioning for the eGain Conversation Manager v3 setup API.

    Keep Authentications, Client Applications, Participants, Channels, Orchestrations and
    Accounts as YAML in git; validate offline, plan against the live tenant, apply safely.
    Without --target, commands use the embedded sandbox (.egain/sandbox.db).
    """


@click.command("version")
def version_command() -> None:
    """Print the version of egain-provision and of the Python running it.

    \b
    Examples:
      egain-provision version
      egain-provision --version
    """
    click.echo(VERSION_LINE % {"prog": "egain-provision", "version": __version__})


@click.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion_command(shell: str) -> None:
    """Print the shell completion script for SHELL (bash, zsh or fish).

    \b
    Examples:
      eval "$(egain-provision completion bash)"
      egain-provision completion fish > ~/.config/fish/completions/egain-provision.fish
    """
    completion = get_completion_class(shell)
    assert completion is not None  # the three choices are click's own
    click.echo(completion(cli, {}, "egain-provision", "_EGAIN_PROVISION_COMPLETE").source())


for _command in (version_command, completion_command):
    cli.add_command(_examples_last(_command))


def _single_dash_long_option(argv: list[str], refused: str) -> str | None:
    """Terraform's habit (`-out`, `-detailed-exitcode`): the word click split into short options, if any."""
    for word in argv:
        name = word.split("=", 1)[0]
        if name.startswith(refused) and not name.startswith("--") and len(name) > 2 and name[1:2].isalpha():
            return name
    return None


def _long_options(name: str) -> set[str] | None:
    """The long options command `name` takes; None when there is no such command."""
    assert isinstance(cli, click.Group)
    command = cli.get_command(click.Context(cli), name)
    if command is None:
        return None
    return {opt for param in command.params for opt in param.opts if opt.startswith("--")}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script. Exit codes: 0 ok, 1 error (2, 3 and 4 only from plan), 130 interrupted."""
    try:
        args = respell(list(argv if argv is not None else sys.argv[1:]), _long_options)
        result = cli.main(args=args, prog_name="egain-provision", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.NoSuchOption as exc:
        meant = _single_dash_long_option(argv if argv is not None else sys.argv[1:], exc.option_name)
        if meant is None:
            exc.show()
        else:
            click.UsageError(f"No such option: {meant} (did you mean -{meant}?)", ctx=exc.ctx).show()
        return 1
    except click.ClickException as exc:
        # Usage errors exit 1, not click's 2: with --detailed-exitcode, 2 means "changes".
        exc.show()
        return 1
    except ProvisionerError as exc:
        click.echo(f"Error: {exc}", err=True)
        return 1
    except Interrupted as exc:
        return _interrupted(str(exc))
    except KeyboardInterrupt:
        return _interrupted(NOTHING_CHANGED)
    except Exception as exc:
        # A bug: one line naming its type (not its text, which could hold a value); EGAIN_DEBUG=1 re-raises.
        click.echo(f"Error: internal error ({type(exc).__name__}); please report it with the command you ran", err=True)
        if os.environ.get("EGAIN_DEBUG"):
            raise
        return 1
    return int(result) if isinstance(result, int) else 0


def _interrupted(changed: str) -> int:
    """One line saying what the interrupted command had changed; exit 130, as a shell reports SIGINT."""
    with contextlib.suppress(KeyboardInterrupt):
        click.echo(f"Interrupted: {changed}.", err=True)
    return 130


if __name__ == "__main__":
    sys.exit(main())

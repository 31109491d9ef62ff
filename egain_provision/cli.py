"""The `egain-provision` command line: a click group; each command lives in `egain_provision.commands`."""

from __future__ import annotations

import os
import platform
import sys

import click
from click.shell_completion import get_completion_class

from egain_provision import __version__
from egain_provision.commands import COMMANDS
from egain_provision.errors import ProvisionerError

VERSION_LINE = f"%(prog)s %(version)s (Python {platform.python_version()})"


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="egain-provision", message=VERSION_LINE)
def cli() -> None:
    """Declarative provisioning for the eGain Conversation Manager v3 setup API.

    Keep Authentications, Client Applications, Participants, Channels, Orchestrations and
    Accounts as YAML in git; validate offline, plan against the live tenant, apply safely.
    Without --target, commands use the embedded sandbox (.egain/sandbox.db).
    """


@click.command("version")
def version_command() -> None:
    """Print the version of egain-provision and of the Python running it."""
    click.echo(VERSION_LINE % {"prog": "egain-provision", "version": __version__})


@click.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion_command(shell: str) -> None:
    """Print the shell completion script for SHELL; e.g. `eval "$(egain-provision completion bash)"`."""
    completion = get_completion_class(shell)
    assert completion is not None  # the three choices are click's own
    click.echo(completion(cli, {}, "egain-provision", "_EGAIN_PROVISION_COMPLETE").source())


for _command in (*COMMANDS, version_command, completion_command):
    cli.add_command(_command)


def _single_dash_long_option(argv: list[str], refused: str) -> str | None:
    """Terraform's habit (`-out`, `-detailed-exitcode`): the word click split into short options, if any."""
    for word in argv:
        name = word.split("=", 1)[0]
        if name.startswith(refused) and not name.startswith("--") and len(name) > 2 and name[1:2].isalpha():
            return name
    return None


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script. Exit codes: 0 ok, 1 error (2, 3 and 4 only from plan)."""
    try:
        result = cli.main(args=argv, prog_name="egain-provision", standalone_mode=False)
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
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except Exception as exc:
        # A bug: one line naming its type (not its text, which could hold a value); EGAIN_DEBUG=1 re-raises.
        click.echo(f"Error: internal error ({type(exc).__name__}); please report it with the command you ran", err=True)
        if os.environ.get("EGAIN_DEBUG"):
            raise
        return 1
    return int(result) if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())

"""Options shared by several commands, and their parsing."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import yaml

from egain_provision.errors import UsageError
from egain_provision.kinds import SETUP_ORDER
from egain_provision.manifest.reading import Unreadable, read_regular_file

if TYPE_CHECKING:
    from egain_provision.context import Network
    from egain_provision.manifest import ManifestSet

# The tenant-facing options import the HTTP client and asyncio (egain_provision.client, .limits,
# .context) where they are used: `validate` shares this module and must start without them.

F = TypeVar("F", bound=Callable[..., Any])


def var_options(func: F) -> F:
    """`--var NAME=VALUE` (repeatable) and `--var-file FILE` for `${var:NAME}` interpolation."""
    func = click.option(
        "--var-file",
        "var_files",
        multiple=True,
        type=click.Path(dir_okay=False),
        help="YAML or NAME=VALUE file of variables for ${var:NAME}; repeatable, later files win.",
    )(func)
    func = click.option(
        "--var",
        "var_pairs",
        multiple=True,
        metavar="NAME=VALUE",
        help="Set a variable for ${var:NAME}; repeatable, wins over --var-file.",
    )(func)
    return func


def parse_variables(var_pairs: tuple[str, ...], var_files: tuple[str, ...]) -> dict[str, str]:
    """Merge `--var-file` files (in order) and then `--var` pairs into one mapping."""
    variables: dict[str, str] = {}
    for name in var_files:
        variables.update(_read_var_file(Path(name)))
    for pair in var_pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--var {pair!r} is not NAME=VALUE", hint="write it as --var NAME=VALUE")
        variables[key.strip()] = value
    return variables


# A variable file holds names and short values; anything larger is not the file meant.
MAX_VAR_FILE_BYTES = 1024 * 1024


def _read_var_file(path: Path) -> dict[str, str]:
    """A YAML mapping, else dotenv lines (`NAME=VALUE`, quotes, `# comments`, `export NAME=...`)."""
    try:
        # Bounded and non-blocking, as for manifests: `--var-file /dev/stdin` or a FIFO must not hang.
        text = read_regular_file(path, MAX_VAR_FILE_BYTES).decode("utf-8-sig")
    except Unreadable as exc:
        raise UsageError(f"cannot read variable file: {exc.reason}", where=str(path), hint=exc.hint) from None
    except UnicodeDecodeError:
        raise UsageError("variable file is not UTF-8 text", where=str(path)) from None
    try:
        loaded = yaml.safe_load(text)
        if isinstance(loaded, dict):
            return {str(k): "" if v is None else str(v) for k, v in loaded.items()}
    except yaml.YAMLError:
        pass
    except ValueError:
        # A number Python will not parse or print (over 4,300 digits): no variable holds one unquoted.
        raise UsageError(
            "variable file holds a number too large to read", where=str(path), hint="quote the value"
        ) from None
    return _read_dotenv(path, text)


def _read_dotenv(path: Path, text: str) -> dict[str, str]:
    # Imported here, as logging below: most runs read no dotenv file and log nothing.
    from dotenv import dotenv_values
    from dotenv.parser import parse_stream

    for binding in parse_stream(io.StringIO(text)):
        if binding.error or (binding.key is not None and binding.value is None):
            raise UsageError(
                "expected NAME=VALUE or a YAML mapping",
                where=f"{path}:{binding.original.line}",
                hint="each line of a variable file is NAME=VALUE (dotenv rules: quotes, # comments, export)",
            )
    # No ${NAME} expansion: a variable file must not lift the environment (EGAIN_CLIENT_SECRET) into a plan.
    values = dotenv_values(stream=io.StringIO(text), interpolate=False)
    return {name: value or "" for name, value in values.items()}


def color_enabled(no_color: bool) -> bool:
    """Colour only on a terminal, never with --no-color or NO_COLOR set (https://no-color.org)."""
    if no_color or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _remember(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def store(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        ctx.meta.setdefault(NETWORK_OPTIONS, {})[name] = value
        return value

    return store


def _check_rate(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from egain_provision.limits import parse_rate

    if value is not None:
        try:
            parse_rate(value)
        except ValueError as exc:
            raise click.BadParameter(
                f"{exc}; use developer, basic, enterprise, RPS, RPS/BURST, RPS/BURST/QUOTA or none"
            ) from None
    return _remember("rate_limit")(ctx, param, value)


NETWORK_OPTIONS = "egain_provision.network"


def network() -> Network:
    """The network settings the current command was given (`--rate-limit`, `--timeout`, ...)."""
    from egain_provision.context import Network

    given = click.get_current_context().meta.get(NETWORK_OPTIONS, {})
    return Network(**{name: value for name, value in given.items() if value is not None})


def network_options(func: F) -> F:
    """Pace, time budgets and trust for commands that talk to a tenant (read back with `network()`)."""
    from egain_provision.client import DEFAULT_TIMEOUT
    from egain_provision.limits import RetryPolicy

    func = click.option(
        "--ca-cert",
        type=click.Path(exists=True, dir_okay=False),
        expose_value=False,
        callback=_remember("ca_cert"),
        help="Trust the CA certificates in this PEM file (also SSL_CERT_FILE; proxies from HTTPS_PROXY/NO_PROXY).",
    )(func)
    func = click.option(
        "--retry-budget",
        type=click.FloatRange(0, 3600),
        default=RetryPolicy.budget,
        show_default=True,
        expose_value=False,
        callback=_remember("retry_budget"),
        metavar="SECONDS",
        help="Longest time one request may spend being retried, Retry-After waits included, before it fails.",
    )(func)
    func = click.option(
        "--timeout",
        type=click.FloatRange(0.1, 600),
        default=DEFAULT_TIMEOUT,
        show_default=True,
        expose_value=False,
        callback=_remember("timeout"),
        metavar="SECONDS",
        help="Longest time one request may take, its whole answer included.",
    )(func)
    return click.option(
        "--rate-limit",
        envvar="EGAIN_RATE_LIMIT",
        expose_value=False,
        callback=_check_rate,
        metavar="TIER|RPS[/BURST[/QUOTA]]|none",
        help="Pace every API request of the run: developer (0.16 req/s, 1,000 requests per method per month), basic "
        "(0.5/2, 100,000), enterprise (1/30, 500,000), a rate such as 2/5 (and a monthly quota per method: 2/5/20000), "
        "or none. Default: none for the sandbox and loopback URLs, enterprise for any other tenant.",
    )(func)


def target_options(func: F) -> F:
    """`--target sandbox|URL`, `--parallelism N`, `-v` and the network options, for commands that talk to a tenant."""
    func = network_options(func)
    func = click.option(
        "-v",
        "--verbose",
        is_flag=True,
        help="Log every HTTP request (method, path, status, timing; never bodies or tokens) to stderr.",
    )(func)
    func = click.option(
        "--parallelism",
        type=click.IntRange(1, 100),
        default=10,
        show_default=True,
        help="Most API requests in flight at once.",
    )(func)
    func = click.option(
        "--target",
        metavar="sandbox|URL",
        help="Where to plan/apply: 'sandbox' (embedded, .egain/sandbox.db or EGAIN_SANDBOX_DB) or the API base URL. "
        "Default: EGAIN_API_URL if set, else the sandbox (not under CI).",
    )(func)
    return func


def kind_option(func: F) -> F:
    """`--kind KIND`, repeatable, limited to the six kinds."""
    return click.option(
        "--kind",
        "kinds",
        multiple=True,
        type=click.Choice(list(SETUP_ORDER)),
        help="Limit to this kind; repeatable. References to other kinds still resolve.",
    )(func)


def _check_only(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    for pattern in value:
        kind, slash, name = pattern.partition("/")
        if not slash or kind not in SETUP_ORDER or not name:
            raise click.BadParameter(
                f"{pattern!r} is not KIND/NAME; KIND is one of {', '.join(SETUP_ORDER)} and NAME a name or a glob "
                "(accounts/support-*)"
            )
    return value


def only_option(func: F) -> F:
    """`--only KIND/NAME`, repeatable, NAME a glob: a partial plan of the selected objects."""
    return click.option(
        "--only",
        multiple=True,
        metavar="KIND/NAME",
        callback=_check_only,
        help="Plan only the objects this selects (NAME a glob, e.g. accounts/support-*); repeatable. The plan is "
        "labelled partial; its objects' references must exist in the tenant or be selected too; --prune and "
        "--max-deletes speak of the selection only.",
    )(func)


def configure_logging(verbose: bool) -> None:
    """`-v`: HTTP request lines on stderr."""
    if verbose:
        import logging

        logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
        logging.getLogger("egain_provision").setLevel(logging.DEBUG)


def offline_manifests(ctx: click.Context, paths: Sequence[str], variables: Mapping[str, str]) -> ManifestSet:
    """The manifests for a command that shows no secret value (graph, render): an unset `${env:...}` is a
    warning, not a failure; unused variables are named on stderr; with errors, their report and exit 1."""
    from egain_provision.manifest import load_manifests
    from egain_provision.manifest.report import render, summary_line, text_line

    manifest_set = load_manifests(paths, variables=variables, allow_unset="env")
    for warning in manifest_set.unused_variables(variables):
        click.echo(text_line(warning), nl=False, err=True)
    if manifest_set.has_errors:
        errors, warnings = len(manifest_set.errors), len(manifest_set.warnings)
        summary = summary_line(errors, warnings, len(manifest_set.objects), len(manifest_set.files))
        click.echo(render(manifest_set.diagnostics, fmt="text", summary=summary), nl=False, err=True)
        ctx.exit(1)
    return manifest_set

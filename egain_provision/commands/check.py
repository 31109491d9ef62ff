"""`egain-provision check PATHS`: act as the Conversation Hub toward every declared callback, and report."""

from __future__ import annotations

import click
import httpx

from egain_provision import __version__
from egain_provision.check.hosts import HostPolicy
from egain_provision.check.hub import CALLBACK_SECONDS, TOKEN_SECONDS, Hub
from egain_provision.check.render import FORMATS, render
from egain_provision.check.report import CheckReport
from egain_provision.check.roles import callback_roles, secret_values
from egain_provision.commands.common import color_enabled, parse_variables, var_options
from egain_provision.errors import ManifestError
from egain_provision.manifest.report import render as render_diagnostics
from egain_provision.redact import Redactor
from egain_provision.workflow import load_valid_manifests

EPILOG = """\b
Examples:
  # a bot on this machine: loopback hosts need no permission
  egain-provision check examples/byoc
\b
  # the bots' real hosts, trusted with the credentials the manifests hold
  egain-provision check --allow-host bots.example.com --allow-host agents.example.com manifests/
\b
  # in CI: the allowed hosts from a variable (space-separated), annotations on the pull request
  EGAIN_PROVISION_ALLOW_HOST="$ALLOWED_HOSTS" egain-provision check --format github manifests/
"""


@click.command("check", epilog=EPILOG)
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="HOST",
    help="Also send credentials and messages to this host (loopback hosts are always allowed); repeatable. "
    "In the variable, separate hosts with spaces. A token endpoint or callback on any other host fails unsent.",
)
@click.option(
    "--callback-timeout",
    type=click.FloatRange(0.01, 60),
    default=CALLBACK_SECONDS,
    show_default=True,
    metavar="SECONDS",
    help="Longest a callback may take to answer; eGain's Conversation Hub allows 5 s.",
)
@click.option(
    "--token-timeout",
    type=click.FloatRange(0.01, 120),
    default=TOKEN_SECONDS,
    show_default=True,
    metavar="SECONDS",
    help="Longest a token endpoint may take to answer.",
)
@var_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people, json for machines, markdown for a pull-request comment, github for the text report "
    "with a workflow annotation on the manifest line of each failed role.",
)
@click.option("--no-color", is_flag=True, help="No colour in text output (also when NO_COLOR is set).")
def check_command(
    paths: tuple[str, ...],
    allow_hosts: tuple[str, ...],
    callback_timeout: float,
    token_timeout: float,
    var_pairs: tuple[str, ...],
    var_files: tuple[str, ...],
    fmt: str,
    no_color: bool,
) -> int:
    """Act as the Conversation Hub toward every callback the manifests in PATHS declare, and report.

    For each client-application role: get a token as its authentication declares (tokenRequestUrl,
    method, headers, payload, read at accessTokenPath) or use its basic credentials, send one message
    of a `custom.` type (which clients must discard) with the role's headers, and on a 401 fetch a
    fresh token and retry once. Nothing is sent to the eGain tenant, nor to a host that is not
    loopback or allowed with --allow-host. Exits 0 when every role passes, 1 otherwise.
    """
    policy = HostPolicy.from_options(allow_hosts)
    variables = parse_variables(var_pairs, var_files)
    try:
        manifest_set = load_valid_manifests(paths, variables)
    except ManifestError as exc:
        if fmt in ("json", "github"):
            problems = list(exc.diagnostics)
            click.echo(render_diagnostics(problems, fmt=fmt, summary="check failed: invalid manifests"), nl=False)
        raise
    roles = callback_roles(manifest_set.objects)
    redactor = Redactor(secret_values(roles))
    headers = {"User-Agent": f"egain-provision/{__version__} (check)"}
    # No proxy from the environment: a secret goes only to the host named and allowed.
    with httpx.Client(trust_env=False, follow_redirects=False, headers=headers) as client:
        hub = Hub(
            client, policy, on_secret=redactor.add, callback_seconds=callback_timeout, token_seconds=token_timeout
        )
        report = CheckReport(tuple(hub.check(role) for role in roles))
    click.echo(redactor(render(report, fmt, color=color_enabled(no_color))), nl=False)
    return 0 if report.passed else 1

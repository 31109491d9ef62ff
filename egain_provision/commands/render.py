"""`egain-provision render [PATHS]`: the merged, interpolated manifests as one document, secrets masked."""

from __future__ import annotations

import click

from egain_provision.commands.common import offline_manifests, parse_variables, var_options
from egain_provision.merged_manifest import render_manifests


@click.command("render")
@click.argument("paths", nargs=-1, type=click.Path())
@var_options
@click.pass_context
def render_command(
    ctx: click.Context, paths: tuple[str, ...], var_pairs: tuple[str, ...], var_files: tuple[str, ...]
) -> None:
    """Print the manifests in PATHS (default: the current directory) merged into one document.

    Each kind's objects from every file, in setup order; ${var:...} and ${file:...} filled in.
    Secrets are never printed: ${env:...} stays as written (set or not), and a secret written
    literally becomes a ${env:EGAIN_VAR_...} placeholder. Given those variables back, the output
    validates and plans as its sources do. Exits 1, with validate's diagnostics on stderr, when
    the manifests are invalid.

    \b
    Examples:
      egain-provision render examples/byoc
      egain-provision render --var-file examples/environments/staging.vars.yaml examples/environments/base
      egain-provision render manifests/ > rendered.yaml && egain-provision plan rendered.yaml
    """
    variables = parse_variables(var_pairs, var_files)
    sources = paths or (".",)
    # Nothing is sent and no secret is shown: an unset `${env:...}` is a warning, printed as written.
    offline_manifests(ctx, sources, variables)
    click.echo(render_manifests(sources, variables), nl=False)

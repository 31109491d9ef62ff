"""`egain-provision render [PATHS]`: the merged, interpolated manifests as one document, secrets masked."""

from __future__ import annotations

import click

from egain_provision.commands.common import parse_variables, var_options
from egain_provision.manifest import load_manifests
from egain_provision.manifest.report import render, summary_line, text_line
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
    manifest_set = load_manifests(sources, variables=variables, allow_unset="env")
    for warning in manifest_set.unused_variables(variables):
        click.echo(text_line(warning), nl=False, err=True)
    if manifest_set.has_errors:
        errors, warnings = len(manifest_set.errors), len(manifest_set.warnings)
        summary = summary_line(errors, warnings, len(manifest_set.objects), len(manifest_set.files))
        click.echo(render(manifest_set.diagnostics, fmt="text", summary=summary), nl=False, err=True)
        ctx.exit(1)
    click.echo(render_manifests(sources, variables), nl=False)

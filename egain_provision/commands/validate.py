"""`egain-provision validate PATHS...`: check manifests offline and report every problem at once."""

from __future__ import annotations

import click

from egain_provision.commands.common import color_enabled, parse_variables, var_options
from egain_provision.manifest import load_manifests, manifest_files
from egain_provision.manifest.loader import MAX_FILE_BYTES
from egain_provision.manifest.report import FORMATS, render, summary_line, text_line
from egain_provision.manifest.sniff import looks_like_manifest


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people, json (a list of diagnostics) for programs, github for workflow annotations.",
)
@var_options
@click.option(
    "--only-manifests",
    is_flag=True,
    help="Skip, with a note on stderr, YAML files that are not manifests (no top-level version: or kind "
    "list, e.g. CI files and --var-file files); for hooks handed every changed *.yaml.",
)
@click.option(
    "--allow-unset",
    is_flag=True,
    help="An unset ${env:...} or ${var:...} is a warning, not an error, and the field it feeds goes "
    "unchecked; for checks without the secrets at hand, such as the pre-commit hook.",
)
@click.option("--no-color", is_flag=True, help="Plain text output (also when NO_COLOR is set).")
@click.pass_context
def validate_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    fmt: str,
    var_pairs: tuple[str, ...],
    var_files: tuple[str, ...],
    only_manifests: bool,
    allow_unset: bool,
    no_color: bool,
) -> None:
    """Check manifests offline: YAML, schema, interpolation, duplicates and references.

    PATHS are manifest files or directories (each directory's *.yaml and *.yml files, sorted,
    not its subdirectories). Every problem is reported with file:line:col and the field path.
    Exits 0 when the manifests are valid (warnings allowed), 1 otherwise.

    \b
    Examples:
      egain-provision validate examples/byoc
      egain-provision validate --format github manifests/   # annotations in a workflow
      egain-provision validate --var-file vars/staging.yaml manifests/
    """
    variables = parse_variables(var_pairs, var_files)
    files = _manifests_among(manifest_files(paths)) if only_manifests else list(paths)
    manifest_set = load_manifests(files, variables=variables, allow_unset=allow_unset)
    for warning in manifest_set.unused_variables(variables):
        click.echo(text_line(warning), nl=False, err=True)
    errors, warnings = len(manifest_set.errors), len(manifest_set.warnings)
    summary = summary_line(errors, warnings, len(manifest_set.objects), len(manifest_set.files))
    click.echo(
        render(manifest_set.diagnostics, fmt=fmt, summary=summary, color=color_enabled(no_color)),
        nl=False,
    )
    ctx.exit(1 if errors else 0)


def _manifests_among(files: list[str]) -> list[str]:
    """`files` less those that are not manifests, each named on stderr (a hook's output shows why)."""
    kept = []
    for file in files:
        if looks_like_manifest(file, MAX_FILE_BYTES):
            kept.append(file)
        else:
            click.echo(f"{file}: skipped: not a manifest (no top-level 'version:' or kind list)", err=True)
    return kept

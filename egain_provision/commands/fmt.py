"""`egain-provision fmt [PATHS] [--check] [--diff]`: rewrite manifests in canonical layout."""

from __future__ import annotations

import difflib
from pathlib import Path

import click

from egain_provision.errors import UsageError
from egain_provision.files import write_atomic
from egain_provision.fmt import format_text
from egain_provision.manifest.loader import manifest_files
from egain_provision.manifest.sniff import looks_like_manifest

# A manifest this large is not one a person formats; the same bound as reading for validate.
MAX_FORMAT_BYTES = 16 * 1024 * 1024

EXIT_OK = 0
EXIT_WOULD_CHANGE = 1


@click.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--check", is_flag=True, help="Change nothing; list the files fmt would change and exit 1 if any.")
@click.option("--diff", "show_diff", is_flag=True, help="Print the changes as a unified diff.")
def fmt_command(paths: tuple[str, ...], check: bool, show_diff: bool) -> int:
    """Rewrite manifests in PATHS (default: the current directory) in canonical layout.

    Comments, anchors, key order, quoting and flow style are kept; indentation, document markers
    and trailing spaces are made canonical. YAML that is not a manifest is left alone.

    \b
    Examples:
      egain-provision fmt manifests/
      egain-provision fmt --check --diff manifests/   # in CI: exit 1 if any file would change
    """
    changed: list[str] = []
    for file in manifest_files(paths or (".",)):
        if not looks_like_manifest(file, MAX_FORMAT_BYTES):
            continue
        try:
            original = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read: {exc}", where=file, hint="check the file") from None
        formatted = format_text(original, file)
        if formatted == original:
            continue
        changed.append(file)
        if show_diff:
            lines = difflib.unified_diff(original.splitlines(True), formatted.splitlines(True), file, file)
            click.echo("".join(lines), nl=False)
        if not check:
            mode = Path(file).stat().st_mode & 0o777
            write_atomic(Path(file), formatted.encode("utf-8"), mode=mode, what="the manifest")
    for file in changed:
        click.echo(f"{'would reformat' if check else 'reformatted'} {file}", err=True)
    return EXIT_WOULD_CHANGE if check and changed else EXIT_OK

"""`egain-provision export --out DIR`: the live tenant as manifests."""

from __future__ import annotations

import asyncio
from pathlib import Path, PurePosixPath

import click

from egain_provision.commands.common import configure_logging, kind_option, network, target_options
from egain_provision.context import RunContext
from egain_provision.errors import Interrupted, UsageError
from egain_provision.export import build_export, dump_document, env_example
from egain_provision.files import write_atomic
from egain_provision.kinds import SETUP_ORDER
from egain_provision.schemas import schema_text
from egain_provision.targets import resolve_target
from egain_provision.workflow import read_tenant

# Lists what the last export wrote, so the next one replaces exactly those files and nothing else.
EXPORT_MARKER = ".egain-export"
MARKER_HEADER = (
    "# Written by `egain-provision export`: the files of the last export into this directory.\n"
    "# The next export replaces them; it refuses a directory holding manifests it did not write.\n"
)


@click.command("export")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Directory to write into.")
@click.option("--split-by-kind", is_flag=True, help="One file per kind (authentications.yaml, ...) instead of one.")
@target_options
@kind_option
def export_command(
    out_dir: str, split_by_kind: bool, target: str | None, parallelism: int, verbose: bool, kinds: tuple[str, ...]
) -> int:
    """Write the live tenant as manifests into --out, ready for git.

    References are written by name, server-set fields and defaults are left out, secret fields
    become ${env:EGAIN_VAR_...} placeholders (listed in .env.example), channel icons become
    files under icons/. The same tenant always exports the same bytes; `plan` right after an
    export (with the placeholder variables set) has nothing to change.

    --out must be empty, new, or written by an earlier export (listed in its .egain-export):
    manifests there that an export did not write would be read beside the new ones as duplicates.

    \b
    Examples:
      egain-provision export --out exported/
      egain-provision export --out exported/ --split-by-kind --kind accounts
    """
    configure_logging(verbose)
    resolved = resolve_target(target)
    live = asyncio.run(read_tenant(RunContext(resolved, parallelism, network=network())))
    export = build_export(live, kinds or SETUP_ORDER, split_by_kind=split_by_kind)
    directory = Path(out_dir)
    header = f"# yaml-language-server: $schema=manifest.schema.json\n# Exported from {resolved.label}.\n"
    written: dict[Path, bytes] = {
        directory / name: dump_document(document, header).encode("utf-8") for name, document in export.documents.items()
    }
    written.update({directory / relative: data for relative, data in export.files.items()})
    written[directory / ".env.example"] = env_example(export.variables).encode("utf-8")
    written[directory / "manifest.schema.json"] = _schema_bytes()
    exported = previous_export(directory)
    refuse_links_leading_out(directory, set(written))
    refuse_files_in_the_way(directory, set(written), exported)
    try:
        _write_export(directory, written, exported)
    except KeyboardInterrupt:
        raise Interrupted(f"the tenant was not changed; the export into {directory} was cut short") from None
    for warning in export.warnings:
        click.echo(f"Warning: {warning}", err=True)
    total = sum(export.counts.values())
    click.echo(f"Exported {total} objects from {resolved.label} into {directory}:")
    for name in SETUP_ORDER:
        if name in export.counts:
            click.echo(f"  {name}: {export.counts[name]}")
    if export.variables:
        click.echo(f"Set these variables before `plan` (listed in {directory / '.env.example'}):")
        for variable in export.variables:
            click.echo(f"  {variable}")
    return 0


def _write_export(directory: Path, written: dict[Path, bytes], exported: set[Path]) -> None:
    """Write the export's files, then remove those of the last export it no longer writes."""
    # Listed first: an export interrupted halfway leaves a directory the next export accepts.
    _write_marker(directory, exported | set(written))
    for path, data in sorted(written.items()):
        write_atomic(path, data, what="the export")
    for path in sorted(exported - set(written)):
        if path.is_file():
            path.unlink()
    _write_marker(directory, set(written))


def _schema_bytes() -> bytes:
    return schema_text("manifest").encode("utf-8")


def previous_export(directory: Path) -> set[Path]:
    """The files the last export into `directory` wrote, from its marker (names inside the directory only)."""
    marker = directory / EXPORT_MARKER
    if not marker.is_file():
        return set()
    try:
        lines = marker.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {marker} ({type(exc).__name__})", hint="remove it or export elsewhere") from None
    names = [PurePosixPath(line.strip()) for line in lines if line.strip() and not line.startswith("#")]
    candidates = {directory / name for name in names if not name.is_absolute() and ".." not in name.parts}
    # A symbolic link in the directory (icons -> ~/.ssh) must not lead a listed name outside it.
    return {path for path in candidates if _stays_inside(directory, path)}


def _stays_inside(directory: Path, path: Path) -> bool:
    return path.resolve().is_relative_to(directory.resolve())


def refuse_links_leading_out(directory: Path, written: set[Path]) -> None:
    """UsageError when a file this export writes would land outside `directory` through a symbolic link."""
    outside = sorted(str(path.relative_to(directory)) for path in written if not _stays_inside(directory, path))
    if outside:
        raise UsageError(
            f"{directory}: {', '.join(outside[:10])} would be written outside the directory through a symbolic link; "
            "nothing was written",
            hint="export into a directory without symbolic links",
        )


def refuse_files_in_the_way(directory: Path, written: set[Path], exported: set[Path]) -> None:
    """UsageError naming the manifests an export did not write (validate would read them beside the new
    ones) and the files this export would overwrite without having written them."""
    if not directory.is_dir():
        return
    manifests = {path for path in directory.iterdir() if path.suffix in (".yaml", ".yml") and path.is_file()}
    in_the_way = sorted((manifests | {path for path in written if path.exists()}) - exported)
    if in_the_way:
        names = [str(path.relative_to(directory)) for path in in_the_way]
        shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        raise UsageError(
            f"{directory} holds files that no export wrote: {shown}; nothing was written",
            hint="export into an empty or new directory (or one an earlier export wrote), or move those files away; "
            f"a directory exported before exports kept a list ({EXPORT_MARKER}) counts as foreign: empty it once",
        )


def _write_marker(directory: Path, files: set[Path]) -> None:
    names = sorted(path.relative_to(directory).as_posix() for path in files)
    text = MARKER_HEADER + "".join(f"{name}\n" for name in names)
    write_atomic(directory / EXPORT_MARKER, text.encode("utf-8"), what="the export")

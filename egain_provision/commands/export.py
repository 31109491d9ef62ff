"""`egain-provision export --out DIR`: the live tenant as manifests."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from egain_provision.commands.common import configure_logging, kind_option, network, target_options
from egain_provision.context import RunContext
from egain_provision.export import build_export, dump_document, env_example
from egain_provision.files import write_atomic
from egain_provision.kinds import SETUP_ORDER
from egain_provision.schemas import schema_text
from egain_provision.targets import resolve_target
from egain_provision.workflow import read_tenant


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
    stale = _stale_exports(directory, set(written))
    for path, data in sorted(written.items()):
        write_atomic(path, data, what="the export")
    for path in stale:
        path.unlink()
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


def _schema_bytes() -> bytes:
    return schema_text("manifest").encode("utf-8")


def _stale_exports(directory: Path, written: set[Path]) -> list[Path]:
    """Manifest files of an earlier export that this one no longer writes (a kind that became empty)."""
    names = [f"{name}.yaml" for name in SETUP_ORDER] + ["tenant.yaml"]
    return [directory / name for name in names if (directory / name).is_file() and directory / name not in written]

"""`egain-provision schema [manifest|plan]`: print a JSON Schema shipped with the tool."""

from __future__ import annotations

import click

from egain_provision.schemas import schema_text


@click.command("schema")
@click.argument("which", type=click.Choice(["manifest", "plan"]), default="manifest")
def schema_command(which: str) -> None:
    """Print the JSON Schema (2020-12) of a manifest (default) or of a JSON plan.

    \b
    Examples:
      egain-provision schema > manifest.schema.json
      egain-provision schema plan
    """
    click.echo(schema_text(which), nl=False)

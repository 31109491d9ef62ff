"""One module per command; this list is what the CLI registers."""

from __future__ import annotations

import click

from provisioner.commands.apply import apply_command
from provisioner.commands.export import export_command
from provisioner.commands.plan import plan_command
from provisioner.commands.sandbox import sandbox_group
from provisioner.commands.schema import schema_command
from provisioner.commands.validate import validate_command

COMMANDS: list[click.Command] = [
    validate_command,
    plan_command,
    apply_command,
    export_command,
    sandbox_group,
    schema_command,
]

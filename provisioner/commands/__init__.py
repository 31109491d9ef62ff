"""One module per command; this list is what the CLI registers."""

from __future__ import annotations

import click

from provisioner.commands.sandbox import sandbox_group
from provisioner.commands.schema import schema_command
from provisioner.commands.validate import validate_command

COMMANDS: list[click.Command] = [validate_command, schema_command, sandbox_group]

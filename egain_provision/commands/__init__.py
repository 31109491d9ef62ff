"""One module per command; this list is what the CLI registers."""

from __future__ import annotations

import click

from egain_provision.commands.apply import apply_command
from egain_provision.commands.doctor import doctor_command
from egain_provision.commands.export import export_command
from egain_provision.commands.graph import graph_command
from egain_provision.commands.plan import plan_command
from egain_provision.commands.sandbox import sandbox_group
from egain_provision.commands.schema import schema_command
from egain_provision.commands.validate import validate_command

COMMANDS: list[click.Command] = [
    validate_command,
    plan_command,
    apply_command,
    export_command,
    graph_command,
    doctor_command,
    sandbox_group,
    schema_command,
]

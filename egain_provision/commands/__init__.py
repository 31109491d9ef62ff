"""One module per command; this table is what the CLI registers, without importing the modules.

Each row names the command, where it lives (`module:attribute`) and its summary (the first
paragraph of its docstring, which a test keeps equal), so `--help` and shell completion list
every command while only the command that runs is imported.
"""

from __future__ import annotations

COMMANDS: dict[str, tuple[str, str]] = {
    "validate": (
        "egain_provision.commands.validate:validate_command",
        "Check manifests offline: YAML, schema, interpolation, duplicates and references.",
    ),
    "fmt": (
        "egain_provision.commands.fmt:fmt_command",
        "Rewrite manifests in PATHS (default: the current directory) in canonical layout.",
    ),
    "render": (
        "egain_provision.commands.render:render_command",
        "Print the manifests in PATHS (default: the current directory) merged into one document.",
    ),
    "plan": (
        "egain_provision.commands.plan:plan_command",
        "Show what apply would change in the tenant to match the manifests in PATHS.",
    ),
    "apply": (
        "egain_provision.commands.apply:apply_command",
        "Make the tenant match the manifests in PATHS, or execute a saved PLANFILE.",
    ),
    "show": (
        "egain_provision.commands.show:show_command",
        "Render a saved PLANFILE again (from `plan --out`), without contacting the tenant.",
    ),
    "export": (
        "egain_provision.commands.export:export_command",
        "Write the live tenant as manifests into --out, ready for git.",
    ),
    "check": (
        "egain_provision.commands.check:check_command",
        "Act as the Conversation Hub toward every callback the manifests in PATHS declare, and report.",
    ),
    "graph": (
        "egain_provision.commands.graph:graph_command",
        "Draw the routing the manifests declare: objects grouped by kind, references as labelled arrows.",
    ),
    "doctor": (
        "egain_provision.commands.doctor:doctor_command",
        "Probe the target with reads only and report how it behaves where eGain's spec is silent.",
    ),
    "sandbox": (
        "egain_provision.commands.sandbox:sandbox_group",
        "The local emulator of the eGain Conversation Manager v3 setup API.",
    ),
    "test": (
        "egain_provision.commands.test:test_command",
        "Run scripted conversations (scenario files) through a served sandbox's Conversation Hub.",
    ),
    "schema": (
        "egain_provision.commands.schema:schema_command",
        "Print the JSON Schema (2020-12) of a manifest (default) or of a JSON plan.",
    ),
}

"""Habits users bring from Terraform and decK, answered with what they mean here.

A single-dash long option (`-out plan.json`, `-var X=1`, `-json`) is rewritten to our spelling
before click parses it (click would split `-var` into `-v -a -r`), with a one-line note of the
spelling on stderr; a word that means something else here (`-target`) and a command we do not
have (`import`, `diff`, `sync`, `init`) are answered with what to use instead.
"""

from __future__ import annotations

from collections.abc import Callable

import click

# Terraform options whose meaning here is spelled differently (not just with two dashes).
RESPELLED: dict[str, tuple[str, ...]] = {"-json": ("--format", "json")}

# Terraform options whose word means something else here: what to use instead.
OTHER_MEANING: dict[str, str] = {
    "-target": "--target names the tenant here; to plan or apply some objects, use --only KIND/NAME (repeatable, "
    "globs: --only 'accounts/support-*')",
    "-destroy": "to delete what is no longer declared, remove it from the manifests and use --prune",
    "-refresh-only": "there is no state to refresh: every plan reads the live tenant",
}

# Commands from Terraform and decK: the command meant here, or why none is needed.
OTHER_COMMANDS: dict[str, str] = {
    "import": "use `egain-provision export --out DIR` to write the live tenant as manifests",
    "dump": "use `egain-provision export --out DIR` to write the live tenant as manifests",
    "diff": "use `egain-provision plan PATHS` to see what would change",
    "sync": "use `egain-provision apply PATHS` to make the tenant match the manifests",
    "init": "nothing to initialise: there are no providers, modules or state; run `egain-provision validate PATHS`",
    "refresh": "there is no state to refresh: every plan reads the live tenant",
    "destroy": "remove the objects from the manifests and run `egain-provision apply --prune PATHS`",
}


def unknown_command_answer(name: str) -> str | None:
    """What a Terraform or decK user typing `name` meant here; None for a word we cannot place."""
    return OTHER_COMMANDS.get(name)


def respell(argv: list[str], options_of: Callable[[str], set[str] | None]) -> list[str]:
    """`argv` with Terraform's single-dash long options in our spelling, each noted on stderr.

    `options_of(command)` gives the long options the command takes (None for no such command);
    a word is rewritten only where the command has the option meant, so `-json` on a command
    without `--format` still gets click's own error. Words after `--` are arguments, left alone.
    """
    command = next((word for word in argv if not word.startswith("-")), None)
    known = options_of(command) if command is not None else None
    if known is None:
        return argv
    result: list[str] = []
    for index, word in enumerate(argv):
        if word == "--":
            return result + argv[index:]
        result.extend(_respelled(word, known))
    return result


def _respelled(word: str, known: set[str]) -> list[str]:
    name, sep, value = word.partition("=")
    if not name.startswith("-") or name.startswith("--") or len(name) <= 2 or not name[1:2].isalpha():
        return [word]
    if name in OTHER_MEANING:
        raise click.UsageError(f"{name} is Terraform's: {OTHER_MEANING[name]}")
    ours: tuple[str, ...] | None = RESPELLED.get(name) or (("-" + name,) if "-" + name in known else None)
    if ours is None or ours[0] not in known:
        return [word]
    click.echo(f"note: {name} is spelled {' '.join(ours)} here", err=True)
    return [*ours, value] if sep else list(ours)

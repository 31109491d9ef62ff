"""Diagnostics rendered for people (text), programs (JSON) and GitHub Actions (workflow annotations)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import click

from egain_provision.model import Diagnostic

FORMATS = ("text", "json", "github")


def render(diagnostics: Sequence[Diagnostic], *, fmt: str, summary: str, color: bool = False) -> str:
    """The whole report in `fmt`; `summary` closes the text and github forms."""
    if fmt == "json":
        return json.dumps([d.to_json() for d in diagnostics], indent=2, ensure_ascii=False) + "\n"
    if fmt == "github":
        return "".join(github_annotation(d) + "\n" for d in diagnostics) + summary + "\n"
    return "".join(text_line(d, color=color) for d in diagnostics) + summary + "\n"


def text_line(diagnostic: Diagnostic, *, color: bool = False) -> str:
    """`file:line:col: error: message [path]`, then the hint indented on its own line."""
    label: str = diagnostic.severity
    if color:
        label = click.style(label, fg="red" if label == "error" else "yellow", bold=True)
    where = f"{diagnostic.location}: " if diagnostic.location else ""
    text = f"{where}{label}: {diagnostic.message}"
    if diagnostic.path:
        text += f" [{diagnostic.path}]"
    text += "\n"
    if diagnostic.hint:
        text += f"    hint: {diagnostic.hint}\n"
    return text


def github_annotation(diagnostic: Diagnostic) -> str:
    """`::error file=F,line=L,col=C,title=PATH::MESSAGE` with GitHub's escaping."""
    location = diagnostic.location
    properties = []
    if location is not None:
        properties.append(f"file={_property(location.file)},line={location.line},col={location.column}")
    if diagnostic.path:
        properties.append(f"title={_property(diagnostic.path)}")
    message = diagnostic.message + (f"\nhint: {diagnostic.hint}" if diagnostic.hint else "")
    head = f"::{diagnostic.severity} {','.join(properties)}" if properties else f"::{diagnostic.severity}"
    return f"{head}::{_data(message)}"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def summary_line(errors: int, warnings: int, objects: int, files: int) -> str:
    """`valid: 8 objects in 6 files (1 warning)` or `invalid: 2 errors, 1 warning in 6 files`."""
    counted = _count(warnings, "warning")
    in_files = f"in {_count(files, 'file')}"
    if errors:
        return f"invalid: {_count(errors, 'error')}, {counted} {in_files}"
    suffix = f" ({counted})" if warnings else ""
    return f"valid: {_count(objects, 'object')} {in_files}{suffix}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"

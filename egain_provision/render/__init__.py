"""Renderers of a Plan: text for people, JSON for machines, Markdown for a pull-request comment.

Each is a pure function of the plan value: it reads the plan and computes nothing of its own.
"""

from __future__ import annotations

from egain_provision.manifest.report import github_annotation
from egain_provision.model import Diagnostic
from egain_provision.plan import Plan
from egain_provision.render.markdown import render_markdown
from egain_provision.render.text import render_text

FORMATS = ("text", "json", "markdown", "github")


def render_json(plan: Plan) -> str:
    """The JSON plan document (`format_version`, schemas/plan.schema.json), indented, newline-terminated."""
    return plan.dumps()


def render_github(plan: Plan) -> str:
    """The text plan, then each plan warning and normalisation note as a GitHub Actions workflow annotation."""
    notes = [Diagnostic("warning", None, "", warning) for warning in plan.warnings]
    notes += [Diagnostic("warning", note.location, note.path, note.message) for note in plan.normalisations]
    return render_text(plan, color=False) + "".join(github_annotation(note) + "\n" for note in notes)


def render(plan: Plan, fmt: str, *, color: bool) -> str:
    """The plan in `fmt` (one of FORMATS); `color` applies to text only."""
    if fmt == "text":
        return render_text(plan, color=color)
    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan)
    if fmt == "github":
        return render_github(plan)
    raise ValueError(f"unknown plan format {fmt!r}; expected one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "render", "render_github", "render_json", "render_markdown", "render_text"]

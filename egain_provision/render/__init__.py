"""Renderers of a Plan: text for people, JSON for machines, Markdown for a pull-request comment.

Each is a pure function of the plan value: it reads the plan and computes nothing of its own.
"""

from __future__ import annotations

from egain_provision.plan import Plan
from egain_provision.render.markdown import render_markdown
from egain_provision.render.text import render_text

FORMATS = ("text", "json", "markdown")


def render_json(plan: Plan) -> str:
    """The JSON plan document (`format_version`, schemas/plan.schema.json), indented, newline-terminated."""
    return plan.dumps()


def render(plan: Plan, fmt: str, *, color: bool) -> str:
    """The plan in `fmt` ("text", "json" or "markdown"); `color` applies to text only."""
    if fmt == "text":
        return render_text(plan, color=color)
    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan)
    raise ValueError(f"unknown plan format {fmt!r}; expected one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "render", "render_json", "render_markdown", "render_text"]

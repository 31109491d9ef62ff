"""A `CheckReport` for people (text), programs (json), a pull-request comment (markdown) and workflow annotations."""

from __future__ import annotations

import json

import click

from egain_provision.check.report import STEPS, CheckReport, RoleResult, Status
from egain_provision.manifest.report import github_annotation
from egain_provision.model import Diagnostic, Severity
from egain_provision.render.markdown_text import code, inline_text
from egain_provision.render.values import visible

FORMATS = ("text", "json", "markdown", "github")
_LABEL: dict[Status, str] = {"pass": "ok", "fail": "FAIL", "unknown": "unknown", "skip": "-"}
_COLOR: dict[Status, str | None] = {"pass": "green", "fail": "red", "unknown": "yellow", "skip": None}
_MARK: dict[Status, str] = {"pass": "✅ ok", "fail": "❌ failed", "unknown": "❔ unknown", "skip": "—"}


def render(report: CheckReport, fmt: str, *, color: bool = False) -> str:
    """The report in `fmt` (one of FORMATS); `color` applies to text only."""
    if fmt == "json":
        return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return render_markdown(report)
    text = render_text(report, color=color and fmt == "text")
    if fmt == "github":
        return text + "".join(github_annotation(d) + "\n" for d in diagnostics(report))
    return text


def render_text(report: CheckReport, *, color: bool) -> str:
    """A block per role: its status, then each step with its detail and, for a failure, the hint."""
    lines = []
    for result in report.results:
        via = f" (authentication {visible(result.authentication)})" if result.authentication else ""
        lines.append(f"{_styled(result.status, color)} {visible(result.label)}{via}")
        for step in result.steps:
            lines.append(f"  {_styled(step.status, color):<7} {step.title}: {visible(step.detail)}")
            if step.hint and step.status in ("fail", "unknown"):
                lines.append(f"          hint: {visible(step.hint)}")
    lines.append(report.summary)
    return "\n".join(lines) + "\n"


def _styled(status: Status, color: bool) -> str:
    label = _LABEL[status]
    shade = _COLOR[status]
    return click.style(label, fg=shade, bold=status == "fail") if color and shade else label


def render_markdown(report: CheckReport) -> str:
    """A table of roles by step, then each failure with what to fix."""
    lines = ["<!-- egain-provision:check -->", "### egain-provision check", "", report.summary, ""]
    if report.results:
        lines.append("| role | " + " | ".join(STEPS.values()) + " |")
        lines.append("|---" * (len(STEPS) + 1) + "|")
        for result in report.results:
            cells = [_MARK[step.status] for step in result.steps]
            lines.append(f"| {code(result.label)} | " + " | ".join(cells) + " |")
        lines.append("")
    problems = [
        (result, step) for result in report.results for step in result.steps if step.status in ("fail", "unknown")
    ]
    for result, step in problems:
        lines.append(f"- **{code(result.label)}**, {step.title}: {inline_text(step.detail)}")
        if step.hint:
            lines.append(f"  - fix: {inline_text(step.hint)}")
    return "\n".join(lines).rstrip("\n") + "\n"


def diagnostics(report: CheckReport) -> list[Diagnostic]:
    """A located diagnostic per failed (error) or unknown (warning) step, at the role in the manifest."""
    found = []
    for result in report.results:
        for step in result.steps:
            if step.status in ("fail", "unknown"):
                severity: Severity = "error" if step.status == "fail" else "warning"
                found.append(Diagnostic(severity, result.location, _title(result), step.detail, step.hint))
    return found


def _title(result: RoleResult) -> str:
    return f"check {result.label}"

"""The plan as text, read like Terraform's: one block per object, then warnings and a summary line."""

from __future__ import annotations

from collections.abc import Callable

import click

from egain_provision.plan import Action, ActionType, NormalisationNote, Plan
from egain_provision.render.values import (
    ACTION_SIGNS,
    SIGNS,
    change_lines,
    delete_limit_sentence,
    live_label,
    object_label,
    partial_sentence,
    quoted,
    summary_sentence,
    visible,
)

UNMANAGED_SHOWN = 20

_HEADLINES: dict[ActionType, str] = {
    "create": "will be created",
    "update": "will be updated in place",
    "delete": "will be DELETED",
}
_COLORS = {"+": "green", "~": "yellow", "-": "red"}

Style = Callable[[str, str], str]


def render_text(plan: Plan, *, color: bool = False) -> str:
    """The plan for people, as `plan` prints it by default; ANSI colours only when `color` is true."""

    def style(text: str, fg: str) -> str:
        return click.style(text, fg=fg) if color else text

    sections = [[f"Target: {visible(plan.target)}"]]
    if plan.partial:
        sections.append([style(partial_sentence(plan, visible), "yellow")])
    # A refused plan says so first and last: above its actions, and again beside the summary line.
    if plan.delete_limit_exceeded:
        sections.append([style(delete_limit_sentence(plan), "red")])
    sections += [_action_block(action, style) for action in plan.actions]
    if plan.warnings:
        sections.append([f"{style('Warning:', 'yellow')} {visible(warning)}" for warning in plan.warnings])
    if plan.normalisations:
        # Not planned: no write makes these go away (README, "Real tenants").
        sections.append([f"{style('Note:', 'yellow')} {visible(_located(note))}" for note in plan.normalisations])
    if plan.unmanaged:
        sections.append(_unmanaged_section(plan))
    if plan.ignored:
        counts = ", ".join(f"{visible(kind)} {count}" for kind, count in plan.ignored.items())
        sections.append([f"Ignored (match an ignore glob; never changed or deleted): {counts}."])
    if plan.out_of_scope:
        counts = ", ".join(f"{visible(kind)} {count}" for kind, count in plan.out_of_scope.items())
        sections.append([f"Out of scope (not owned by these manifests; never changed or deleted): {counts}."])
    if plan.excluded:
        rules = ", ".join(f"{visible(rule)} {count}" for rule, count in plan.excluded.items())
        sections.append([f"Of those, left alone by the scope's exclusions: {rules}."])
    closing = [summary_sentence(plan)]
    if plan.partial:
        closing.append(partial_sentence(plan, visible))
    if plan.delete_limit_exceeded:
        closing.append(style(delete_limit_sentence(plan), "red"))
    sections.append(closing)
    return "\n\n".join("\n".join(section) for section in sections) + "\n"


def _action_block(action: Action, style: Style) -> list[str]:
    headline = f"  # {object_label(action)} {_HEADLINES[action.action]}"
    if action.previous_key is not None:
        headline += f" (renamed from {quoted(action.previous_key)})"
    action_sign = ACTION_SIGNS[action.action]
    lines = [headline, f"  {style(action_sign, _COLORS[action_sign])} {object_label(action)} {{"]
    if action.action == "delete" and action.id:
        lines.append(f"      # id: {visible(action.id)}")
    for change in action.changes:
        sign = SIGNS[change.change]
        first, *rest = change_lines(change)
        lines.append(f"      {style(sign, _COLORS[sign])} {first}")
        lines += [f"        {line}" for line in rest]
    lines += [f"      # note: {visible(note)}" for note in action.notes]
    lines.append("    }")
    return lines


def _unmanaged_section(plan: Plan) -> list[str]:
    lines = ["Not managed (exist in the tenant, not declared; use --prune to delete):"]
    lines += [f"  {live_label(item.kind, item.natural_key, item.id)}" for item in plan.unmanaged[:UNMANAGED_SHOWN]]
    if len(plan.unmanaged) > UNMANAGED_SHOWN:
        lines.append(f"  ... and {len(plan.unmanaged) - UNMANAGED_SHOWN} more")
    return lines


def _located(note: NormalisationNote) -> str:
    return f"{note.location}: {note.message}" if note.location else note.message

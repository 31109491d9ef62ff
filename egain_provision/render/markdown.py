"""The plan as a pull-request comment: counts first, deletes first and flagged, one collapsible
block per object, and never longer than GitHub accepts (the object list is cut cleanly instead).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from egain_provision.plan import Action, ActionType, Plan, Unmanaged
from egain_provision.render.values import (
    SIGNS,
    change_lines,
    delete_limit_sentence,
    live_label,
    objects,
    summary_sentence,
    visible,
)

MARKER = "<!-- egain-provision:plan -->"
DEFAULT_MAX_CHARS = 60_000
# Lists outside the object blocks (deletes, warnings, unmanaged) are capped so they always fit.
LIST_SHOWN = 20
ITEM_CHARS = 300

_SUMMARY_ICONS: dict[ActionType, str] = {
    "create": "\N{HEAVY PLUS SIGN}",
    "update": "\N{PENCIL}\N{VARIATION SELECTOR-16}",
    "delete": "\N{WASTEBASKET}\N{VARIATION SELECTOR-16}",
}
_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_BACKTICK_RUN = re.compile(r"`+")


def render_markdown(plan: Plan, *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The plan as a GitHub pull-request comment of at most `max_chars` characters.

    Object blocks that do not fit are left out, whole, and counted in a note after the last one
    shown. The other sections are capped lists (20 items of at most 300 characters each), so they
    always fit the default limit; a much smaller `max_chars` may leave room for them alone.
    """
    head, tail = _head(plan), _tail(plan)
    ordered = [item for item in plan.actions if item.action == "delete"]
    ordered += [item for item in plan.actions if item.action != "delete"]
    blocks = [_object_block(action) for action in ordered]
    whole = _join([*head, *blocks, *tail])
    if len(whole) <= max_chars:
        return whole
    budget = max_chars - sum(map(len, head)) - sum(map(len, tail))
    shown: list[str] = []
    used = 0
    for block in blocks:
        # Room must stay for the note about the blocks after this one.
        if used + len(block) + len(_truncation_note(len(blocks) - len(shown) - 1)) > budget:
            break
        shown.append(block)
        used += len(block)
    return _join([*head, *shown, _truncation_note(len(blocks) - len(shown)), *tail])


def _join(parts: list[str]) -> str:
    # Each part ends with a blank line; the comment ends with a single newline.
    return "".join(parts).rstrip("\n") + "\n"


def _head(plan: Plan) -> list[str]:
    counts = plan.summary
    parts = [
        f"{MARKER}\n### egain-provision plan for {_inline_text(plan.target)}\n\n",
        "| Create | Update | Delete | Unchanged | Not managed |\n"
        "|---:|---:|---:|---:|---:|\n"
        f"| {counts['create']} | {counts['update']} | {counts['delete']} | {counts['unchanged']} "
        f"| {counts['unmanaged']} |\n\n",
        f"**{summary_sentence(plan)}**\n\n",
    ]
    if plan.delete_limit_exceeded:
        parts.append(f"> [!CAUTION]\n> {delete_limit_sentence(plan)}\n\n")
    deletes = [item for item in plan.actions if item.action == "delete"]
    if deletes:
        lines = [f"> [!WARNING]\n> This plan **deletes {objects(len(deletes))}**:\n"]
        lines += [f"> {line}" for line in _live_list(deletes)]
        parts.append("".join(lines) + "\n")
    if plan.actions:
        parts.append("#### Changes\n\n")
    return parts


def _tail(plan: Plan) -> list[str]:
    parts = []
    if plan.warnings:
        parts.append("#### Warnings\n\n" + "".join(_capped_list([_inline_text(item) for item in plan.warnings])) + "\n")
    if plan.unmanaged:
        count = len(plan.unmanaged)
        parts.append(
            f"#### Not managed\n\n{objects(count)} in the tenant {'is' if count == 1 else 'are'} not declared; "
            f"`--prune` would delete {'it' if count == 1 else 'them'}.\n\n" + "".join(_live_list(plan.unmanaged)) + "\n"
        )
    if plan.ignored:
        counts = ", ".join(f"{_inline_text(kind)} {count}" for kind, count in plan.ignored.items())
        parts.append(f"Ignored (match an ignore glob; never changed or deleted): {counts}.\n\n")
    if plan.out_of_scope:
        counts = ", ".join(f"{_inline_text(kind)} {count}" for kind, count in plan.out_of_scope.items())
        parts.append(f"Out of scope (not owned by these manifests; never changed or deleted): {counts}.\n\n")
    return parts


def _object_block(action: Action) -> str:
    icon = _SUMMARY_ICONS[action.action]
    summary = f"{icon} {action.action} <code>{_html_text(action.kind)}</code> {_html_text(action.natural_key)}"
    if action.previous_key is not None:
        summary += f" (renamed from {_html_text(action.previous_key)})"
    lines = [f"# id: {visible(action.id)}"] if action.action == "delete" and action.id else []
    for change in action.changes:
        lines += [f"{SIGNS[change.change]} {line}" for line in change_lines(change)]
    lines += [f"# note: {visible(note)}" for note in action.notes]
    content = "".join(f"{line}\n" for line in lines)
    # A fence longer than any backtick run in the content cannot be closed by it.
    fence = "`" * max(3, 1 + max((len(run) for run in _BACKTICK_RUN.findall(content)), default=0))
    return f"<details><summary>{summary}</summary>\n\n{fence}diff\n{content}{fence}\n\n</details>\n\n"


def _truncation_note(count: int) -> str:
    noun = "object" if count == 1 else "objects"
    return f"_{count} more {noun} not shown; see the JSON plan (plan.json artifact) for the full list._\n\n"


def _live_list(items: Sequence[Action | Unmanaged]) -> list[str]:
    return _capped_list([_inline_text(live_label(item.kind, item.natural_key, item.id)) for item in items])


def _capped_list(items: list[str]) -> list[str]:
    lines = [f"- {item}\n" for item in items[:LIST_SHOWN]]
    if len(items) > LIST_SHOWN:
        lines.append(f"- … and {len(items) - LIST_SHOWN} more\n")
    return lines


def _inline_text(text: str) -> str:
    """User text in Markdown prose: every ASCII punctuation mark escaped, so it is only ever text."""
    if len(text) > ITEM_CHARS:
        text = text[:ITEM_CHARS] + "…"
    return _ASCII_PUNCTUATION.sub(r"\\\1", visible(text))


def _html_text(text: str) -> str:
    """User text inside an HTML block (a `<summary>`), where Markdown escapes do not apply."""
    return html.escape(visible(text), quote=False)

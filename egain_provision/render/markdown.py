"""The plan as a pull-request comment that names every delete and every update at any size, and is
never longer than GitHub accepts (`max_chars`, 60,000 characters by default).

The comment reads: the title; the refusal first (a CAUTION) when the plan deletes more than
--max-deletes allows; the counts; every delete named, in a WARNING; the changes; the plan's
warnings, the objects not managed and the ignored counts; the requests per method of the plan
and its apply (when `plan` recorded them); and, when anything was left out, a note at the end
saying exactly what (how many field values, how many names, of which action).

What a large plan keeps, in this order:

1. The frame above, every delete named (kind, name; the id when a name repeats) and every update
   named with the paths of the fields it changes.
2. The names of the creates, listed by kind; then the routing diagram (`graph.plan_mermaid`, at most
   DIAGRAM_MAX_CHARS), which gives way to a one-line note when the names leave it no room.
3. Field values: one collapsible `diff` block per object (a modify is a `-` line and a `+` line,
   so GitHub colours it), largest risk first: deletes (in plan order, the order apply deletes
   them), then updates (more changed fields first, ties in plan order), then creates (round robin
   across kinds in plan order: each kind's first create, then each kind's second, and so on, so
   the values shown cover every kind). Blocks are shown in that order until the next one does
   not fit; an object shown in a block leaves the compact lists.

Should the names themselves not fit, creates lose theirs first, then updates, then deletes: the
names of a section are kept round-robin across its kinds (each kind's first names first), and
each kind's line says how many of its names are not shown. The warnings and the objects not
managed are capped lists (20 items of at most 300 characters, then how many more), so the frame
(all but the names and the blocks) stays under 30,000 characters whatever the plan and always
fits the default limit; a smaller `max_chars` that cannot hold it is a ValueError.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from egain_provision.graph import NEIGHBOURHOOD_NOTE, plan_mermaid
from egain_provision.plan import Action, ActionType, Plan, Unmanaged
from egain_provision.render.markdown_text import BACKTICK_RUN, DEFAULT_MAX_CHARS, code, inline_text, unlinked
from egain_provision.render.values import (
    delete_limit_sentence,
    diff_lines,
    live_label,
    objects,
    partial_sentence,
    requests_sentence,
    summary_sentence,
    visible,
)

MARKER = "<!-- egain-provision:plan -->"
# The routing diagram takes at most this much of the comment, and only room the names leave.
DIAGRAM_MAX_CHARS = 15_000
ROUTING_HEADING = "#### Routing this plan touches\n\n"
ROUTING_LEFT_OUT = (
    ROUTING_HEADING + "_Too large to draw in this comment; `egain-provision graph PATHS` draws the manifests' "
    "whole routing._\n\n"
)
# Lists outside the changes (warnings, unmanaged) are capped so they always fit.
LIST_SHOWN = 20

# Sections in order of risk: the order field values are shown in, and the reverse of the order names are cut in.
SECTIONS: tuple[ActionType, ...] = ("delete", "update", "create")
_SUMMARY_ICONS: dict[ActionType, str] = {
    "create": "\N{HEAVY PLUS SIGN}",
    "update": "\N{PENCIL}\N{VARIATION SELECTOR-16}",
    "delete": "\N{WASTEBASKET}\N{VARIATION SELECTOR-16}",
}


def render_markdown(plan: Plan, *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The plan as a GitHub pull-request comment of at most `max_chars` characters (see the module docstring)."""
    layout = Layout(plan)
    names, blocks = len(layout.name_order), len(layout.risk_order)
    # Blocks longer together than the limit cannot all be shown: then the whole is not even composed.
    if layout.blocks_within(max_chars):
        whole = layout.compose(names, blocks)
        if len(whole) <= max_chars:
            return whole

    def fits(named: int, detailed: int) -> bool:
        return len(layout.compose(named, detailed)) <= max_chars

    names_fit = fits(names, 0)
    if not names_fit and layout.diagram is not None and not layout.diagram.startswith(NEIGHBOURHOOD_NOTE):
        # The diagram yields to the names: first to the neighbourhood of what changed, then to a note.
        layout.diagram = plan_mermaid(plan, DIAGRAM_MAX_CHARS, whole=False)
        names_fit = fits(names, 0)
    if not names_fit and layout.diagram is not None:
        layout.diagram = None
        names_fit = fits(names, 0)
    if names_fit:
        return layout.compose(names, most_from_below(lambda detailed: fits(names, detailed), blocks))
    frame = len(layout.compose(0, 0))
    if frame > max_chars:
        raise ValueError(f"max_chars {max_chars:,} cannot hold even the frame of this plan ({frame:,} characters)")
    return layout.compose(most(lambda named: fits(named, 0), names), 0)


def most(fits: Callable[[int], bool], upper: int, low: int = 0) -> int:
    """The `n` in `low`..`upper` with `fits(n)` and not `fits(n + 1)`, given `fits(low)` and not `fits(upper)`."""
    high = upper
    while high - low > 1:
        middle = (low + high) // 2
        if fits(middle):
            low = middle
        else:
            high = middle
    return low


def most_from_below(fits: Callable[[int], bool], upper: int) -> int:
    """`most`, galloping up from 1 (1, 2, 4, ...) first: it asks about no `n` over twice the answer.

    For blocks, which are rendered when first asked about: of a large plan, only about as many as
    the comment can show are ever rendered.
    """
    low, high = 0, 1
    while high < upper and fits(high):
        low, high = high, 2 * high
    return most(fits, min(high, upper), low)


class Layout:
    """The parts of one plan's comment, composed with any number of names kept and of objects shown in full."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.sections = {section: [item for item in plan.actions if item.action == section] for section in SECTIONS}
        updates = sorted(self.sections["update"], key=lambda item: -len(item.changes))
        self.risk_order = [*self.sections["delete"], *updates, *_round_robin(self.sections["create"])]
        # Rendered when first shown (`block`): most of a large plan's blocks never are.
        self._blocks: dict[str, str] = {}
        repeated = _repeated_deletes(self.sections["delete"])
        self.entries = {item.address: compact_entry(item, with_id=item.address in repeated) for item in plan.actions}
        self.name_order = [item for section in SECTIONS for item in _round_robin(self.sections[section])]
        self.head, self.tail = _head(plan), _tail(plan)
        # Drawn when the plan changes something and the diagram is small enough; None leaves a note.
        self.diagram = plan_mermaid(plan, DIAGRAM_MAX_CHARS) if plan.actions else None

    def compose(self, named: int, detailed: int) -> str:
        """The comment with the first `named` names of `name_order` and the first `detailed` blocks of `risk_order`."""
        kept = {item.address for item in self.name_order[:named]}
        shown = self.risk_order[:detailed]
        in_full = {item.address for item in shown}
        parts = list(self.head)
        if self.sections["delete"]:
            parts.append(self._delete_alert(kept))
        if self.plan.actions:
            parts.append(ROUTING_HEADING + self.diagram + "\n" if self.diagram is not None else ROUTING_LEFT_OUT)
            parts.append("#### Changes\n\n")
        values: dict[ActionType, int] = {}
        names: dict[ActionType, int] = {}
        for section in SECTIONS:
            actions = self.sections[section]
            blocks = [self.block(item) for item in shown if item.action == section]
            parts += blocks
            values[section] = len(actions) - len(blocks)
            # Deletes are all named in the warning above; the others are listed unless shown in full.
            listed = actions if section == "delete" else [item for item in actions if item.address not in in_full]
            names[section] = sum(1 for item in listed if item.address not in kept)
            if section != "delete" and listed:
                parts.append(self._compact_section(section, listed, kept))
        return _join([*parts, *self.tail, abridgement_note(values, names)])

    def block(self, item: Action) -> str:
        """The object's `diff` block (`object_block`), rendered once, the first time it is asked for."""
        rendered = self._blocks.get(item.address)
        if rendered is None:
            rendered = self._blocks[item.address] = object_block(item)
        return rendered

    def blocks_within(self, limit: int) -> bool:
        """Whether all the blocks together take at most `limit` characters; renders only as many as it takes to tell."""
        total = 0
        for item in self.risk_order:
            total += len(self.block(item))
            if total > limit:
                return False
        return True

    def _delete_alert(self, kept: set[str]) -> str:
        deletes = self.sections["delete"]
        lines = [f"> [!WARNING]\n> This plan **deletes {_count(len(deletes), 'object')}**:\n"]
        lines += [f"> {line}" for line in self._kind_lines(deletes, kept)]
        return "".join(lines) + "\n"

    def _compact_section(self, section: ActionType, listed: list[Action], kept: set[str]) -> str:
        if section == "update":
            heading = f"**Updates not shown in full ({len(listed):,})**, with the fields each one changes:\n\n"
            lines = []
            for kind, members in _by_kind(listed).items():
                count = f" ({len(members):,})" if len(members) > 1 else ""
                lines.append(f"- {code(kind)}{count}:\n")
                named = [item for item in members if item.address in kept]
                lines += [f"  - {self.entries[item.address]}\n" for item in named]
                if len(named) < len(members):
                    lines.append(f"  - {_rest(len(members) - len(named), bool(named))}\n")
            return heading + "".join(lines) + "\n"
        heading = f"**Creates not shown in full ({len(listed):,})**, by kind:\n\n"
        return heading + "".join(self._kind_lines(listed, kept)) + "\n"

    def _kind_lines(self, actions: list[Action], kept: set[str]) -> list[str]:
        """One line per kind: `- `kind` (3): `a`, `b`, … and 1 more`."""
        lines = []
        for kind, members in _by_kind(actions).items():
            count = f" ({len(members):,})" if len(members) > 1 else ""
            named = [self.entries[item.address] for item in members if item.address in kept]
            if len(named) < len(members):
                named.append(_rest(len(members) - len(named), bool(named)))
            lines.append(f"- {code(kind)}{count}: {', '.join(named)}\n")
        return lines


def _rest(count: int, after_names: bool) -> str:
    """What stands for the names of a kind that did not fit: `… and 12 more`, or `names not shown`."""
    if after_names:
        return f"… and {count:,} more"
    return "names not shown" if count > 1 else "name not shown"


def compact_entry(action: Action, *, with_id: bool = False) -> str:
    """How an object reads in a compact list: its name, a rename, a repeated name's id, an update's changed paths."""
    entry = code(action.natural_key)
    if action.previous_key is not None:
        entry += f" (renamed from {code(action.previous_key)})"
    if with_id and action.id:
        entry += f" (id {code(action.id)})"
    if action.action == "update" and action.changes:
        entry += ": " + ", ".join(code(change.path) for change in action.changes)
    return entry


def abridgement_note(values: dict[ActionType, int], names: dict[ActionType, int]) -> str:
    """What a comment left out, exactly; empty when nothing was."""
    clauses = []
    for what, counts in (("field values", values), ("names", names)):
        parts = [_count(counts[section], section) for section in SECTIONS if counts.get(section)]
        if parts:
            listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
            clauses.append(f"{what} of {listed} not shown")
    if not clauses:
        return ""
    return (
        f"_Abridged to fit a pull-request comment: {'; '.join(clauses)}. "
        "The JSON plan (plan.json artifact) has every change in full._\n\n"
    )


def object_block(action: Action) -> str:
    """One object as a collapsible `diff` block: its summary line, then one signed line per field."""
    icon = _SUMMARY_ICONS[action.action]
    summary = f"{icon} {action.action} <code>{_html_text(action.kind)}</code> {_html_text(action.natural_key)}"
    if action.previous_key is not None:
        summary += f" (renamed from {_html_text(action.previous_key)})"
    lines = [f"# id: {visible(action.id)}"] if action.action == "delete" and action.id else []
    for change in action.changes:
        lines += diff_lines(change)
    lines += [f"# note: {visible(note)}" for note in action.notes]
    content = "".join(f"{line}\n" for line in lines)
    # A fence longer than any backtick run in the content cannot be closed by it.
    fence = "`" * max(3, 1 + max((len(run) for run in BACKTICK_RUN.findall(content)), default=0))
    return f"<details><summary>{summary}</summary>\n\n{fence}diff\n{content}{fence}\n\n</details>\n\n"


def _join(parts: list[str]) -> str:
    # Each part ends with a blank line; the comment ends with a single newline.
    return "".join(parts).rstrip("\n") + "\n"


def _head(plan: Plan) -> list[str]:
    counts = plan.summary
    parts = [f"{MARKER}\n### egain-provision plan for {inline_text(plan.target)}\n\n"]
    if plan.delete_limit_exceeded:
        parts.append(f"> [!CAUTION]\n> {delete_limit_sentence(plan)}\n\n")
    if plan.partial:
        parts.append(f"> [!NOTE]\n> {partial_sentence(plan, code)}\n\n")
    parts += [
        "| Create | Update | Delete | Unchanged | Not managed |\n"
        "|---:|---:|---:|---:|---:|\n"
        f"| {counts['create']} | {counts['update']} | {counts['delete']} | {counts['unchanged']} "
        f"| {counts['unmanaged']} |\n\n",
        f"**{summary_sentence(plan)}**\n\n",
    ]
    return parts


def _tail(plan: Plan) -> list[str]:
    parts = []
    if plan.warnings:
        warnings = [inline_text(item) for item in plan.warnings[:LIST_SHOWN]]
        parts.append("#### Warnings\n\n" + "".join(_capped_list(warnings, len(plan.warnings))) + "\n")
    if plan.normalisations:
        notes = [inline_text(note.message) for note in plan.normalisations[:LIST_SHOWN]]
        parts.append(
            "#### Stored in another form (not planned)\n\n"
            + "".join(_capped_list(notes, len(plan.normalisations)))
            + "\n"
        )
    if plan.unmanaged:
        count = len(plan.unmanaged)
        parts.append(
            f"#### Not managed\n\n{objects(count)} in the tenant {'is' if count == 1 else 'are'} not declared; "
            f"`--prune` would delete {'it' if count == 1 else 'them'}.\n\n" + "".join(_live_list(plan.unmanaged)) + "\n"
        )
    if plan.ignored:
        counts = ", ".join(f"{inline_text(kind)} {count}" for kind, count in plan.ignored.items())
        parts.append(f"Ignored (match an ignore glob; never changed or deleted): {counts}.\n\n")
    if plan.out_of_scope:
        counts = ", ".join(f"{inline_text(kind)} {count}" for kind, count in plan.out_of_scope.items())
        parts.append(f"Out of scope (not owned by these manifests; never changed or deleted): {counts}.\n\n")
    if plan.excluded:
        rules = ", ".join(f"{code(rule)} {count}" for rule, count in plan.excluded.items())
        parts.append(f"Of those, left alone by the scope's exclusions: {rules}.\n\n")
    if plan.requests is not None:
        # Numbers, methods and a tier name (a lowercase word, by the plan schema): nothing to escape.
        parts.append(f"Requests per method: {requests_sentence(plan.requests)}.\n\n")
    return parts


def _by_kind(actions: Sequence[Action]) -> dict[str, list[Action]]:
    """The actions grouped by kind, kinds in order of first appearance."""
    groups: dict[str, list[Action]] = {}
    for item in actions:
        groups.setdefault(item.kind, []).append(item)
    return groups


def _round_robin(actions: Sequence[Action]) -> list[Action]:
    """Each kind's first object, then each kind's second, and so on: what is cut from the end spares every kind."""
    groups = list(_by_kind(actions).values())
    return [group[index] for index in range(max(map(len, groups), default=0)) for group in groups if index < len(group)]


def _repeated_deletes(deletes: Sequence[Action]) -> set[str]:
    """The deletes whose kind and name another delete shares: their ids tell them apart."""
    seen: dict[tuple[str, str], list[str]] = {}
    for item in deletes:
        seen.setdefault((item.kind, item.natural_key), []).append(item.address)
    return {address for addresses in seen.values() if len(addresses) > 1 for address in addresses}


def _count(count: int, noun: str) -> str:
    """`1 create`, `2,700 creates`."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def _live_list(items: Sequence[Unmanaged]) -> list[str]:
    shown = [inline_text(live_label(item.kind, item.natural_key, item.id)) for item in items[:LIST_SHOWN]]
    return _capped_list(shown, len(items))


def _capped_list(shown: list[str], total: int) -> list[str]:
    """The first LIST_SHOWN of `total` items as list lines, then how many more there are."""
    lines = [f"- {item}\n" for item in shown[:LIST_SHOWN]]
    if total > LIST_SHOWN:
        lines.append(f"- … and {total - LIST_SHOWN:,} more\n")
    return lines


def _html_text(text: str) -> str:
    """User text inside an HTML block (a `<summary>`), where Markdown escapes do not apply."""
    return unlinked(html.escape(visible(text), quote=False))

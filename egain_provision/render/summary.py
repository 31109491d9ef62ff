"""The apply summary, defined once and rendered three ways: text (the end of `apply`), JSON
(`apply --format json`) and Markdown (`apply --format markdown`, a pull-request comment).

Everything here reads the summary document, the mapping `apply --format json` prints (not the
apply's own result types): the outcome groups and their titles, the headline and the closing
notes are decided once, below, so the three forms can never disagree. The closing note says
nothing else was changed only when every action's outcome is known; otherwise it says how many
actions may have changed the tenant.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from egain_provision.limits import per_method_text
from egain_provision.render.markdown_text import DEFAULT_MAX_CHARS, code, inline_text
from egain_provision.render.values import visible

MARKER = "<!-- egain-provision:apply -->"

Summary = Mapping[str, Any]
Outcome = Mapping[str, Any]
Headline = Literal["interrupted", "nothing", "complete", "differs", "incomplete"]

# The totals every summary states first, in this order.
COUNTED = ("created", "updated", "deleted", "failed", "skipped")
RETRY = "Run apply again to retry what failed or was skipped."
# Exit code of an apply that carried out every action but found the tenant holding something else (commands/apply.py).
DIFFERS_EXIT = 5


def _plain(outcome: Outcome) -> bool:
    """Done, and the re-read found it as written (or did not re-read it)."""
    return outcome["status"] == "done" and outcome.get("verification") in (None, "verified")


@dataclass(frozen=True)
class Group:
    """One outcome group: its name (as the totals say it), its title, and which outcomes belong to it."""

    name: str
    title: str
    belongs: Callable[[Outcome], bool]


# In the order the text summary lists them; the Markdown comment lists them riskiest first (RISK_ORDER).
GROUPS: tuple[Group, ...] = (
    Group("created", "Created", lambda o: _plain(o) and o["action"] == "create" and not o["adopted"]),
    Group("adopted", "Adopted (created identically by another run)", lambda o: _plain(o) and bool(o["adopted"])),
    Group("updated", "Updated", lambda o: _plain(o) and o["action"] == "update"),
    Group("deleted", "Deleted", lambda o: _plain(o) and o["action"] == "delete"),
    Group(
        "differs",
        "Written, but stored differently (the tenant now differs from the manifests)",
        lambda o: o["status"] == "done" and o.get("verification") == "differs",
    ),
    Group(
        "unverified",
        "Written, not yet verified (the tenant does not show it yet)",
        lambda o: o["status"] == "done" and o.get("verification") == "unverified",
    ),
    Group("failed", "Failed", lambda o: o["status"] in ("failed", "conflict")),
    Group("unknown", "Unknown (could not be established; run plan again)", lambda o: o["status"] == "unknown"),
    Group("skipped", "Skipped (not attempted)", lambda o: o["status"] == "skipped"),
)
_BY_NAME = {group.name: group for group in GROUPS}
# So that what failed or is unknown is always named in a comment, whatever the size of the apply.
RISK_ORDER = tuple(
    _BY_NAME[name]
    for name in ("failed", "unknown", "differs", "unverified", "deleted", "updated", "created", "adopted", "skipped")
)


def grouped(summary: Summary, order: Sequence[Group] = GROUPS) -> list[tuple[Group, list[Outcome]]]:
    """The groups of `order` that hold any outcome, each with its outcomes in plan order."""
    found = [(group, [outcome for outcome in summary["outcomes"] if group.belongs(outcome)]) for group in order]
    return [(group, outcomes) for group, outcomes in found if outcomes]


def headline(summary: Summary) -> Headline:
    """How the apply ended: interrupted, incomplete (something not done), complete, or nothing to apply."""
    if summary["interrupted"]:
        return "interrupted"
    if not summary["ok"]:
        return "incomplete"
    if not summary.get("converged", True):
        return "differs"
    return "complete" if summary["outcomes"] else "nothing"


def headline_notes(summary: Summary) -> list[str]:
    """The sentences after the totals: writes stored differently or not shown yet, outcomes not known, adoptions."""
    totals = summary["totals"]
    notes = []
    if totals.get("differs"):
        notes.append(f"{totals['differs']} written but stored differently by the tenant.")
    if totals.get("unverified"):
        notes.append(f"{totals['unverified']} written but not yet verified (the tenant does not show them yet).")
    if totals["unknown"]:
        notes.append(f"{totals['unknown']} with an unknown outcome (the next plan shows what happened).")
    if totals["adopted"]:
        notes.append(f"{totals['adopted']} more already existed, created identically by another run.")
    lag, window = summary.get("lag_s"), summary.get("read_after_write_s")
    if lag:
        notes.append(
            f"The tenant showed this run's writes in its lists up to {lag:.1f}s after they were answered "
            f"(apply waited up to {window:.1f}s for them)."
        )
    elif lag is not None:
        notes.append("The tenant showed every write in its lists at once.")
    return notes


def closing_notes(summary: Summary, escape: Callable[[str], str] = str) -> list[str]:
    """The sentences the summary ends with: the journal's state, then what else was (or may have been) changed.

    `escape` renders the journal's error message (tenant or system text) for the output format.
    """
    notes = []
    if summary["journal_error"] is not None:
        error = escape(str(summary["journal_error"]))
        notes.append(f"The journal is incomplete ({error}); nothing was sent after that.")
    if not summary["ok"]:
        unknown = summary["totals"]["unknown"]
        if not unknown:
            notes.append(f"Nothing else was changed. {RETRY}")
        else:
            # A lost answer or an action abandoned in flight may have changed the tenant: never claim it did not.
            actions = "1 action has" if unknown == 1 else f"{unknown} actions have"
            notes.append(f"{actions} an unknown outcome: the tenant may have changed; run plan to see. {RETRY}")
    elif not summary.get("converged", True):
        notes.append(
            f"Every action was carried out, but the tenant does not hold exactly what was written (exit code "
            f"{DIFFERS_EXIT}): apply the fix each difference names, or wait for what the tenant does not show yet, "
            "then run plan again."
        )
    return notes


_TEXT_TITLES: dict[Headline, str] = {
    "interrupted": "Apply interrupted",
    "incomplete": "Apply incomplete",
    "complete": "Apply complete",
    "differs": "Applied, but the tenant differs",
    "nothing": "Apply complete",
}


def render_summary_text(summary: Summary) -> str:
    """The summary for people: totals and notes on one line, then every object by outcome, with names and ids."""
    totals = summary["totals"]
    head = _TEXT_TITLES[headline(summary)]
    counts = ", ".join(f"{totals[name]} {name}" for name in COUNTED)
    first = f"{head} on {summary['target']}: {counts} in {summary['wall_time_s']:.1f}s."
    if summary["requests"]:
        first += (
            f" {summary['requests']} requests ({per_method_text(summary.get('requests_per_method', {}))};"
            f" {summary['throttled']} answered 429), "
            f"{summary['waited_s']:.1f}s waiting for the tenant."
        )
    lines = [" ".join([first, *headline_notes(summary)])]
    for group, outcomes in grouped(summary):
        lines.append(f"\n{group.title}:")
        for outcome in outcomes:
            lines.append(f"  {_text_line(outcome)}")
            lines += [f"    {text}" for text in _difference_texts(outcome, visible)]
    lines += [f"\n{note}" for note in closing_notes(summary)]
    return "\n".join(lines) + "\n"


def render_summary_json(summary: Summary) -> str:
    """The summary for machines: the document itself, indented, newline-terminated."""
    return json.dumps(summary, indent=2) + "\n"


def render_summary_markdown(summary: Summary, *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The summary as a pull-request comment of at most `max_chars` characters.

    Objects are listed riskiest first (failed, unknown, deleted, updated, created, adopted,
    skipped), one line each with kind, name and id. When the lines do not all fit, the list stops
    cleanly: the most lines, in that order, that fit together with a closing note counting, per
    outcome, exactly the objects not named. A `max_chars` that cannot hold the totals, the notes
    and that count is a ValueError; the default always can (every text in them is capped).
    """
    head = "".join(_markdown_head(summary))
    tail = "".join(f"\n{note}\n" for note in closing_notes(summary, inline_text))
    sections = [_Section(group, outcomes) for group, outcomes in grouped(summary, RISK_ORDER)]
    named = _named(sections, max_chars - len(head) - len(tail))
    if named is None:
        frame = len(head) + len(_unnamed_note(sections, [0] * len(sections))) + len(tail)
        raise ValueError(f"max_chars {max_chars:,} cannot hold even the frame of this summary ({frame:,} characters)")
    body = "".join(section.text(count) for section, count in zip(sections, named, strict=True))
    return head + body + _unnamed_note(sections, named) + tail


class _Section:
    """One outcome group in the comment: its heading and one line per object."""

    def __init__(self, group: Group, outcomes: Sequence[Outcome]) -> None:
        self.group = group
        self.heading = f"\n**{group.title}: {len(outcomes)}**\n\n"
        self.lines = [_markdown_line(outcome) for outcome in outcomes]

    def text(self, named: int) -> str:
        """The heading and the first `named` lines; nothing when none is named."""
        return self.heading + "".join(self.lines[:named]) if named else ""


def _named(sections: Sequence[_Section], room: int) -> list[int] | None:
    """How many lines of each section to name: the longest run, riskiest first, whose text and note fit `room`.

    The note shrinks as more is named (a group fully named leaves it), so every length is tried
    until the named lines alone overflow; None when not even the note for naming nothing fits.
    """
    named = [0] * len(sections)
    best = list(named) if len(_unnamed_note(sections, named)) <= room else None
    used = 0
    for index, length in ((index, len(line)) for index, section in enumerate(sections) for line in section.lines):
        used += length + (0 if named[index] else len(sections[index].heading))
        if used > room:
            break
        named[index] += 1
        if used + len(_unnamed_note(sections, named)) <= room:
            best = list(named)
    return best


def _unnamed_note(sections: Sequence[_Section], named: Sequence[int]) -> str:
    """The closing count of the objects not named, per outcome; empty when every one is."""
    counts = [
        f"{len(section.lines) - count} {section.group.name}"
        for section, count in zip(sections, named, strict=True)
        if count < len(section.lines)
    ]
    if not counts:
        return ""
    return (
        f"\n_Not named here, to fit the comment: {', '.join(counts)}. The apply log and its journal name every one._\n"
    )


_MARKDOWN_TITLES: dict[Headline, str] = {
    "interrupted": "\N{BLACK SQUARE FOR STOP}\N{VARIATION SELECTOR-16} egain-provision: apply interrupted",
    "nothing": "\N{WHITE HEAVY CHECK MARK} egain-provision: nothing to apply",
    "complete": "\N{WHITE HEAVY CHECK MARK} egain-provision: applied",
    "differs": "\N{WARNING SIGN}\N{VARIATION SELECTOR-16} egain-provision: applied, but the tenant differs",
    "incomplete": "\N{CROSS MARK} egain-provision: apply incomplete",
}


def _markdown_head(summary: Summary) -> list[str]:
    totals = summary["totals"]
    counts = ", ".join(f"**{totals[name]} {name}**" if totals[name] else f"{totals[name]} {name}" for name in COUNTED)
    return [
        f"{MARKER}\n",
        f"### {_MARKDOWN_TITLES[headline(summary)]} on {inline_text(str(summary['target']))}\n\n",
        f"{counts} in {summary['wall_time_s']:.1f}s.\n",
        *(f"\n{note}\n" for note in headline_notes(summary)),
    ]


def _text_line(outcome: Outcome) -> str:
    # Names, ids and messages come from manifests and the tenant: no control character reaches the terminal.
    ident = f" ({visible(str(outcome['id']))})" if outcome["id"] else ""
    detail = f": {visible(str(outcome['message']))}" if _says_why(outcome) else ""
    return f'{visible(str(outcome["kind"]))} "{visible(str(outcome["natural_key"]))}"{ident}{detail}'


def _markdown_line(outcome: Outcome) -> str:
    ident = f" ({code(str(outcome['id']))})" if outcome["id"] else ""
    message = f": {inline_text(str(outcome['message']))}" if _says_why(outcome) else ""
    differences = "".join(f"  - {text}\n" for text in _difference_texts(outcome, inline_text))
    return (
        f"- {inline_text(str(outcome['kind']))} **{inline_text(str(outcome['natural_key']))}**{ident}{message}\n"
        + differences
    )


def _says_why(outcome: Outcome) -> bool:
    """A message is shown for what did not simply succeed: not done, or not (yet) found as written."""
    return bool(outcome["message"]) and (outcome["status"] != "done" or outcome.get("verification") == "unverified")


def _difference_texts(outcome: Outcome, escape: Callable[[str], str]) -> list[str]:
    """One sentence per field stored differently: field, sent, stored, class, and the fix."""
    texts = []
    for item in outcome.get("differences") or ():
        sent = "nothing" if item["absent"] == "sent" else _value(item["sent"])
        stored = "nothing" if item["absent"] == "stored" else _value(item["stored"])
        texts.append(escape(f"{item['path']}: sent {sent}, stored {stored} ({item['class']}); fix: {item['fix']}"))
    return texts


# The longest rendering of one value in a difference: enough to see a trailing slash or a blank.
SHOWN_CHARS = 120


def _value(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."

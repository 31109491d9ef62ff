"""The apply summary as a pull-request comment: the totals, then every object by outcome, riskiest first.

It renders the summary document of `apply --format json` (a mapping, not the apply's own result
types), so the comment and the machine-readable summary can never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from egain_provision.render.values import visible

MARKER = "<!-- egain-provision:apply -->"
DEFAULT_MAX_CHARS = 60_000
MESSAGE_CHARS = 300

Outcome = Mapping[str, Any]

# Riskiest first, so that what failed or is unknown is always named, whatever the size of the apply.
_GROUPS: list[tuple[str, Callable[[Outcome], bool]]] = [
    ("Failed", lambda o: o["status"] in ("failed", "conflict")),
    ("Unknown (could not be established; run plan again)", lambda o: o["status"] == "unknown"),
    ("Deleted", lambda o: o["status"] == "done" and o["action"] == "delete"),
    ("Updated", lambda o: o["status"] == "done" and o["action"] == "update"),
    ("Created", lambda o: o["status"] == "done" and o["action"] == "create" and not o.get("adopted")),
    ("Adopted (created identically by another run)", lambda o: bool(o.get("adopted"))),
    ("Skipped (not attempted)", lambda o: o["status"] == "skipped"),
]
_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def render_summary_markdown(summary: Mapping[str, Any], *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The summary document of `apply --format json` as Markdown of at most about `max_chars` characters.

    Objects are listed by outcome (failed, unknown, deleted, updated, created, adopted, skipped),
    one line each with kind, name and id. When the lines do not all fit, the list stops cleanly
    and a closing note counts, per outcome, the objects it does not name.
    """
    head, tail = _head(summary), _tail(summary)
    budget = max_chars - sum(map(len, head)) - sum(map(len, tail)) - len(_unnamed_note({"created": 10**9}))
    body: list[str] = []
    unnamed: dict[str, int] = {}
    for title, belongs in _GROUPS:
        outcomes = [outcome for outcome in summary["outcomes"] if belongs(outcome)]
        # Once one line did not fit, later (less risky) outcomes are only counted, never named out of order.
        lines = _section(title, outcomes, budget) if not unnamed else []
        body += lines
        budget -= sum(map(len, lines))
        named = max(0, len(lines) - 1)
        if len(outcomes) > named:
            unnamed[title.split(" (")[0].lower()] = len(outcomes) - named
    note = [_unnamed_note(unnamed)] if unnamed else []
    return "".join([*head, *body, *note, *tail])


def _section(title: str, outcomes: Sequence[Outcome], budget: int) -> list[str]:
    """The heading and the lines of one outcome that fit in `budget` characters (nothing when none fits)."""
    lines = [f"\n**{title}: {len(outcomes)}**\n\n"]
    used = len(lines[0])
    for outcome in outcomes:
        line = _line(outcome)
        if used + len(line) > budget:
            break
        lines.append(line)
        used += len(line)
    return lines if len(lines) > 1 else []


def _unnamed_note(unnamed: Mapping[str, int]) -> str:
    counts = ", ".join(f"{count} {title}" for title, count in unnamed.items())
    return f"\n_Not named here, to fit the comment: {counts}. The apply log and its journal name every one._\n"


def _head(summary: Mapping[str, Any]) -> list[str]:
    totals = summary["totals"]
    if summary["interrupted"]:
        title = "\N{BLACK SQUARE FOR STOP}\N{VARIATION SELECTOR-16} egain-provision: apply interrupted"
    elif summary["ok"] and not summary["outcomes"]:
        title = "\N{WHITE HEAVY CHECK MARK} egain-provision: nothing to apply"
    elif summary["ok"]:
        title = "\N{WHITE HEAVY CHECK MARK} egain-provision: applied"
    else:
        title = "\N{CROSS MARK} egain-provision: apply incomplete"
    counts = ", ".join(
        f"**{totals[name]} {name}**" if totals[name] else f"{totals[name]} {name}"
        for name in ("created", "updated", "deleted", "failed", "skipped")
    )
    lines = [f"{MARKER}\n", f"### {title} on {_text(str(summary['target']))}\n\n", f"{counts}"]
    lines.append(f" in {summary['wall_time_s']:.1f}s.\n")
    if totals.get("unknown"):
        lines.append(f"\n{totals['unknown']} with an unknown outcome: the next plan shows what happened.\n")
    if totals.get("adopted"):
        lines.append(f"\n{totals['adopted']} more already existed, created identically by another run.\n")
    return lines


def _tail(summary: Mapping[str, Any]) -> list[str]:
    notes = []
    if summary.get("journal_error"):
        notes.append(
            f"\nThe journal is incomplete ({_text(str(summary['journal_error']))}); nothing was sent after that.\n"
        )
    if not summary["ok"]:
        notes.append("\nNothing else was changed. Run apply again to retry what failed or was skipped.\n")
    return notes


def _line(outcome: Outcome) -> str:
    ident = f" (`{_code(str(outcome['id']))}`)" if outcome.get("id") else ""
    message = ""
    if outcome.get("message") and outcome["status"] != "done":
        text = str(outcome["message"])
        message = ": " + _text(text[:MESSAGE_CHARS] + ("…" if len(text) > MESSAGE_CHARS else ""))
    return f"- {_text(str(outcome['kind']))} **{_text(str(outcome['natural_key']))}**{ident}{message}\n"


def _text(text: str) -> str:
    """Tenant or manifest text in Markdown prose: every ASCII punctuation mark escaped, so it is only ever text."""
    return _ASCII_PUNCTUATION.sub(r"\\\1", visible(text))


def _code(text: str) -> str:
    """An id inside a code span: backticks cannot end it early, nothing else needs escaping there."""
    return visible(text).replace("`", "'")

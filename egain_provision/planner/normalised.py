"""Differences no apply can make go away: the tenant's own normalisation of a declared value.

A tenant that trims, lower-cases, appends `/`, answers a string field's number as text or reorders
an ordered list stores something else than it was sent, on every write. Planning that update
would plan it forever; the plan shows a note with the fix instead (README, "Real tenants").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from egain_provision.normalisation import Normalisation, StoredDifferently, classify
from egain_provision.normalize import is_sensitive_token
from egain_provision.paths import join_path
from egain_provision.plan import Change

# What a write cannot undo; a default added is the spec's meaning (equal already) and a field kept
# after a PUT that left it out is apply's to verify: a plan cannot tell it from a field to remove.
ABSORBED = frozenset(
    {
        Normalisation.CASE,
        Normalisation.BLANKS,
        Normalisation.TRAILING_SLASH,
        Normalisation.NUMBER_AS_STRING,
        Normalisation.ORDER,
    }
)

# A list position in a change's path: DeepDiff reports a reordered list item by item.
_POSITION = re.compile(r"\[\d+\]")


def may_be_normalised(changes: Sequence[Change]) -> bool:
    """Whether any change may be a normalisation (a cheap test before `absorb_normalised` walks the objects)."""
    return any(_POSITION.search(c.path) or classify(c.after, c.before) is not None for c in changes)


def absorb_normalised(live: Any, desired: Any, path: str = "") -> tuple[Any, list[tuple[str, StoredDifferently]]]:
    """`live` with each value that is the tenant's normalisation of the declared one put back as declared,
    and (path, what was found) for each; values that differ otherwise are left for the diff.

    Both are comparable documents (keyed lists as mappings); `live` is not changed in place.
    """
    if live == desired and type(live) is type(desired):
        return live, []
    found = classify(desired, live)
    if found is not None and found.normalisation in ABSORBED and not _holds_token(live, desired):
        return desired, [(path, found)]
    if isinstance(live, dict) and isinstance(desired, dict):
        merged = dict(live)
        notes: list[tuple[str, StoredDifferently]] = []
        for key in live.keys() & desired.keys():
            merged[key], below = absorb_normalised(live[key], desired[key], join_path(path, key))
            notes += below
        return merged, notes
    if isinstance(live, list) and isinstance(desired, list) and len(live) == len(desired):
        items: list[Any] = []
        notes = []
        for index, (stored, declared) in enumerate(zip(live, desired, strict=True)):
            item, below = absorb_normalised(stored, declared, join_path(path, index))
            items.append(item)
            notes += below
        return items, notes
    return live, []


def _holds_token(*values: Any) -> bool:
    """Whether a sensitive stand-in is anywhere in `values`: a secret's form is never shown."""
    for value in values:
        if is_sensitive_token(value):
            return True
        if isinstance(value, dict) and _holds_token(*value.values()):
            return True
        if isinstance(value, list) and _holds_token(*value):
            return True
    return False

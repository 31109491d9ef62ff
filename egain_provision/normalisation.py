"""What a tenant's own normalisation made of a value we sent: the class of a difference, and its fix.

A tenant may store what it was sent in another form: trimmed, lower-cased, with a `/` appended,
a number as its string, a default added, a list in another order, or a field kept that the PUT
left out. Such a difference is no change an apply could make go away: the plan and the apply
name it, with the manifest value that would converge, instead of writing it again forever.
`classify` is pure: it looks at the two values only (and at the spec's default, when given).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any

from egain_provision.plan import MISSING


class Normalisation(Enum):
    """The kinds of rewriting a tenant is seen to do; the value is how a report names it."""

    CASE = "case"
    BLANKS = "surrounding blanks"
    TRAILING_SLASH = "trailing slash"
    NUMBER_AS_STRING = "number as string"
    DEFAULT_ADDED = "default added"
    ORDER = "order"
    KEPT_AFTER_REMOVAL = "kept after removal"


@dataclass(frozen=True)
class StoredDifferently:
    """A value the tenant stores as another form of the one sent (`sent` is MISSING for an omitted field)."""

    normalisation: Normalisation
    sent: Any
    stored: Any

    @property
    def converges(self) -> bool:
        """Whether declaring the stored form makes the next write a no-op (a kept field cannot be removed by PUT)."""
        return self.normalisation is not Normalisation.KEPT_AFTER_REMOVAL

    @property
    def fix(self) -> str:
        """The manifest change that converges, in a phrase."""
        stored = _shown(self.stored)
        if self.normalisation is Normalisation.KEPT_AFTER_REMOVAL:
            return f"a PUT cannot remove it on this tenant: declare {stored} or remove it outside this tool"
        if self.normalisation is Normalisation.DEFAULT_ADDED:
            return f"declare {stored} (the spec's default) to converge"
        return f"write {stored} in the manifest to converge"


def classify(sent: Any, stored: Any, default: Any = MISSING) -> StoredDifferently | None:
    """The normalisation that turns `sent` into `stored`, or None when none fits (or they are equal).

    `sent` is MISSING for a field the write left out; `default` is the spec's default of the
    field, when it has one. Only one rewriting at a time is recognised: a value both trimmed and
    lower-cased is no known normalisation, so it stays a plain difference.
    """
    if _same(sent, stored) or stored is MISSING:
        return None
    if sent is MISSING:
        added = default is not MISSING and _same(stored, default)
        normalisation = Normalisation.DEFAULT_ADDED if added else Normalisation.KEPT_AFTER_REMOVAL
        return StoredDifferently(normalisation, sent, stored)
    for normalisation in _KINDS_OF_STRING if isinstance(sent, str) and isinstance(stored, str) else ():
        if _STRING_TESTS[normalisation](sent, stored):
            return StoredDifferently(normalisation, sent, stored)
    if isinstance(stored, str) and _scalar_text(sent) == stored:
        return StoredDifferently(Normalisation.NUMBER_AS_STRING, sent, stored)
    if isinstance(sent, list) and isinstance(stored, list) and _multiset(sent) == _multiset(stored):
        return StoredDifferently(Normalisation.ORDER, sent, stored)
    return None


def _same(left: Any, right: Any) -> bool:
    """Equal as JSON values: `True` is not `1`, `30.0` is `30`."""
    if left is MISSING or right is MISSING:
        return left is right
    if type(left) is type(right) and isinstance(left, str | bool | None):
        return bool(left == right)
    return _text(left) == _text(right)


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr)


def _scalar_text(value: Any) -> str | None:
    """The string a tenant would make of a number or boolean (`30`, `1.5`, `true`); None for anything else."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _text(int(value) if isinstance(value, float) and value.is_integer() else value)
    return None


def _multiset(items: list[Any]) -> list[str]:
    return sorted(_text(item) for item in items)


def _trimmed(sent: str, stored: str) -> bool:
    return sent.strip() == stored


def _cased(sent: str, stored: str) -> bool:
    return sent.casefold() == stored.casefold()


def _slashed(sent: str, stored: str) -> bool:
    return stored == sent + "/" or sent == stored + "/"


_STRING_TESTS = {
    Normalisation.BLANKS: _trimmed,
    Normalisation.CASE: _cased,
    Normalisation.TRAILING_SLASH: _slashed,
}
_KINDS_OF_STRING = tuple(_STRING_TESTS)


def _shown(value: Any) -> str:
    return "`" + _text(value) + "`"

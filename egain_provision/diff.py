"""Field-level differences between two comparable documents (see normalize.comparable)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from egain_provision.normalize import is_sensitive_token
from egain_provision.paths import join_path
from egain_provision.plan import MISSING, SENSITIVE_DISPLAY, Change

_INDEX = re.compile(r"\[[^\]]*\]")
_SCALARS = frozenset({str, int, float, bool, type(None)})
# Values `==` finds equal only to their own type's (unlike 1, 1.0 and true): no need to look at them again.
_PLAIN = frozenset({str, type(None)})
# DeepDiff's default: mappings sharing fewer keys than this are one change, not a change per key.
_DEEPER_THRESHOLD = 0.33


def pattern_of(path: str) -> str:
    """A concrete path without its list positions: `roles[customer].authentication` -> `roles.authentication`."""
    return _INDEX.sub("", path)


def diff_documents(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """Leaf changes turning `before` into `after` (either may be None: a create or a delete)."""
    if before is None or after is None:
        doc = after if before is None else before
        assert doc is not None
        changes = [
            _change(path, MISSING, value) if before is None else _change(path, value, MISSING)
            for path, value in flatten(doc)
        ]
    elif before == after and _same_types(before, after):
        # `==` alone is not enough: it takes `1` for `true`, which the API does not.
        return []
    else:
        changes = []
        _compare(before, after, [], changes)
    return sorted(changes, key=lambda change: change.path)


def _compare(old: Any, new: Any, parts: list[Any], changes: list[Change]) -> None:
    """DeepDiff's findings (tree view), walked here for mappings and scalars; differing lists go to DeepDiff.

    Mappings and scalars are most of every document and DeepDiff's generality made them cost
    over half a millisecond per changed object; its list matching (moves, difflib) is kept whole.
    """
    if old is new:
        return
    kind = type(old)
    if kind is not type(new):
        changes.extend(_leaf_changes(format_path(parts), old, new))
    elif kind is dict:
        common = old.keys() & new.keys()
        union = len(old.keys() | new.keys())
        if union > 1 and len(common) / union < _DEEPER_THRESHOLD:
            changes.extend(_leaf_changes(format_path(parts), old, new))
            return
        for key in new.keys() - common:
            changes.extend(_leaf_changes(format_path([*parts, key]), MISSING, new[key]))
        for key in old.keys() - common:
            changes.extend(_leaf_changes(format_path([*parts, key]), old[key], MISSING))
        for key in common:
            _compare(old[key], new[key], [*parts, key], changes)
    elif kind in _SCALARS:
        if old != new:
            changes.append(_change(format_path(parts), old, new))
    elif not _identical(old, new):
        changes.extend(_deepdiff(old, new, parts))


def _identical(old: Any, new: Any) -> bool:
    """Equal with the same types all the way down (DeepDiff reports `1` -> `1.0`, which `==` does not)."""
    if old is new:
        return True
    kind = type(old)
    if kind is not type(new):
        return False
    if kind is dict:
        return old.keys() == new.keys() and all(_identical(old[key], new[key]) for key in old)
    if kind is list:
        return len(old) == len(new) and all(_identical(a, b) for a, b in zip(old, new, strict=True))
    return kind in _SCALARS and old == new


def _same_types(old: Any, new: Any) -> bool:
    """For two values known equal (`==`): whether their types agree all the way down (`1` is not `true`)."""
    kind = type(old)
    if kind is not type(new):
        return False
    if kind is dict:
        return all(type(value) in _PLAIN or _same_types(value, new[key]) for key, value in old.items())
    if kind is list:
        return all(_same_types(a, b) for a, b in zip(old, new, strict=True))
    return True


def _deepdiff(old: Any, new: Any, parts: list[Any]) -> Iterator[Change]:
    # Imported here: most plans never need it, and importing it costs every command tens of milliseconds.
    from deepdiff import DeepDiff
    from deepdiff.helper import NotPresent

    tree = DeepDiff(old, new, view="tree", verbose_level=2, threshold_to_diff_deeper=_DEEPER_THRESHOLD)
    for levels in tree.values():
        for level in levels:
            prefix = format_path([*parts, *level.path(output_format="list")])
            before = MISSING if isinstance(level.t1, NotPresent) else level.t1
            after = MISSING if isinstance(level.t2, NotPresent) else level.t2
            yield from _leaf_changes(prefix, before, after)


def _leaf_changes(prefix: str, old: Any, new: Any) -> Iterator[Change]:
    """A whole subtree added or removed is reported leaf by leaf, like a create."""
    if old is MISSING and _is_branch(new):
        for path, value in flatten(new, prefix):
            yield _change(path, MISSING, value)
    elif new is MISSING and _is_branch(old):
        for path, value in flatten(old, prefix):
            yield _change(path, value, MISSING)
    elif old is not MISSING and new is not MISSING and (_is_branch(old) or _is_branch(new)) and _holds_token(old, new):
        # A keyed list answered positionally (repeated keys) meets its keyed form here: shown whole, the
        # change would have to hide every value; leaf by leaf, only the secret ones are masked.
        yield from _leaf_changes(prefix, old, MISSING)
        yield from _leaf_changes(prefix, MISSING, new)
    else:
        yield _change(prefix, old, new)


def _holds_token(*values: Any) -> bool:
    """Whether a sensitive token is among `values` or anywhere inside them."""
    for value in values:
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list) and _holds_token(*value):
            return True
        if is_sensitive_token(value):
            return True
    return False


def _change(path: str, before: Any, after: Any) -> Change:
    # A container is one value here only when it holds no branch (a list of strings): a token in it masks it whole.
    sensitive = _holds_token(before, after)
    if sensitive:
        before = before if before is MISSING else SENSITIVE_DISPLAY
        after = after if after is MISSING else SENSITIVE_DISPLAY
    return Change(path=path, before=before, after=after, sensitive=sensitive)


def _is_branch(value: Any) -> bool:
    if isinstance(value, dict):
        return bool(value)
    if isinstance(value, list):
        return any(isinstance(item, dict | list) for item in value)
    return False


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(path, leaf) pairs; scalars, empty containers and lists of scalars are leaves."""
    if not _is_branch(value):
        yield prefix, value
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from flatten(item, join_path(prefix, key))
    else:
        for index, item in enumerate(value):
            yield from flatten(item, join_path(prefix, index))


def format_path(parts: list[Any]) -> str:
    """DeepDiff's path list as `roles[customer].headers[0].value`."""
    path = ""
    for part in parts:
        path = join_path(path, part if isinstance(part, int) else str(part))
    return path

"""Field-level differences between two comparable documents (see normalize.comparable)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from deepdiff import DeepDiff
from deepdiff.helper import NotPresent

from provisioner.normalize import is_sensitive_token
from provisioner.plan import MISSING, SENSITIVE_DISPLAY, Change

_INDEX = re.compile(r"\[[^\]]*\]")


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
        return sorted(changes, key=lambda change: change.path)
    if before == after:
        return []
    changes = []
    tree = DeepDiff(before, after, view="tree", verbose_level=2)
    for levels in tree.values():
        for level in levels:
            prefix = format_path(level.path(output_format="list"))
            old = MISSING if isinstance(level.t1, NotPresent) else level.t1
            new = MISSING if isinstance(level.t2, NotPresent) else level.t2
            changes.extend(_leaf_changes(prefix, old, new))
    return sorted(changes, key=lambda change: change.path)


def _leaf_changes(prefix: str, old: Any, new: Any) -> Iterator[Change]:
    """A whole subtree added or removed is reported leaf by leaf, like a create."""
    if old is MISSING and _is_branch(new):
        for path, value in flatten(new, prefix):
            yield _change(path, MISSING, value)
    elif new is MISSING and _is_branch(old):
        for path, value in flatten(old, prefix):
            yield _change(path, value, MISSING)
    else:
        yield _change(prefix, old, new)


def _change(path: str, before: Any, after: Any) -> Change:
    sensitive = is_sensitive_token(before) or is_sensitive_token(after)
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
            yield from flatten(item, _join(prefix, key))
    else:
        for index, item in enumerate(value):
            yield from flatten(item, f"{prefix}[{index}]")


def format_path(parts: list[Any]) -> str:
    """DeepDiff's path list as `roles[customer].headers[0].value`."""
    path = ""
    for part in parts:
        path = f"{path}[{part}]" if isinstance(part, int) else _join(path, str(part))
    return path


def _join(prefix: str, key: str) -> str:
    if key.startswith("[") and key.endswith("]"):
        return prefix + key
    return f"{prefix}.{key}" if prefix else key

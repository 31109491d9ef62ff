"""Field paths: `a.b[].c` patterns from the kinds table, `a.b[0].c` concrete paths in diagnostics."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Slot:
    """One place a path pattern matched: `container[key]` holds `value`."""

    path: str
    container: dict[str, Any] | list[Any]
    key: str | int
    value: Any

    def replace(self, value: Any) -> None:
        """Put `value` where this slot's value was."""
        if isinstance(self.container, dict):
            self.container[str(self.key)] = value
        elif isinstance(self.key, int):
            self.container[self.key] = value


def split_pattern(pattern: str) -> list[str]:
    """`roles[].authentication` -> ['roles', '[]', 'authentication']."""
    parts: list[str] = []
    for segment in pattern.split("."):
        if segment.endswith("[]"):
            parts.append(segment[:-2])
            parts.append("[]")
        else:
            parts.append(segment)
    return parts


def join_path(prefix: str, key: str | int) -> str:
    """The one way paths grow: `roles` + 1 -> `roles[1]`; `roles[1]` + `callback` -> `roles[1].callback`;
    a keyed-list part `[name]` attaches without a dot (`roles` + `[customer]` -> `roles[customer]`).
    """
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    if key.startswith("[") and key.endswith("]"):
        return prefix + key
    return f"{prefix}.{key}" if prefix else key


def pattern_regex(pattern: str) -> str:
    """A path pattern (`roles[].authentication`) as a regex over concrete paths."""
    return re.escape(pattern).replace(r"\[\]", r"\[\d+\]")


def iter_slots(document: Any, pattern: str) -> Iterator[Slot]:
    """Every existing place in `document` that `pattern` names, with its concrete path."""
    yield from _walk(document, split_pattern(pattern), "")


def _walk(node: Any, parts: list[str], prefix: str) -> Iterator[Slot]:
    head, rest = parts[0], parts[1:]
    if head == "[]":
        if not isinstance(node, list):
            return
        for index, item in enumerate(node):
            path = join_path(prefix, index)
            if rest:
                yield from _walk(item, rest, path)
            else:
                yield Slot(path, node, index, item)
        return
    if not isinstance(node, dict) or head not in node:
        return
    path = join_path(prefix, head)
    if rest:
        yield from _walk(node[head], rest, path)
    else:
        yield Slot(path, node, head, node[head])


def get_path(document: Any, path: str) -> Any:
    """The value at a dotted path without list parts (`None` when any step is missing)."""
    node = document
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def set_path(document: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path (no list parts), creating (or replacing non-mapping) intermediate mappings."""
    parts = path.split(".")
    node = document
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def get_concrete(document: Any, path: str) -> Any:
    """The value at a concrete path such as `roles[0].headers[1].value` (None when absent)."""
    container, key = _locate(document, path)
    return None if container is None else container[key]


def set_concrete(document: Any, path: str, value: Any) -> None:
    """Replace the value at an existing concrete path; a missing path is left alone."""
    container, key = _locate(document, path)
    if container is not None:
        container[key] = value


def _locate(doc: Any, path: str) -> tuple[Any, Any]:
    node = doc
    parts = _concrete_parts(path)
    for part in parts[:-1]:
        node = _step(node, part)
        if node is None:
            return None, None
    last = parts[-1]
    if isinstance(node, dict) and isinstance(last, str) and last in node:
        return node, last
    if isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node):
        return node, last
    return None, None


def _step(node: Any, part: str | int) -> Any:
    if isinstance(node, dict) and isinstance(part, str):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _concrete_parts(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for segment in path.split("."):
        name, _, rest = segment.partition("[")
        if name:
            parts.append(name)
        while rest:
            index, _, rest = rest.partition("]")
            parts.append(int(index))
            rest = rest.removeprefix("[")
    return parts

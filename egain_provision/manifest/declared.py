"""Manifest documents and the objects they declare, as read: manifest-shaped, with positions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from egain_provision.kinds import KINDS, Kind
from egain_provision.manifest.yamlnodes import Positions
from egain_provision.model import SourceLocation
from egain_provision.paths import get_concrete, pattern_regex
from egain_provision.sensitive import secret_names

# Secret fields at document level: `authentications[3].oauth2.payload`.
_SECRET_PATHS = re.compile(
    "|".join(
        rf"{re.escape(kind.name)}\[\d+\]\.{pattern_regex(secret)}" for kind in KINDS for secret in kind.secret_fields
    )
    or r"(?!)"
)


# Secret name/value item values at document level: `accounts[3].attributes[1].value`.
_SECRET_ITEMS = {
    f"item{index}": (kind, items)
    for index, (kind, items) in enumerate((kind, items) for kind in KINDS for items in kind.secret_items)
}
_SECRET_ITEM_PATHS = re.compile(
    "|".join(
        rf"(?P<{group}>{re.escape(kind.name)}\[\d+\]\.{pattern_regex(items.list_path)}\[\d+\]\.{re.escape(items.value)})"
        for group, (kind, items) in _SECRET_ITEMS.items()
    )
    or r"(?!)"
)


def under(prefix: str, relative: str) -> str:
    """A path relative to the object at `prefix`, made absolute within the document."""
    if not relative:
        return prefix
    return f"{prefix}{relative}" if relative.startswith("[") else f"{prefix}.{relative}"


def parent_path(path: str) -> str:
    """`a.b[0].c` -> `a.b[0]` -> `a.b` -> `a` -> ``."""
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""


@dataclass
class Document:
    """One YAML document of a manifest file, interpolated, with every value's position."""

    file: str
    base_dir: Path
    value: Any
    location: SourceLocation
    positions: Positions = field(default_factory=Positions)
    templates: dict[str, str] = field(default_factory=dict)
    env_paths: set[str] = field(default_factory=set)
    reported: set[str] = field(default_factory=set)
    marked: dict[str, set[str]] = field(default_factory=dict)

    def locate(self, path: str, *, at_key: bool = False) -> SourceLocation:
        """Where `path` was written: its key or value, else its nearest written ancestor."""
        if at_key and path in self.positions.keys:
            return SourceLocation(self.file, *self.positions.keys[path])
        while path:
            found = self.positions.values.get(path)
            if found is not None:
                return found
            path = parent_path(path)
        return self.positions.values.get("", self.location)

    def is_sensitive(self, path: str) -> bool:
        """Whether the value at `path` (or any value within it) must never be shown."""
        if _SECRET_PATHS.fullmatch(path) or self.is_secret_item(path):
            return True
        while path:
            if path in self.env_paths:
                return True
            path = parent_path(path)
        return False

    def is_secret_item(self, path: str) -> bool:
        """A name/value item's value whose name is secret (`accounts[0].attributes[1].value`, name authToken)."""
        match = _SECRET_ITEM_PATHS.fullmatch(path)
        if match is None:
            return False
        _, items = _SECRET_ITEMS[match.lastgroup or ""]
        item = get_concrete(self.value, parent_path(path))
        name = item.get(items.key) if isinstance(item, dict) else None
        return isinstance(name, str) and name in secret_names(items, self.marked)


@dataclass
class Declared:
    """One object as declared: its manifest value and where it lives in its document."""

    kind: Kind
    document: Document
    prefix: str
    value: dict[str, Any]
    order: tuple[int, int, int]

    @property
    def natural_key(self) -> str | None:
        key = self.value.get(self.kind.natural_key)
        return key if isinstance(key, str) else None

    @property
    def location(self) -> SourceLocation:
        return self.document.locate(self.prefix)

    def path(self, relative: str) -> str:
        """The document path of a path relative to this object."""
        return under(self.prefix, relative)

    def locate(self, relative: str, *, at_key: bool = False) -> SourceLocation:
        """Where a field of this object (relative path) was written."""
        return self.document.locate(self.path(relative), at_key=at_key)

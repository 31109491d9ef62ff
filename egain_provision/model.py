"""Values that flow between stages: source locations, diagnostics, references and desired objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Literal

Severity = Literal["error", "warning"]
# The tenant's `modified` token: any JSON scalar, sent back exactly as read and never interpreted.
Modified = str | int | float
SENSITIVE_DISPLAY = "(sensitive value)"


@dataclass(frozen=True, order=True)
class SourceLocation:
    """A position in a manifest file; line and column are 1-based."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One finding of `validate` or `plan`; `location` is None for a problem no manifest line holds."""

    severity: Severity
    location: SourceLocation | None
    path: str
    message: str
    hint: str | None = None

    def sort_key(self) -> tuple[str, int, int, str]:
        where = self.location or SourceLocation("", 0, 0)
        return (where.file, where.line, where.column, self.message)

    def __str__(self) -> str:
        """`file:line:col: message`, then the hint on its own line."""
        text = f"{self.location}: {self.message}" if self.location else self.message
        return text + (f"\n  hint: {self.hint}" if self.hint else "")

    def to_json(self) -> dict[str, Any]:
        where = self.location
        return {
            "severity": self.severity,
            "file": where.file if where else None,
            "line": where.line if where else None,
            "column": where.column if where else None,
            "path": self.path,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass(frozen=True)
class Ref:
    """A symbolic reference by natural key, still to be resolved to a live id."""

    kind: str
    name: str


@dataclass
class DesiredObject:
    """One object declared in the manifests, in API shape.

    `body` uses the API's field names; every reference field holds a `Ref` (by natural key) or
    the literal API value (`{"id": ...}`, or the bare id for bare references). `sensitive`
    maps each sensitive field path (dotted, list items as `[i]`) to the interpolation
    expression it came from (`${env:EGAIN_VAR_X}`, `${var:X}`), or None for a literal value.
    """

    kind: str
    natural_key: str
    body: dict[str, Any]
    location: SourceLocation
    field_locations: dict[str, SourceLocation] = field(default_factory=dict)
    sensitive: dict[str, str | None] = field(default_factory=dict)
    previous_names: tuple[str, ...] = ()


# The `scope:` key that stands for every kind.
EVERY_KIND = "*"


@dataclass(frozen=True)
class Ownership:
    """Which live objects a manifest set owns (its `scope:`), as natural-key globs per kind.

    `globs` is None when no manifest declares a scope: the set owns everything. Otherwise a kind
    owns the keys its globs match (fnmatchcase), and a kind without globs owns nothing. Named
    apart from the planner's `scope` (the kinds `--kind` selects), which is another question.
    """

    globs: dict[str, tuple[str, ...]] | None = None
    # Exclusions (`"!team-a-b-*"` in a scope, written here without the `!`): keys the set never owns.
    excluded: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def declared(self) -> bool:
        return self.globs is not None

    def owns(self, kind: str, key: str) -> bool:
        """Whether the object of `kind` named `key` is this manifest set's to change, prune or list."""
        if self.globs is None:
            return True
        included = any(fnmatchcase(key, glob) for glob in self.globs.get(kind, ()))
        return included and self.exclusion(kind, key) is None

    def exclusion(self, kind: str, key: str) -> str | None:
        """The first exclusion glob that takes `key` out of a scope that would otherwise own it, or None."""
        if self.globs is None or not any(fnmatchcase(key, glob) for glob in self.globs.get(kind, ())):
            return None
        return next((glob for glob in self.excluded.get(kind, ()) if fnmatchcase(key, glob)), None)

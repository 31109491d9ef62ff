"""Values that flow between stages: source locations, diagnostics, references and desired objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]
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
    """One finding of `validate` (or of reference resolution at `plan`)."""

    severity: Severity
    location: SourceLocation
    path: str
    message: str
    hint: str | None = None

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.location.file, self.location.line, self.location.column, self.message)

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
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

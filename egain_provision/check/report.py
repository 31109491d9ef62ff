"""What `check` found: per role, four steps, each passed, failed, unknown or not run; a value the renderers read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from egain_provision.model import SourceLocation

Status = Literal["pass", "fail", "unknown", "skip"]

# The four questions, in the order the Hub meets them; `key` names each in the JSON report.
STEPS: dict[str, str] = {
    "token_endpoint": "token endpoint reached",
    "token_path": "token found at accessTokenPath",
    "callback": "callback answered 2xx in time",
    "renewal": "401 then a fresh token handled",
}
FORMAT_VERSION = "1"


@dataclass(frozen=True)
class Step:
    """One question about one role: its answer and, for a failure, how to fix it."""

    key: str
    status: Status
    detail: str
    hint: str | None = None

    @property
    def title(self) -> str:
        return STEPS[self.key]

    def to_json(self) -> dict[str, Any]:
        return {"step": self.key, "status": self.status, "detail": self.detail, "hint": self.hint}


@dataclass(frozen=True)
class RoleResult:
    """The steps of one client-application role; `authentication` is the name it declares, if any."""

    application: str
    role: str
    callback: str
    authentication: str | None
    location: SourceLocation | None
    steps: tuple[Step, ...]

    @property
    def status(self) -> Status:
        statuses = {step.status for step in self.steps}
        if "fail" in statuses:
            return "fail"
        return "unknown" if "unknown" in statuses else "pass"

    @property
    def label(self) -> str:
        return f"{self.application}/{self.role}"

    def to_json(self) -> dict[str, Any]:
        where = self.location
        return {
            "application": self.application,
            "role": self.role,
            "callback": self.callback,
            "authentication": self.authentication,
            "file": where.file if where else None,
            "line": where.line if where else None,
            "status": self.status,
            "steps": [step.to_json() for step in self.steps],
        }


@dataclass(frozen=True)
class CheckReport:
    """Every role checked, in manifest order."""

    results: tuple[RoleResult, ...]

    @property
    def passed(self) -> bool:
        return all(result.status == "pass" for result in self.results)

    def count(self, status: Status) -> int:
        return sum(1 for result in self.results if result.status == status)

    @property
    def summary(self) -> str:
        """`check: 2 roles passed, 1 failed, 0 unknown`."""
        total = len(self.results)
        if not total:
            return "check: no client-application role declares a callback; nothing to check"
        noun = "role" if total == 1 else "roles"
        passed, failed, unknown = self.count("pass"), self.count("fail"), self.count("unknown")
        return f"check: {total} {noun}: {passed} passed, {failed} failed, {unknown} unknown"

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "passed": self.passed,
            "summary": self.summary,
            "results": [result.to_json() for result in self.results],
        }

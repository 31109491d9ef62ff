"""What happened to each action of an apply, and the result of the whole run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from egain_provision.plan import Action

# "unknown": the tool could not establish what happened (a lost answer it could not settle).
Status = Literal["done", "failed", "conflict", "skipped", "unknown"]
ADOPTED = "already created by another run"


@dataclass
class Outcome:
    """What happened to one action; `removed` lists twins this run created and then deleted."""

    action: Action
    status: Status
    id: str | None = None
    message: str | None = None
    code: str | None = None
    duration: float = 0.0
    attempts: int = 1
    adopted: bool = False
    removed: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.action.address,
            "action": self.action.action,
            "kind": self.action.kind,
            "natural_key": self.action.natural_key,
            "id": self.id,
            "status": self.status,
            "message": self.message,
            "code": self.code,
            "duration_ms": round(self.duration * 1000, 1),
            "adopted": self.adopted,
        }


@dataclass
class ApplyResult:
    """Every action's outcome, in plan order, and the wall time."""

    outcomes: list[Outcome] = field(default_factory=list)
    wall_time: float = 0.0
    journal_error: str | None = None
    # What the run cost the tenant: requests sent, answers that were 429, seconds spent waiting (pace, retries).
    requests: int = 0
    throttled: int = 0
    waited: float = 0.0
    interrupted: bool = False
    # The requests per method (the tiers' monthly quotas count each method apart).
    by_method: dict[str, int] = field(default_factory=dict)

    def count(self, action: str, status: Status = "done") -> int:
        return sum(1 for item in self.outcomes if item.action.action == action and item.status == status)

    @property
    def totals(self) -> dict[str, int]:
        return {
            "created": self.count("create") - self.adopted,
            "updated": self.count("update"),
            "deleted": self.count("delete"),
            "failed": sum(1 for item in self.outcomes if item.status in ("failed", "conflict")),
            "skipped": sum(1 for item in self.outcomes if item.status == "skipped"),
            "unknown": sum(1 for item in self.outcomes if item.status == "unknown"),
            "adopted": self.adopted,
        }

    @property
    def adopted(self) -> int:
        """Creates another run had already made identically: done, but not by this run."""
        return sum(1 for item in self.outcomes if item.adopted)

    @property
    def ok(self) -> bool:
        return (
            not self.interrupted
            and self.journal_error is None
            and all(item.status == "done" for item in self.outcomes)
        )

"""What happened to each action of an apply, and the result of the whole run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from egain_provision.plan import Action

# "unknown": the tool could not establish what happened (a lost answer it could not settle).
Status = Literal["done", "failed", "conflict", "skipped", "unknown"]
# What the re-read after a write found: the tenant holds what was sent (a delete: lists it no more), holds it
# stored differently, or does not show the write yet within the read-after-write window.
Verification = Literal["verified", "differs", "unverified"]
ADOPTED = "already created by another run"


@dataclass(frozen=True)
class Difference:
    """One field the tenant stores otherwise than it was sent, already made safe to show (secrets masked).

    `sent` and `stored` are JSON values, or None for a field absent on that side (`absent` names which).
    """

    path: str
    sent: Any
    stored: Any
    kind_of: str
    fix: str
    absent: Literal["sent", "stored"] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sent": self.sent,
            "stored": self.stored,
            "absent": self.absent,
            "class": self.kind_of,
            "fix": self.fix,
        }


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
    verification: Verification | None = None
    differences: tuple[Difference, ...] = ()

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
            "verification": self.verification,
            "differences": [difference.to_json() for difference in self.differences],
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
    # The longest the tenant took to list its own writes (seconds from answer to listing), and the window
    # apply waited for them at the end; None when no write was re-read.
    lag: float | None = None
    window: float | None = None
    # The requests per method (the tiers' monthly quotas count each method apart).
    by_method: dict[str, int] = field(default_factory=dict)

    def count(self, action: str, status: Status = "done", *, adopted: bool | None = None) -> int:
        """Actions of one type with this status (and adoption, when given), not found otherwise by the re-read."""
        return sum(
            1
            for item in self.outcomes
            if item.action.action == action
            and item.status == status
            and item.verification in (None, "verified")
            and (adopted is None or item.adopted == adopted)
        )

    def verified_as(self, verification: Verification) -> int:
        return sum(1 for item in self.outcomes if item.status == "done" and item.verification == verification)

    @property
    def totals(self) -> dict[str, int]:
        return {
            "created": self.count("create", adopted=False),
            "updated": self.count("update"),
            "deleted": self.count("delete"),
            "failed": sum(1 for item in self.outcomes if item.status in ("failed", "conflict")),
            "skipped": sum(1 for item in self.outcomes if item.status == "skipped"),
            "unknown": sum(1 for item in self.outcomes if item.status == "unknown"),
            "adopted": self.adopted,
            "differs": self.verified_as("differs"),
            "unverified": self.verified_as("unverified"),
        }

    @property
    def adopted(self) -> int:
        """Creates another run had already made identically: done, but not by this run."""
        return sum(1 for item in self.outcomes if item.adopted)

    @property
    def ok(self) -> bool:
        """Every action was carried out (whatever the tenant then stored)."""
        return (
            not self.interrupted and self.journal_error is None and all(item.status == "done" for item in self.outcomes)
        )

    @property
    def converged(self) -> bool:
        """Carried out, and the tenant was seen holding exactly what was written (or no write was re-read)."""
        return self.ok and all(item.verification in (None, "verified") for item in self.outcomes)

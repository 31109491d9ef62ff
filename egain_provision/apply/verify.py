"""Re-reading what a run wrote: once a kind's writes settle, its listing shows whether each one holds.

One listing of the kind (its pages, shared with the runners' lookups) checks every object the run
wrote there: a created or updated object must be listed holding what was sent, a deleted one must
be listed no more. What the tenant does not show yet is looked for again, a little later each time,
for as long as the tenant takes to show writes (`TenantView.window`); what it still does not show is
"not yet verified", never done. An object stored otherwise than it was sent is "differs", with each
field named (stored.py).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from egain_provision.apply.outcome import Outcome
from egain_provision.apply.stored import stored_differences
from egain_provision.apply.tenant import TenantView
from egain_provision.errors import ProvisionerError
from egain_provision.kinds import KINDS_BY_NAME, Kind
from egain_provision.live import LiveObject, to_live_object
from egain_provision.plan import MISSING, Action


@dataclass
class Written:
    """One write to check: its outcome (updated in place) and the body it sent (None for a delete)."""

    outcome: Outcome
    sent: dict[str, object] | None
    answered: float


class Verifier:
    """Checks each kind's writes once they all have an outcome; `told` hears of every checked outcome."""

    def __init__(self, tenant: TenantView, told: Callable[[Outcome], None]) -> None:
        self.tenant = tenant
        self.told = told
        self.remaining: Counter[str] = Counter()
        self.written: dict[str, list[Written]] = {}
        self.tasks: list[asyncio.Task[None]] = []

    def expect(self, actions: Sequence[Action]) -> None:
        """The actions of the graph about to run: a kind settles when all of its have an outcome."""
        self.remaining = Counter(action.kind for action in actions)
        self.written = {}

    def settled(self, outcome: Outcome, sent: dict[str, object] | None) -> None:
        """One action of the graph ended; the last one of its kind starts that kind's check."""
        kind = outcome.action.kind
        if outcome.status == "done" and outcome.id is not None:
            self.written.setdefault(kind, []).append(Written(outcome, sent, time.monotonic()))
        self.remaining[kind] -= 1
        if self.remaining[kind] == 0 and self.written.get(kind):
            self.tasks.append(asyncio.ensure_future(self.check(KINDS_BY_NAME[kind], self.written.pop(kind))))

    async def finished(self, *, abandon: bool = False) -> None:
        """Wait for every check started so far; an interrupted run abandons them (its writes stay unchecked)."""
        tasks, self.tasks = self.tasks, []
        if abandon:
            for task in tasks:
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=abandon)

    async def check(self, kind: Kind, writes: list[Written]) -> None:
        """Judge each write of the kind; what could not be judged is not yet verified, never done."""
        try:
            await self.listed(kind, writes)
        except Exception as exc:  # a bug must not leave writes looking verified, nor stop the run
            for write in writes:
                if write.outcome.verification is None:
                    self.unverified(write, f"written; checking it failed (internal error: {exc!r})")

    async def listed(self, kind: Kind, writes: list[Written]) -> None:
        """List the kind until every write shows (or the window passes); judge each one."""
        started = time.monotonic()
        # A listing begun after the kind's last write was answered shows them all (a twin check's may serve).
        last = self.tenant.last_answer(kind)
        since = started if last is None else min(last, started)
        pause = 0.25
        waiting = writes
        while True:
            try:
                listing = await self.tenant.listing_since(kind, since)
            except ProvisionerError as exc:
                for write in waiting:
                    self.unverified(write, f"written; re-reading it failed ({exc.message})")
                return
            live = (to_live_object(kind, item) for item in listing)
            by_id = {obj.id: obj for obj in live if obj is not None}
            shown: list[Written] = []
            missing: list[Written] = []
            for write in waiting:
                (shown if self.judge(kind, write, by_id) else missing).append(write)
            if since > started and shown:
                # Missed by an earlier listing: the tenant took this long to show them.
                self.tenant.saw_lag(max(since - write.answered for write in shown))
            waiting = missing
            elapsed = time.monotonic() - started
            if not waiting or elapsed >= self.tenant.window:
                break
            await asyncio.sleep(min(pause, self.tenant.window - elapsed))
            pause *= 2
            since = time.monotonic()
        if waiting:
            self.tenant.not_shown_after(time.monotonic() - started)
        for write in waiting:
            self.unverified(write, _not_shown(write.outcome.action, time.monotonic() - started))

    def judge(self, kind: Kind, write: Written, by_id: dict[str, LiveObject]) -> bool:
        """Whether the listing settles this write (and its outcome says how); False: not shown yet."""
        outcome = write.outcome
        assert outcome.id is not None
        live = by_id.get(outcome.id)
        if write.sent is None:
            if live is not None:
                return False
            self.verified(outcome)
            return True
        if live is None:
            return False
        action = outcome.action
        removed = {change.path for change in action.changes if change.after is MISSING}
        differences = stored_differences(kind, live.body, dict(write.sent), sensitive=action.sensitive, removed=removed)
        if not differences:
            self.verified(outcome)
            return True
        if action.action == "update" and action.modified is not None and live.modified == action.modified:
            return False  # still listed as it was before this write: the tenant has not shown it yet
        outcome.verification = "differs"
        outcome.differences = tuple(differences)
        self.told(outcome)
        return True

    def verified(self, outcome: Outcome) -> None:
        outcome.verification = "verified"
        self.told(outcome)

    def unverified(self, write: Written, message: str) -> None:
        write.outcome.verification = "unverified"
        write.outcome.message = message
        self.told(write.outcome)


def _not_shown(action: Action, waited: float) -> str:
    if action.action == "delete":
        return f"delete answered, but the tenant still lists it after {waited:.1f} s: pending"
    if action.action == "update":
        return f"written, not yet verified: the tenant still lists it as it was after {waited:.1f} s"
    return f"written, not yet verified: the tenant does not list it after {waited:.1f} s"

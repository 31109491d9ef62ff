"""Executing a bound plan: the scheduler runs the graph, runners do the writes, observers record.

Creates and updates run before deletes. The journal observes: it writes what is about to be
sent before it is sent (and, when it cannot, nothing more is sent), and every outcome after.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from egain_provision.apply.binding import ExecutablePlan, bind
from egain_provision.apply.outcome import ApplyResult, Outcome
from egain_provision.apply.runners import runners
from egain_provision.apply.scheduler import Scheduler
from egain_provision.apply.tenant import DEFAULT_READ_AFTER_WRITE, TenantView
from egain_provision.apply.verify import Verifier
from egain_provision.client import EgainClient
from egain_provision.errors import ApiError, ConflictError, PlanError, ProvisionerError, StaleWrite
from egain_provision.journal import Journal
from egain_provision.kinds import KINDS_BY_NAME, Kind, Reference
from egain_provision.model import Ref
from egain_provision.normalize import clone
from egain_provision.paths import get_concrete
from egain_provision.plan import Action, Plan, SensitivePlaceholder
from egain_provision.references import KEEP, rewrite_references


class Observer(Protocol):
    """Told of each action before it is sent and of each outcome; `intent` raises to stop the send."""

    def intent(self, action: Action) -> None: ...

    def outcome(self, outcome: Outcome) -> None: ...


class JournalObserver:
    """Records intents and outcomes in the journal; after a failed write it records, and lets send, nothing."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.error: str | None = None

    def intent(self, action: Action) -> None:
        self._record("intent", action, id=action.id)
        if self.error is not None:
            raise ProvisionerError(f"not attempted: {self.error}")

    def verification(self, outcome: Outcome) -> None:
        """What the re-read found: the fields stored otherwise and their class, never their values."""
        differences = [{"path": item.path, "class": item.kind_of} for item in outcome.differences]
        fields: dict[str, Any] = {"message": outcome.message if outcome.verification == "unverified" else None}
        if differences:
            fields["differences"] = differences
        self._record("verify", outcome.action, id=outcome.id, outcome=outcome.verification, **fields)

    def outcome(self, outcome: Outcome) -> None:
        action = outcome.action
        for twin in outcome.removed:
            self._record("dedup-delete", action, id=twin, outcome="done")
        event = "skipped" if outcome.status == "skipped" else action.action
        fields: dict[str, Any] = {"code": outcome.code, "message": outcome.message}
        if outcome.status != "skipped":
            fields["attempts"] = outcome.attempts
        self._record(event, action, id=outcome.id, outcome=outcome.status, **fields)

    def _record(self, event: str, action: Action, **fields: Any) -> None:
        if self.error is not None:
            return
        clean = {key: value for key, value in fields.items() if value is not None}
        try:
            self.journal.record(event, action=action.action, kind=action.kind, natural_key=action.natural_key, **clean)
        except ProvisionerError as exc:
            self.error = str(exc)


class Executor:
    """Runs one plan against one client; `run()` once."""

    def __init__(
        self,
        client: EgainClient,
        plan: Plan | ExecutablePlan,
        *,
        journal: Journal | None = None,
        on_outcome: Callable[[Outcome], None] | None = None,
        read_after_write: float = DEFAULT_READ_AFTER_WRITE,
    ) -> None:
        self.plan = plan if isinstance(plan, ExecutablePlan) else bind(plan)
        self.journal = JournalObserver(journal) if journal is not None else None
        self.observers: list[Observer] = [self.journal] if self.journal is not None else []
        self.on_outcome = on_outcome
        self.redact = client.redact
        for secret in sorted(self.plan.secrets):
            self.redact.add(secret)
        self.tenant = TenantView(client, read_after_write)
        self.runners = runners(self.tenant)
        self.created_ids: dict[tuple[str, str], str] = {}
        self.sent: dict[str, dict[str, Any]] = {}
        self.verifier = Verifier(self.tenant, self.verified)
        self.scheduler = Scheduler(client.limit, self.perform, self.finish)

    async def run(self) -> ApplyResult:
        """Apply every action, then re-read each kind it wrote; never raises for an action's failure."""
        started = time.monotonic()
        actions = self.plan.actions
        for phase in ("write", "delete"):
            graph = [action for action in actions if (action.action == "delete") == (phase == "delete")]
            # Each kind is re-read as soon as its last action ended, while the other kinds are still written.
            self.verifier.expect(graph)
            self.tenant.expect_creates(graph)
            await self.scheduler.run(graph)
            await self.verifier.finished(abandon=self.scheduler.interrupted)
        outcomes = [self.scheduler.outcomes[action.address] for action in actions]
        checked = any(outcome.verification is not None for outcome in outcomes)
        return ApplyResult(
            outcomes=outcomes,
            wall_time=time.monotonic() - started,
            journal_error=self.journal.error if self.journal is not None else None,
            interrupted=self.scheduler.interrupted,
            lag=self.tenant.lag if checked else None,
            window=self.tenant.window if checked else None,
        )

    def interrupt(self) -> None:
        """Ctrl-C or SIGTERM: start nothing more and let what is in flight finish; a second time, abandon it."""
        self.scheduler.interrupt()
        self.tenant.stop_waiting()

    def finish(self, outcome: Outcome) -> None:
        if outcome.status == "done" and outcome.action.action == "create" and outcome.id:
            self.created_ids[(outcome.action.kind, outcome.action.natural_key)] = outcome.id
        self.tenant.ended(outcome.action)
        for observer in self.observers:
            observer.outcome(outcome)
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        self.verifier.settled(outcome, self.sent.pop(outcome.action.address, None))

    def verified(self, outcome: Outcome) -> None:
        if self.journal is not None:
            self.journal.verification(outcome)

    async def perform(self, action: Action) -> Outcome:
        """One action, its failure turned into its outcome (never raised)."""
        started = time.monotonic()
        try:
            kind = KINDS_BY_NAME[action.kind]
            runner = self.runners.get(action.action)
            if runner is None:
                raise PlanError(f"{action.address}: unknown action {action.action!r}")
            body = self.materialize(kind, action)
            if body is not None:
                self.sent[action.address] = body
            for observer in self.observers:
                observer.intent(action)
            outcome = await runner(kind, action, body)
        except Exception as exc:  # a bug must not leave the other actions' outcomes untold
            outcome = self.failure(action, exc)
        if outcome.message:
            outcome.message = self.redact(outcome.message)
        outcome.duration = time.monotonic() - started
        return outcome

    def failure(self, action: Action, exc: Exception) -> Outcome:
        """The outcome of an action that raised."""
        if isinstance(exc, StaleWrite):
            message = (
                f"changed since plan: the tenant's {action.kind} {action.natural_key!r} was modified after "
                f"{action.modified}; not overwritten (run plan again to see the difference)"
            )
            return Outcome(action, "conflict", id=action.id, message=message, code=exc.code)
        if isinstance(exc, ConflictError):
            return Outcome(action, "conflict", id=action.id, message=exc.message, code=exc.code)
        if isinstance(exc, ApiError):
            return Outcome(action, "failed", id=action.id, message=exc.message, code=exc.code)
        if isinstance(exc, ProvisionerError):
            return Outcome(action, "failed", id=action.id, message=exc.message)
        return Outcome(action, "failed", id=action.id, message=f"internal error: {exc!r}")

    def materialize(self, kind: Kind, action: Action) -> dict[str, Any] | None:
        """The body to send: references to objects created in this run get their ids."""
        bound = self.plan.body(action)
        if action.action == "delete":
            return None
        if bound is None:
            raise PlanError(f"{action.address}: the plan holds no body to send")
        body = clone(bound)

        def created(reference: Reference, value: Any) -> Any:
            if not isinstance(value, Ref):
                return KEEP
            object_id = self.created_ids.get((value.kind, value.name))
            if object_id is None:
                raise PlanError(f"{action.address}: {value.kind} {value.name!r} has no id yet")
            return reference.api_value(object_id)

        rewrite_references(kind, body, created)
        for path in action.sensitive:
            if isinstance(get_concrete(body, path), SensitivePlaceholder):
                raise PlanError(f"{action.address}: the value of {path} was not filled in from the environment")
        return body


def new_run_id() -> str:
    """A short id tying a run's journal lines together."""
    return uuid.uuid4().hex[:12]

"""Executing a plan as a dependency graph (DESIGN.md §6).

Each action starts as soon as the actions it depends on have succeeded; at most `parallelism`
run at once, the ones with the longest chain of dependents first. Creates and updates run
before deletes. A failed action's dependents are skipped (and say why), independent branches
go on. Ambiguous failures (connection lost, 5xx) are never retried blindly: a create looks its
natural key up first, an update reads the object back, a delete treats "already gone" as done.
"""

from __future__ import annotations

import asyncio
import copy
import heapq
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from egain_provision.client import EgainClient
from egain_provision.errors import (
    ApiError,
    ConflictError,
    NameTaken,
    PlanError,
    ProvisionerError,
    StaleWrite,
    TransportError,
)
from egain_provision.journal import Journal
from egain_provision.kinds import KINDS_BY_NAME, Kind
from egain_provision.live import LiveObject, to_live_object
from egain_provision.model import SENSITIVE_DISPLAY, Ref
from egain_provision.normalize import comparable, is_masked
from egain_provision.paths import get_concrete, get_path, iter_slots, set_path
from egain_provision.plan import Action, Plan, SensitivePlaceholder

Status = Literal["done", "failed", "conflict", "skipped"]

AMBIGUOUS_ATTEMPTS = 6
ADOPTED = "already created by another run"


@dataclass
class Outcome:
    """What happened to one action."""

    action: Action
    status: Status
    id: str | None = None
    message: str | None = None
    code: str | None = None
    duration: float = 0.0
    attempts: int = 1
    adopted: bool = False

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
            "adopted": self.adopted,
        }

    @property
    def adopted(self) -> int:
        """Creates another run had already made identically: done, but not by this run."""
        return sum(1 for item in self.outcomes if item.adopted)

    @property
    def ok(self) -> bool:
        return self.journal_error is None and all(item.status == "done" for item in self.outcomes)


class Redactor:
    """Replaces every known sensitive value in text (server messages may echo what they were sent)."""

    def __init__(self) -> None:
        self.values: set[str] = set()

    def add(self, value: Any) -> None:
        if isinstance(value, str) and len(value) >= 4:
            self.values.add(value)

    def __call__(self, text: str) -> str:
        for value in sorted(self.values, key=len, reverse=True):
            text = text.replace(value, SENSITIVE_DISPLAY)
        return text


class _Slots:
    """At most `size` actions at work at once, started in priority order by `_run_graph`.

    An action gives its slot back while it only waits for a shared check (`release`, then
    `reacquire`), so the wait does not hold up other actions.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.active = 0
        self.holding: set[str] = set()
        self.changed = asyncio.Condition()

    @property
    def free(self) -> bool:
        return len(self.holding) < self.size

    def take(self, address: str) -> None:
        self.active += 1
        self.holding.add(address)

    async def release(self, address: str) -> None:
        async with self.changed:
            if address in self.holding:
                self.holding.discard(address)
                self.changed.notify_all()

    async def reacquire(self, address: str) -> None:
        """Take a slot again after a wait, as soon as one is free."""
        async with self.changed:
            await self.changed.wait_for(lambda: self.free)
            self.holding.add(address)


class Executor:
    """Runs one plan against one client; `run()` once."""

    def __init__(
        self,
        client: EgainClient,
        plan: Plan,
        *,
        journal: Journal | None = None,
        parallelism: int = 10,
        on_outcome: Callable[[Outcome], None] | None = None,
    ) -> None:
        self.client = client
        self.plan = plan
        self.journal = journal
        self.parallelism = max(1, parallelism)
        self.on_outcome = on_outcome
        self.redact = Redactor()
        self.created_ids: dict[tuple[str, str], str] = {}
        self.outcomes: dict[str, Outcome] = {}
        self._listings: dict[str, tuple[float, asyncio.Task[list[dict[str, Any]]]]] = {}
        self.journal_error: str | None = None
        self._slots = _Slots(self.parallelism)

    async def run(self) -> ApplyResult:
        """Apply every action; never raises for an action's failure (its outcome says it)."""
        started = time.monotonic()
        forward = [action for action in self.plan.actions if action.action != "delete"]
        deletes = [action for action in self.plan.actions if action.action == "delete"]
        await self._run_graph(forward)
        await self._run_graph(deletes)
        return ApplyResult(
            outcomes=[self.outcomes[action.address] for action in self.plan.actions],
            wall_time=time.monotonic() - started,
            journal_error=self.journal_error,
        )

    # --- scheduling ------------------------------------------------------------------------

    async def _run_graph(self, actions: list[Action]) -> None:  # noqa: C901
        if not actions:
            return
        addresses = {action.address for action in actions}
        waiting_on: dict[str, set[str]] = {}
        dependents: dict[str, list[str]] = defaultdict(list)
        for action in actions:
            waiting_on[action.address] = {dep for dep in action.depends_on if dep in addresses}
            for dep in waiting_on[action.address]:
                dependents[dep].append(action.address)
        by_address = {action.address: action for action in actions}
        height = _heights(actions, dependents)
        order = {action.address: index for index, action in enumerate(actions)}
        ready: list[tuple[int, int, str]] = []

        def settle(address: str) -> None:
            for child in dependents.get(address, []):
                if child in self.outcomes:
                    continue
                if self.outcomes[address].status != "done":
                    self._finish(self._skip(by_address[child], address))
                    settle(child)
                    continue
                waiting_on[child].discard(address)
                if not waiting_on[child]:
                    heapq.heappush(ready, (-height[child], order[child], child))

        for action in actions:
            # A delete whose referrer's update failed earlier in this run must not go ahead.
            failed_before = [dep for dep in action.depends_on if dep not in addresses and self._failed(dep)]
            if failed_before:
                self._finish(self._skip(action, failed_before[0]))
                settle(action.address)
            elif not waiting_on[action.address]:
                heapq.heappush(ready, (-height[action.address], order[action.address], action.address))

        slots = _Slots(self.parallelism)
        self._slots = slots
        started: set[asyncio.Task[None]] = set()  # the loop keeps only weak references to tasks

        async def run(address: str) -> None:
            try:
                outcome = await self._perform(by_address[address])
            finally:
                await slots.release(address)
            async with slots.changed:
                try:
                    self._finish(outcome)
                    settle(address)
                finally:
                    # Whatever happens, the dispatcher must learn this action is over.
                    slots.active -= 1
                    slots.changed.notify_all()

        def can_start_or_all_done() -> bool:
            return (bool(ready) and slots.free) or (not ready and slots.active == 0)

        while True:
            async with slots.changed:
                await slots.changed.wait_for(can_start_or_all_done)
                if not ready:
                    break
                _, _, address = heapq.heappop(ready)
                slots.take(address)
            task = asyncio.ensure_future(run(address))
            started.add(task)
            task.add_done_callback(started.discard)

    def _failed(self, address: str) -> bool:
        outcome = self.outcomes.get(address)
        return outcome is not None and outcome.status != "done"

    def _skip(self, action: Action, because: str) -> Outcome:
        reason = self.outcomes[because]
        verb = {"failed": "failed", "conflict": "failed", "skipped": "was skipped"}.get(reason.status, "failed")
        return Outcome(action, "skipped", id=action.id, message=f"skipped: {because} {verb}", attempts=0)

    def _finish(self, outcome: Outcome) -> None:
        self.outcomes[outcome.action.address] = outcome
        if self.journal is not None and outcome.status == "skipped":
            self._journal("skipped", outcome.action, id=outcome.id, outcome="skipped", message=outcome.message)
        if self.on_outcome is not None:
            self.on_outcome(outcome)

    # --- one action ------------------------------------------------------------------------

    async def _perform(self, action: Action) -> Outcome:
        started = time.monotonic()
        try:
            kind = KINDS_BY_NAME[action.kind]
            if action.action == "create":
                outcome = await self._create(kind, action)
            elif action.action == "update":
                outcome = await self._update(kind, action)
            elif action.action == "delete":
                outcome = await self._delete(kind, action)
            else:
                raise PlanError(f"{action.address}: unknown action {action.action!r}")
        except ConflictError as exc:
            outcome = Outcome(
                action, "conflict", id=action.id, message=self._conflict_message(action, exc), code=exc.code
            )
        except ApiError as exc:
            outcome = Outcome(action, "failed", id=action.id, message=self.redact(exc.message), code=exc.code)
        except ProvisionerError as exc:
            outcome = Outcome(action, "failed", id=action.id, message=self.redact(exc.message))
        except Exception as exc:  # a bug must not leave the other actions' outcomes untold
            outcome = Outcome(action, "failed", id=action.id, message=self.redact(f"internal error: {exc!r}"))
        outcome.duration = time.monotonic() - started
        if outcome.status == "done" and action.action == "create" and outcome.id:
            self.created_ids[(action.kind, action.natural_key)] = outcome.id
        self._journal(
            action.action,
            action,
            id=outcome.id,
            outcome=outcome.status,
            code=outcome.code,
            message=outcome.message,
            attempts=outcome.attempts,
        )
        return outcome

    def _conflict_message(self, action: Action, exc: ConflictError) -> str:
        if isinstance(exc, StaleWrite):
            return (
                f"changed since plan: the tenant's {action.kind} {action.natural_key!r} was modified after "
                f"{action.modified}; not overwritten (run plan again to see the difference)"
            )
        return self.redact(exc.message)

    async def _create(self, kind: Kind, action: Action) -> Outcome:
        body = self._materialize(kind, action)
        self._intent(action)
        for attempt in range(1, AMBIGUOUS_ATTEMPTS + 1):
            try:
                object_id = await self.client.create(kind, body)
            except NameTaken:
                # Taken since the plan: by another run creating the same object, or by someone else.
                same = await self._identical_named(action, kind, body)
                if same:
                    return Outcome(action, "done", id=same[0].id, attempts=attempt, message=ADOPTED, adopted=True)
                raise
            except (TransportError, ApiError) as exc:
                if not _ambiguous(exc) or attempt == AMBIGUOUS_ATTEMPTS:
                    raise
                # The create may have been stored: look for it before sending it again.
                same = await self._identical_named(action, kind, body)
                if same:
                    if not kind.unique_natural_key:
                        # Ours may be any of these identical objects: keep the oldest, as _deduplicate does.
                        for twin in same[1:]:
                            await self._delete_id(kind, twin.id)
                            self._journal("dedup-delete", action, id=twin.id, outcome="done")
                    return Outcome(action, "done", id=same[0].id, attempts=attempt, message="created (answer was lost)")
                await asyncio.sleep(_backoff(attempt))
                continue
            if not kind.unique_natural_key:
                return await self._deduplicate(kind, action, body, object_id, attempt, time.monotonic())
            return Outcome(action, "done", id=object_id, attempts=attempt)
        raise AssertionError("unreachable")

    async def _deduplicate(
        self, kind: Kind, action: Action, body: dict[str, Any], object_id: str, attempt: int, created_at: float
    ) -> Outcome:
        """The API lets two runs create objects of this kind under one name: the first one created stays.

        Every run looks after its own create; the oldest object (creation time, then list order)
        wins, a younger one is deleted before anything can reference it.
        """
        existing = await self._same_named(action, kind, created_at)
        if len(existing) <= 1:
            return Outcome(action, "done", id=object_id, attempts=attempt)
        winner = existing[0]
        if winner.id == object_id:
            return Outcome(action, "done", id=object_id, attempts=attempt)
        await self._delete_id(kind, object_id)
        self._journal("dedup-delete", action, id=object_id, outcome="done")
        if _same_content(kind, winner.body, body):
            return Outcome(action, "done", id=winner.id, attempts=attempt, message=ADOPTED, adopted=True)
        raise NameTaken(
            f"another run created {kind.title} {action.natural_key!r} ({winner.id}) at the same time with other "
            "content; kept theirs, not overwritten",
            status=409,
            method="POST",
            path=kind.api_path,
        )

    async def _update(self, kind: Kind, action: Action) -> Outcome:
        body = self._materialize(kind, action)
        assert action.id is not None
        self._intent(action)
        for attempt in range(1, AMBIGUOUS_ATTEMPTS + 1):
            try:
                await self.client.update(kind, action.id, body)
                return Outcome(action, "done", id=action.id, attempts=attempt)
            except (TransportError, ApiError) as exc:
                if not _ambiguous(exc) or attempt == AMBIGUOUS_ATTEMPTS:
                    raise
            # The update may have been stored: read the object back before sending it again.
            current = await self.client.get(kind, action.id)
            if current.get("modified") != action.modified:
                if _same_content(kind, current, body):
                    return Outcome(action, "done", id=action.id, attempts=attempt, message="updated (answer was lost)")
                raise StaleWrite("changed since plan", status=409, method="PUT", path=kind.api_path)
            await asyncio.sleep(_backoff(attempt))
        raise AssertionError("unreachable")

    async def _delete(self, kind: Kind, action: Action) -> Outcome:
        assert action.id is not None
        self._intent(action)
        attempts, existed = await self._delete_id(kind, action.id)
        return Outcome(action, "done", id=action.id, attempts=attempts, message=None if existed else "already deleted")

    async def _delete_id(self, kind: Kind, object_id: str) -> tuple[int, bool]:
        """Delete by id, resending after ambiguous failures (DELETE is idempotent); a 404 means gone.

        Returns the attempts made and whether the object was still there to delete.
        """
        for attempt in range(1, AMBIGUOUS_ATTEMPTS + 1):
            try:
                await self.client.delete(kind, object_id)
                return attempt, True
            except ApiError as exc:
                if exc.status == 404:
                    return attempt, attempt > 1  # after a lost answer, a 404 is our own delete
                if not _ambiguous(exc) or attempt == AMBIGUOUS_ATTEMPTS:
                    raise
            except TransportError:
                if attempt == AMBIGUOUS_ATTEMPTS:
                    raise
            await asyncio.sleep(_backoff(attempt))
        raise AssertionError("unreachable")

    async def _identical_named(self, action: Action, kind: Kind, body: dict[str, Any]) -> list[LiveObject]:
        """The live objects with this action's name that hold exactly `body`, oldest first."""
        existing = await self._same_named(action, kind, time.monotonic())
        return [obj for obj in existing if _same_content(kind, obj.body, body)]

    async def _same_named(self, action: Action, kind: Kind, since: float) -> list[LiveObject]:
        """The live objects named `natural_key` as of `since` or later, oldest first (creation time, then list order).

        `since` is when the caller saw its write's outcome: anything that write did is visible by then.
        The action gives up its slot meanwhile: waiting for a shared listing is not work.
        """
        await self._slots.release(action.address)
        try:
            listing = await self._list_since(kind, since)
        finally:
            await self._slots.reacquire(action.address)
        found = []
        for position, item in enumerate(listing):
            obj = to_live_object(kind, item)
            if obj is not None and obj.natural_key == action.natural_key:
                found.append((str(obj.body.get("created") or ""), position, obj))
        return [obj for _, _, obj in sorted(found, key=lambda entry: entry[:2])]

    async def _list_since(self, kind: Kind, since: float) -> list[dict[str, Any]]:
        """Every object of `kind`, read by a listing that started no earlier than `since`.

        At most one listing per kind is in flight: checks that arrive while it runs (it began too
        early for them) wait for it to end and share the next one, so a burst of creates costs a
        few listings, not one each.
        """
        while True:
            current = self._listings.get(kind.name)
            if current is not None and not current[1].done():
                if current[0] >= since:
                    return await asyncio.shield(current[1])
                await asyncio.wait([current[1]])
                continue
            if current is not None and current[0] >= since and current[1].exception() is None:
                return current[1].result()
            task = asyncio.ensure_future(self.client.list_all(kind))
            self._listings[kind.name] = (time.monotonic(), task)
            return await asyncio.shield(task)

    def _materialize(self, kind: Kind, action: Action) -> dict[str, Any]:
        """The body to send: references to objects created in this run get their ids, secrets their values."""
        if action.body is None:
            raise PlanError(f"{action.address}: the plan holds no body to send")
        body = copy.deepcopy(action.body)
        for reference in kind.references:
            for slot in list(iter_slots(body, reference.wire_path)):
                if isinstance(slot.value, Ref):
                    object_id = self.created_ids.get((slot.value.kind, slot.value.name))
                    if object_id is None:
                        raise PlanError(f"{action.address}: {slot.value.kind} {slot.value.name!r} has no id yet")
                    slot.replace(object_id if reference.bare else {"id": object_id})
        for path in action.sensitive:
            value = get_concrete(body, path)
            if isinstance(value, SensitivePlaceholder):
                raise PlanError(f"{action.address}: the value of {path} was not filled in from the environment")
            self.redact.add(value)
        return body

    def _journal(self, event: str, action: Action, **fields: Any) -> None:
        """Append to the journal; a failure is remembered (no further mutation is sent), never raised here."""
        if self.journal is None or self.journal_error is not None:
            return
        clean = {key: value for key, value in fields.items() if value is not None}
        try:
            self.journal.record(event, action=action.action, kind=action.kind, natural_key=action.natural_key, **clean)
        except ProvisionerError as exc:
            self.journal_error = str(exc)

    def _intent(self, action: Action) -> None:
        """Journal what is about to be sent; refuse to send it when the journal cannot be written."""
        self._journal("intent", action, id=action.id)
        if self.journal_error is not None:
            raise ProvisionerError(f"not attempted: {self.journal_error}")


def _ambiguous(exc: Exception) -> bool:
    """The request may have been carried out: the connection failed or the server erred."""
    return isinstance(exc, TransportError) or (isinstance(exc, ApiError) and exc.status >= 500)


def _backoff(attempt: int) -> float:
    return random.uniform(0, min(2.0, 0.05 * 2**attempt))


def _heights(actions: list[Action], dependents: Mapping[str, list[str]]) -> dict[str, int]:
    """Length of the longest chain of dependents after each action (schedule long chains first)."""
    height: dict[str, int] = {}
    for action in reversed(actions):  # plan order is topological, so children come later
        children = dependents.get(action.address, [])
        height[action.address] = 1 + max((height.get(child, 1) for child in children), default=0)
    return height


def _same_content(kind: Kind, live_body: dict[str, Any], sent: dict[str, Any]) -> bool:
    """Whether the tenant now holds what was sent (masked secrets count as equal)."""
    live = {key: value for key, value in live_body.items() if key not in kind.server_fields}
    wanted = {key: value for key, value in sent.items() if key not in kind.server_fields}
    for path in kind.secret_fields:
        if is_masked(get_path(live, path)) and get_path(wanted, path) is not None:
            set_path(live, path, get_path(wanted, path))
    return comparable(kind, live) == comparable(kind, wanted)


def new_run_id() -> str:
    """A short id tying a run's journal lines together."""
    return uuid.uuid4().hex[:12]

"""One runner per action type: send the write, and settle an ambiguous answer without resending blindly.

A create that may have been stored looks its natural key up first; an update that may have
been stored reads the object back; a delete treats "already gone" as done.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

from egain_provision.apply.outcome import ADOPTED, Outcome
from egain_provision.apply.tenant import TenantView, ambiguous, same_content
from egain_provision.errors import ApiError, NameTaken, StaleWrite, TransportError
from egain_provision.kinds import Kind
from egain_provision.plan import Action


class Runner(Protocol):
    """Carries out one action with its bound body; raises for a failure the executor reports."""

    async def __call__(self, kind: Kind, action: Action, body: dict[str, Any] | None) -> Outcome: ...


class CreateRunner:
    """POST, adopting an identical object another run created and deduplicating non-unique names."""

    def __init__(self, tenant: TenantView) -> None:
        self.tenant = tenant
        self.client = tenant.client
        self.retry = tenant.retry

    async def __call__(self, kind: Kind, action: Action, body: dict[str, Any] | None) -> Outcome:
        assert body is not None
        for attempt in range(1, self.retry.attempts + 1):
            try:
                object_id = await self.client.create(kind, body)
            except NameTaken:
                # Taken since the plan: by another run creating the same object, or by someone else.
                same = await self.tenant.identical_named(kind, action.natural_key, body)
                if same:
                    return Outcome(action, "done", id=same[0].id, attempts=attempt, message=ADOPTED, adopted=True)
                raise
            except (TransportError, ApiError) as exc:
                if not ambiguous(exc) or attempt == self.retry.attempts:
                    raise
                found = await self.after_lost_answer(kind, action, body, attempt)
                if found is not None:
                    return found
                await asyncio.sleep(self.retry.delay(attempt))
                continue
            if not kind.unique_natural_key:
                return await self.deduplicate(kind, action, body, object_id, attempt)
            return Outcome(action, "done", id=object_id, attempts=attempt)
        raise AssertionError("unreachable")

    async def after_lost_answer(
        self, kind: Kind, action: Action, body: dict[str, Any], attempt: int
    ) -> Outcome | None:
        """The create may have been stored: look for it before sending it again."""
        same = await self.tenant.identical_named(kind, action.natural_key, body)
        if not same:
            return None
        removed = []
        if not kind.unique_natural_key:
            # Ours may be any of these identical objects: keep the oldest, as `deduplicate` does.
            for twin in same[1:]:
                await self.tenant.delete_id(kind, twin.id)
                removed.append(twin.id)
        return Outcome(
            action, "done", id=same[0].id, attempts=attempt, message="created (answer was lost)", removed=tuple(removed)
        )

    async def deduplicate(
        self, kind: Kind, action: Action, body: dict[str, Any], object_id: str, attempt: int
    ) -> Outcome:
        """The API lets two runs create objects of this kind under one name: the first one created stays.

        Every run looks after its own create; the oldest object (creation time, then list order)
        wins, a younger one is deleted before anything can reference it.
        """
        existing = await self.tenant.same_named(kind, action.natural_key, time.monotonic())
        if len(existing) <= 1 or existing[0].id == object_id:
            return Outcome(action, "done", id=object_id, attempts=attempt)
        winner = existing[0]
        await self.tenant.delete_id(kind, object_id)
        if same_content(kind, winner.body, body):
            return Outcome(
                action, "done", id=winner.id, attempts=attempt, message=ADOPTED, adopted=True, removed=(object_id,)
            )
        return Outcome(
            action,
            "conflict",
            message=f"another run created {kind.title} {action.natural_key!r} ({winner.id}) at the same time with "
            "other content; kept theirs, not overwritten",
            removed=(object_id,),
        )


class UpdateRunner:
    """PUT with the planned `modified`, reading the object back after an ambiguous answer."""

    def __init__(self, tenant: TenantView) -> None:
        self.client = tenant.client
        self.retry = tenant.retry

    async def __call__(self, kind: Kind, action: Action, body: dict[str, Any] | None) -> Outcome:
        assert body is not None and action.id is not None
        for attempt in range(1, self.retry.attempts + 1):
            try:
                await self.client.update(kind, action.id, body)
                return Outcome(action, "done", id=action.id, attempts=attempt)
            except (TransportError, ApiError) as exc:
                if not ambiguous(exc) or attempt == self.retry.attempts:
                    raise
            # The update may have been stored: read the object back before sending it again.
            current = await self.client.get(kind, action.id)
            if current.get("modified") != action.modified:
                if same_content(kind, current, body):
                    return Outcome(action, "done", id=action.id, attempts=attempt, message="updated (answer was lost)")
                raise StaleWrite("changed since plan", status=409, method="PUT", path=kind.api_path)
            await asyncio.sleep(self.retry.delay(attempt))
        raise AssertionError("unreachable")


class DeleteRunner:
    """DELETE by id; an object already gone is done."""

    def __init__(self, tenant: TenantView) -> None:
        self.tenant = tenant

    async def __call__(self, kind: Kind, action: Action, body: dict[str, Any] | None) -> Outcome:
        assert action.id is not None
        attempts, existed = await self.tenant.delete_id(kind, action.id)
        return Outcome(action, "done", id=action.id, attempts=attempts, message=None if existed else "already deleted")


def runners(tenant: TenantView) -> dict[str, Runner]:
    """The runner of each action type."""
    return {"create": CreateRunner(tenant), "update": UpdateRunner(tenant), "delete": DeleteRunner(tenant)}

"""One runner per action type: send the write, and settle an ambiguous answer without resending blindly.

A create that may have been stored looks its natural key up first; an update that may have
been stored reads the object back; a delete treats "already gone" as done.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from egain_provision.apply.outcome import ADOPTED, Outcome
from egain_provision.apply.tenant import TenantView, ambiguous, same_content
from egain_provision.errors import ApiError, NameTaken, ProvisionerError, TransportError
from egain_provision.kinds import Kind
from egain_provision.live import modified_of, same_modified
from egain_provision.plan import Action


class Runner(Protocol):
    """Carries out one action with its bound body; raises for a failure the executor reports."""

    async def __call__(self, kind: Kind, action: Action, body: dict[str, Any] | None) -> Outcome: ...


def unknown(action: Action, why: str) -> Outcome:
    """An outcome the tool cannot establish: never reported as done or failed, and never sent again this run."""
    return Outcome(
        action,
        "unknown",
        message=f"outcome unknown: the create's answer was lost {why}; not sent again (a copy could result), "
        "the next plan shows whether it exists and adopts it once the tenant lists it",
    )


class CreateRunner:
    """POST once, adopting an identical object another run created and deduplicating non-unique names.

    A create whose answer was lost is looked up for as long as the tenant takes to show writes; what
    the lookup does not find stays unknown. It is not sent again: a tenant slower to list new objects
    than any window would otherwise get copies (orchestration names are not unique).
    """

    def __init__(self, tenant: TenantView) -> None:
        self.tenant = tenant
        self.client = tenant.client

    async def __call__(self, kind: Kind, action: Action, body: dict[str, Any] | None) -> Outcome:
        assert body is not None
        try:
            object_id = await self.tenant.create(kind, body, action.address)
        except NameTaken:
            # Taken since the plan: by another run creating the same object, or by someone else.
            same = await self.tenant.identical_named(kind, action.natural_key, body)
            if same:
                return Outcome(action, "done", id=same[0].id, message=ADOPTED, adopted=True)
            raise
        except (TransportError, ApiError) as exc:
            if not ambiguous(exc):
                raise
            try:
                found = await self.after_lost_answer(kind, action, body)
            except ProvisionerError as lookup:
                return unknown(action, f"and looking it up failed too ({lookup.message})")
            if found is not None:
                return found
            window = self.tenant.window
            return unknown(action, f"and the tenant does not list it within {window:.1f} s")
        self.tenant.created(kind, object_id)
        if not kind.unique_natural_key:
            return await self.deduplicate(kind, action, body, object_id)
        return Outcome(action, "done", id=object_id)

    async def after_lost_answer(self, kind: Kind, action: Action, body: dict[str, Any]) -> Outcome | None:
        """The create may have been stored: look for it (as long as the tenant may take to show it)."""
        same = await self.tenant.settled_identical(kind, action.natural_key, body)
        if not same:
            return None
        removed = []
        if not kind.unique_natural_key:
            # Ours may be any of these identical objects: keep the oldest, as `deduplicate` does.
            for twin in same[1:]:
                await self.tenant.delete_id(kind, twin.id)
                removed.append(twin.id)
        return Outcome(action, "done", id=same[0].id, message="created (answer was lost)", removed=tuple(removed))

    async def deduplicate(self, kind: Kind, action: Action, body: dict[str, Any], object_id: str) -> Outcome:
        """The API lets two runs create objects of this kind under one name: the first one created stays.

        Every run looks after its own create; the oldest object (creation time, then list order)
        wins, a younger one is deleted before anything can reference it.
        """
        try:
            existing = await self.tenant.settled_same_named(kind, action.natural_key, object_id)
        except ProvisionerError as exc:
            # Created for certain; only the check for a twin another run made at the same moment failed.
            return Outcome(
                action, "done", id=object_id, message=f"created; the check for a twin failed ({exc.message})"
            )
        if len(existing) <= 1 or existing[0].id == object_id:
            return Outcome(action, "done", id=object_id)
        winner = existing[0]
        await self.tenant.delete_id(kind, object_id)
        if same_content(kind, winner.body, body):
            return Outcome(action, "done", id=winner.id, message=ADOPTED, adopted=True, removed=(object_id,))
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
        self.tenant = tenant
        self.client = tenant.client
        self.retry = tenant.retry

    async def __call__(self, kind: Kind, action: Action, body: dict[str, Any] | None) -> Outcome:
        assert body is not None and action.id is not None
        expected = action.modified
        if expected is None:
            # The listing had no `modified`: the object itself may; never send `"modified": null`.
            expected = modified_of(await self.client.get(kind, action.id))
            body = {**body, "modified": expected} if expected is not None else body
        for attempt in range(1, self.retry.attempts + 1):
            try:
                await self.tenant.update(kind, action.id, body)
                return Outcome(action, "done", id=action.id, attempts=attempt)
            except (TransportError, ApiError) as exc:
                if not ambiguous(exc) or attempt == self.retry.attempts:
                    raise
            # The update may have been stored: read the object back before sending it again.
            try:
                current = await self.client.get(kind, action.id)
            except ProvisionerError as exc:
                return _unknown_update(action, attempt, f"and reading it back failed ({exc.message})")
            if same_content(kind, current, body):
                return Outcome(action, "done", id=action.id, attempts=attempt, message="updated (answer was lost)")
            if expected is not None and not same_modified(modified_of(current), expected):
                # Moved since: our own write (normalised by the tenant) or someone else's; no guess either way.
                return _unknown_update(action, attempt, "and the object has changed since, not to what was sent")
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


def _unknown_update(action: Action, attempts: int, why: str) -> Outcome:
    message = f"outcome unknown: the update's answer was lost {why}; the next plan shows the difference"
    return Outcome(action, "unknown", id=action.id, attempts=attempts, message=message)


def runners(tenant: TenantView) -> dict[str, Runner]:
    """The runner of each action type."""
    return {"create": CreateRunner(tenant), "update": UpdateRunner(tenant), "delete": DeleteRunner(tenant)}

"""What apply reads of the tenant while it writes: shared listings by kind, deletes by id."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from egain_provision.client import EgainClient
from egain_provision.errors import ApiError, TransportError
from egain_provision.kinds import Kind
from egain_provision.live import LiveObject, to_live_object
from egain_provision.normalize import comparable, is_masked
from egain_provision.paths import get_path, set_path


class TenantView:
    """The tenant as apply's runners see it; owns the listings they share."""

    def __init__(self, client: EgainClient) -> None:
        self.client = client
        self.retry = client.retry
        self._listings: dict[str, tuple[float, asyncio.Task[list[dict[str, Any]]]]] = {}

    async def identical_named(self, kind: Kind, natural_key: str, body: dict[str, Any]) -> list[LiveObject]:
        """The live objects named `natural_key` that hold exactly `body`, oldest first."""
        existing = await self.same_named(kind, natural_key, time.monotonic())
        return [obj for obj in existing if same_content(kind, obj.body, body)]

    async def same_named(self, kind: Kind, natural_key: str, since: float) -> list[LiveObject]:
        """The live objects named `natural_key` as of `since` or later, oldest first (creation time, then list order).

        `since` is when the caller saw its write's outcome: anything that write did is visible by then.
        The caller's action gives its room back meanwhile: waiting for a shared listing is not work.
        """
        async with self.client.limit.paused():
            listing = await self._list_since(kind, since)
        found = []
        for position, item in enumerate(listing):
            obj = to_live_object(kind, item)
            if obj is not None and obj.natural_key == natural_key:
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
            task = asyncio.ensure_future(self._items(kind))
            self._listings[kind.name] = (time.monotonic(), task)
            return await asyncio.shield(task)

    async def _items(self, kind: Kind) -> list[dict[str, Any]]:
        return (await self.client.list_all(kind)).items

    async def delete_id(self, kind: Kind, object_id: str) -> tuple[int, bool]:
        """Delete by id, resending after ambiguous failures (DELETE is idempotent); a 404 means gone.

        Returns the attempts made and whether the object was still there to delete.
        """
        for attempt in range(1, self.retry.attempts + 1):
            try:
                await self.client.delete(kind, object_id)
                return attempt, True
            except ApiError as exc:
                if exc.status == 404:
                    return attempt, attempt > 1  # after a lost answer, a 404 is our own delete
                if not ambiguous(exc) or attempt == self.retry.attempts:
                    raise
            except TransportError:
                if attempt == self.retry.attempts:
                    raise
            await asyncio.sleep(self.retry.delay(attempt))
        raise AssertionError("unreachable")


def ambiguous(exc: Exception) -> bool:
    """The request may have been carried out: the connection failed or the server erred."""
    return isinstance(exc, TransportError) or (isinstance(exc, ApiError) and exc.status >= 500)


def same_content(kind: Kind, live_body: dict[str, Any], sent: dict[str, Any]) -> bool:
    """Whether the tenant now holds what was sent (masked secrets count as equal)."""
    live = {key: value for key, value in live_body.items() if key not in kind.server_fields}
    wanted = {key: value for key, value in sent.items() if key not in kind.server_fields}
    for path in kind.secret_fields:
        if is_masked(get_path(live, path)) and get_path(wanted, path) is not None:
            set_path(live, path, get_path(wanted, path))
    return comparable(kind, live) == comparable(kind, wanted)

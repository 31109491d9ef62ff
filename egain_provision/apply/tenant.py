"""What apply reads of the tenant while it writes: shared listings by kind, deletes by id."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from egain_provision.apply.stored import by_id, unmask_secrets
from egain_provision.client import EgainClient
from egain_provision.errors import ApiError, TransportError
from egain_provision.kinds import Kind
from egain_provision.listing import OwnWrites, read_kind
from egain_provision.live import LiveObject, to_live_object
from egain_provision.normalize import comparable, known_only
from egain_provision.references import rewrite_references

# Seconds a tenant may take to list an object after its create answered (or was lost).
DEFAULT_READ_AFTER_WRITE = 5.0


class TenantView:
    """The tenant as apply's runners see it; owns the listings they share, and learns how late they show writes.

    Every listing tells how long the tenant took to show the objects this run created: the lag is
    the time from a create's answer to the start of the first listing that showed it, counted when an
    earlier listing started after the answer did not. Lookups wait that long (and a half) when it is
    more than `--read-after-write`, up to the retry budget of one request.
    """

    def __init__(self, client: EgainClient, read_after_write: float = DEFAULT_READ_AFTER_WRITE) -> None:
        self.client = client
        self.retry = client.retry
        self.read_after_write = read_after_write
        self.lag = 0.0
        self._listings: dict[str, tuple[float, asyncio.Task[list[dict[str, Any]]]]] = {}
        # The run's own creates and deletes: a lookup's listing tells their changes from another client's.
        self.own_writes = OwnWrites()
        # Created objects not listed yet, by kind: id -> (when the create answered, whether a later listing missed it).
        self._unseen: dict[str, dict[str, tuple[float, bool]]] = {}
        # The latest listing of each kind, by natural key (`_named`).
        self._by_name: dict[str, tuple[list[dict[str, Any]], dict[str, list[LiveObject]]]] = {}

    @property
    def window(self) -> float:
        """How long a lookup waits for the tenant to show a write: the option, or the lag seen and a half."""
        return min(max(self.read_after_write, self.lag * 1.5), max(self.read_after_write, self.retry.budget))

    def created(self, kind: Kind, object_id: str) -> None:
        """A create answered with `object_id` now: the listings to come measure how late they show it."""
        self._unseen.setdefault(kind.name, {})[object_id] = (time.monotonic(), False)

    def not_shown_after(self, waited: float) -> None:
        """A write was still not shown after `waited` seconds: the lag is at least that."""
        self.saw_lag(waited)

    def saw_lag(self, seconds: float) -> None:
        """A write was shown (or still not) `seconds` after its answer."""
        self.lag = max(self.lag, seconds)

    def _measure(self, kind: Kind, started: float, items: list[dict[str, Any]]) -> None:
        unseen = self._unseen.get(kind.name)
        if not unseen:
            return
        listed = {str(item.get("id")) for item in items if isinstance(item, dict)}
        for object_id, (answered, missed) in list(unseen.items()):
            if answered > started:
                continue
            if object_id in listed:
                del unseen[object_id]
                if missed:
                    self.saw_lag(started - answered)
            elif not missed:
                unseen[object_id] = (answered, True)

    async def settled_identical(self, kind: Kind, natural_key: str, body: dict[str, Any]) -> list[LiveObject]:
        """Like `identical_named`, but an empty answer is believed only once the read-after-write window passed."""
        return await self._settled(lambda: self.identical_named(kind, natural_key, body), bool, exists=False)

    async def settled_same_named(self, kind: Kind, natural_key: str, own_id: str) -> list[LiveObject]:
        """Like `same_named`, once the listing shows `own_id` itself (or the read-after-write window passed):
        a tenant that lists new objects late must not hide the twins from either of two runs."""
        return await self._settled(
            lambda: self.same_named(kind, natural_key, time.monotonic()),
            lambda found: any(obj.id == own_id for obj in found),
            exists=True,
        )

    async def _settled(
        self,
        look: Callable[[], Awaitable[list[LiveObject]]],
        enough: Callable[[list[LiveObject]], bool],
        *,
        exists: bool,
    ) -> list[LiveObject]:
        """Look until `enough` holds or the read-after-write window has passed, a little later each time:
        a tenant may list a new object only some time after its create. When what is looked for `exists`
        for certain, not finding it in time shows the tenant's lag is longer still."""
        started = time.monotonic()
        deadline = started + self.window
        pause = 0.25
        looked = started
        while True:
            found = await look()
            if enough(found):
                if looked > started:
                    self.saw_lag(looked - started)  # an earlier look missed it: the tenant showed it this late
                return found
            if time.monotonic() >= deadline:
                if exists:
                    self.not_shown_after(time.monotonic() - started)
                return found
            await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause *= 2
            looked = time.monotonic()

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
            listing = await self.listing_since(kind, since)
        return list(self._named(kind, listing).get(natural_key, ()))

    def _named(self, kind: Kind, listing: list[dict[str, Any]]) -> dict[str, list[LiveObject]]:
        """The listing's objects by natural key, each name's oldest first (creation time, then list order).

        Made once per listing and kept while it is the kind's latest: the creates of a wave share a
        listing, and reading all of it for each one cost a 3,000-object apply a second of CPU.
        """
        made = self._by_name.get(kind.name)
        if made is not None and made[0] is listing:
            return made[1]
        found: dict[str, list[tuple[str, int, LiveObject]]] = {}
        for position, item in enumerate(listing):
            obj = to_live_object(kind, item)
            if obj is not None:
                found.setdefault(obj.natural_key, []).append((str(obj.body.get("created") or ""), position, obj))
        oldest_first = {key: sorted(entries, key=lambda entry: entry[:2]) for key, entries in found.items()}
        named = {key: [obj for _, _, obj in entries] for key, entries in oldest_first.items()}
        self._by_name[kind.name] = (listing, named)
        return named

    async def listing_since(self, kind: Kind, since: float) -> list[dict[str, Any]]:
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
        started = time.monotonic()
        items = (await read_kind(kind, self.client.list_page, self.own_writes)).items
        self._measure(kind, started, items)
        return items

    async def create(self, kind: Kind, body: dict[str, Any]) -> str:
        """POST a new object (counted among the run's own writes); its id, as `EgainClient.create`."""
        with self.own_writes.writing(kind):
            return await self.client.create(kind, body)

    async def delete_id(self, kind: Kind, object_id: str) -> tuple[int, bool]:
        """Delete by id, resending after ambiguous failures (DELETE is idempotent); a 404 means gone.

        Returns the attempts made and whether the object was still there to delete.
        """
        for attempt in range(1, self.retry.attempts + 1):
            try:
                with self.own_writes.writing(kind):
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
    """The request may have been carried out: the connection failed, the server erred, or it said yes in an
    answer that could not be read (a 2xx without the id, too large)."""
    return isinstance(exc, TransportError) or (isinstance(exc, ApiError) and (exc.status >= 500 or exc.status < 300))


def same_content(kind: Kind, live_body: dict[str, Any], sent: dict[str, Any]) -> bool:
    """Whether the tenant now holds what was sent: its fields we did not send (server fields, extras a
    tenant adds) do not count, references count by id (`{id, name}` is `{id}`), masked secrets as equal.
    """
    wanted = {key: value for key, value in sent.items() if key not in kind.server_fields}
    known, _ = known_only(kind, live_body)
    live = {key: value for key, value in known.items() if key in wanted}
    rewrite_references(kind, live, by_id)
    unmask_secrets(kind, live, wanted)
    return comparable(kind, live) == comparable(kind, wanted)

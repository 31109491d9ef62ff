"""What apply reads of the tenant while it writes: shared listings by kind, deletes by id."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from egain_provision.apply.stored import by_id, unmask_secrets
from egain_provision.client import EgainClient
from egain_provision.errors import ApiError, TransportError
from egain_provision.kinds import KINDS_BY_NAME, Kind
from egain_provision.listing import OwnWrites, read_kind
from egain_provision.live import LiveObject, to_live_object
from egain_provision.normalize import comparable, known_only
from egain_provision.plan import Action
from egain_provision.references import rewrite_references

# Seconds a tenant may take to list an object after its create answered (or was lost).
DEFAULT_READ_AFTER_WRITE = 5.0


class TenantView:
    """The tenant as apply's runners see it; owns the listings they share, and learns how late they show writes.

    Every listing tells how long the tenant took to show the objects this run created: the lag is
    the time from a create's answer to the start of the first listing that showed it, counted when an
    earlier listing started after the answer did not. Lookups wait that long (and a half) when it is
    more than `--read-after-write`, up to the retry budget of one request.

    The twin checks of a kind whose names the API does not keep unique wait until every create of
    that kind in the graph has been answered (or will not be sent), then share one listing: a
    bounded number of listings per apply, not one per wave of creates. That listing began after the
    kind's last write was answered, so it also serves as the kind's re-read (`last_answer`).
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
        # When the tenant last answered a write of each kind (or failed to): a listing begun later shows them all.
        self._answered: dict[str, float] = {}
        # Creates of a kind with twin checks not answered yet, by kind, and the event of their all being answered.
        self._unanswered: dict[str, set[str]] = {}
        self._all_answered: dict[str, asyncio.Event] = {}
        # The last listing of each kind looked up by name, indexed by name.
        self._by_name: dict[str, tuple[list[dict[str, Any]], dict[str, list[LiveObject]]]] = {}

    def expect_creates(self, actions: Iterable[Action]) -> None:
        """The graph about to run: its creates of kinds whose twin checks wait for all of them (`batched_creates`)."""
        self._unanswered = batched_creates(actions)
        self._all_answered = {name: asyncio.Event() for name in self._unanswered}

    def ended(self, action: Action) -> None:
        """An action has its outcome (sent and answered, or never sent): no twin check waits for it any more."""
        self._no_longer_awaited(action.kind, action.address)

    def stop_waiting(self) -> None:
        """The run was interrupted: creates never started will not be answered, so no twin check waits for them."""
        for event in self._all_answered.values():
            event.set()

    def last_answer(self, kind: Kind) -> float | None:
        """When the tenant last answered a write of `kind` in this run (monotonic seconds), None before any."""
        return self._answered.get(kind.name)

    def _answer_of(self, kind: str, address: str | None = None) -> None:
        self._answered[kind] = time.monotonic()
        if address is not None:
            self._no_longer_awaited(kind, address)

    def _no_longer_awaited(self, kind: str, address: str) -> None:
        unanswered = self._unanswered.get(kind)
        if unanswered is not None and address in unanswered:
            unanswered.discard(address)
            if not unanswered:
                self._all_answered[kind].set()

    async def _creates_answered(self, kind: Kind) -> float:
        """Once every create of `kind` in the graph is answered: when the last was (a listing since then shows all)."""
        event = self._all_answered.get(kind.name)
        if event is not None and not event.is_set():
            async with self.client.limit.paused():  # waiting for other creates is not work: give the room back
                await event.wait()
        return self._answered.get(kind.name, time.monotonic())

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
        return await self._settled(
            lambda since: self.identical_named(kind, natural_key, body, since), bool, exists=False
        )

    async def settled_same_named(self, kind: Kind, natural_key: str, own_id: str) -> list[LiveObject]:
        """Like `same_named`, once the listing shows `own_id` itself (or the read-after-write window passed):
        a tenant that lists new objects late must not hide the twins from either of two runs.

        It waits for the graph's other creates of the kind to be answered, so one listing serves them all."""
        since = await self._creates_answered(kind)
        return await self._settled(
            lambda since: self.same_named(kind, natural_key, since),
            lambda found: any(obj.id == own_id for obj in found),
            exists=True,
            since=since,
        )

    async def _settled(
        self,
        look: Callable[[float], Awaitable[list[LiveObject]]],
        enough: Callable[[list[LiveObject]], bool],
        *,
        exists: bool,
        since: float | None = None,
    ) -> list[LiveObject]:
        """Look until `enough` holds or the read-after-write window has passed, a little later each time:
        a tenant may list a new object only some time after its create. When what is looked for `exists`
        for certain, not finding it in time shows the tenant's lag is longer still. The first look may
        take a listing begun `since` (each later one, a listing begun after the previous look)."""
        started = time.monotonic()
        deadline = started + self.window
        pause = 0.25
        looked = started if since is None else min(since, started)
        while True:
            found = await look(looked)
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

    async def identical_named(
        self, kind: Kind, natural_key: str, body: dict[str, Any], since: float | None = None
    ) -> list[LiveObject]:
        """The live objects named `natural_key` that hold exactly `body`, oldest first (listed `since` or later)."""
        existing = await self.same_named(kind, natural_key, time.monotonic() if since is None else since)
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
        """The listing's objects by natural key, oldest first; indexed once per listing, since the twin checks
        of a whole graph share one listing (each scanning it would cost creates x objects)."""
        cached = self._by_name.get(kind.name)
        if cached is not None and cached[0] is listing:
            return cached[1]
        found: dict[str, list[tuple[str, int, LiveObject]]] = {}
        for position, item in enumerate(listing):
            obj = to_live_object(kind, item)
            if obj is not None:
                found.setdefault(obj.natural_key, []).append((str(obj.body.get("created") or ""), position, obj))
        index = {key: [obj for *_, obj in sorted(entries, key=lambda e: e[:2])] for key, entries in found.items()}
        self._by_name[kind.name] = (listing, index)
        return index

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

    async def create(self, kind: Kind, body: dict[str, Any], address: str) -> str:
        """POST a new object (counted among the run's own writes) for the action at `address`; its id, as
        `EgainClient.create`."""
        try:
            with self.own_writes.writing(kind):
                return await self.client.create(kind, body)
        finally:
            self._answer_of(kind.name, address)

    async def update(self, kind: Kind, object_id: str, body: dict[str, Any]) -> None:
        """PUT an object, as `EgainClient.update`; its answer counts among the kind's writes (`last_answer`)."""
        try:
            await self.client.update(kind, object_id, body)
        finally:
            self._answer_of(kind.name)

    async def delete_id(self, kind: Kind, object_id: str) -> tuple[int, bool]:
        """Delete by id, resending after ambiguous failures (DELETE is idempotent); a 404 means gone.

        Returns the attempts made and whether the object was still there to delete.
        """
        for attempt in range(1, self.retry.attempts + 1):
            try:
                with self.own_writes.writing(kind):
                    try:
                        await self.client.delete(kind, object_id)
                    finally:
                        self._answer_of(kind.name)
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


def batched_creates(actions: Iterable[Action]) -> dict[str, set[str]]:
    """The addresses of the creates whose twin checks wait for one another, by kind.

    Those of a kind whose names the API does not keep unique, unless one of them depends, however
    indirectly, on another action of its kind: waiting for that one's answer would never end.
    """
    kinds_before: dict[str, frozenset[str]] = {}
    by_address: dict[str, Action] = {}
    for action in actions:  # plan order is topological
        by_address[action.address] = action
        before: set[str] = set()
        for dep in action.depends_on:
            if dep in by_address:
                before |= kinds_before[dep] | {by_address[dep].kind}
        kinds_before[action.address] = frozenset(before)
    creates: dict[str, set[str]] = {}
    looping: set[str] = set()
    for address, action in by_address.items():
        if action.action != "create" or KINDS_BY_NAME[action.kind].unique_natural_key:
            continue
        creates.setdefault(action.kind, set()).add(address)
        if action.kind in kinds_before[address]:
            looping.add(action.kind)
    return {kind: addresses for kind, addresses in creates.items() if kind not in looping}


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

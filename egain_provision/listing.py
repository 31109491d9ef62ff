"""Reading one kind's whole list from a tenant whose paging the spec leaves open, or stopping.

The spec declares no query parameter on any list and every example omits `paginationInfo`, so
the reader pages by what the server does, not by what it asked for: the page size is the
server's `paginationInfo.pagesize`, else the first page's length; it reads on until `count` is
reached or a page comes back short, empty or with nothing new; it de-duplicates by id. When the
ids it holds are not the `count` the server reported, or the count moved between pages, it reads
the whole list again (another client wrote meanwhile), and stops with an error when that keeps
happening or two reads fail alike. The run's own writes (`OwnWrites`) may explain such a
difference: a lookup during apply accepts as much of it as they overlapped. A list that
refuses query parameters (400-101) is read again without them, and taken as complete only when
it holds `count` items (or, with no `paginationInfo`, with a warning).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from egain_provision.errors import ApiError, ProvisionerError
from egain_provision.kinds import Kind
from egain_provision.limits import gather_or_cancel

ASKED_PAGE_SIZE = 100
# Whole reads of one list before a count that keeps moving stops the run.
MAX_WHOLE_READS = 3
MAX_OBJECTS_PER_KIND = 100_000
MAX_PAGES = 2_000


class IncompleteRead(ProvisionerError):
    """The tool could not read the whole list of a kind; nothing may be planned from it."""


@dataclass(frozen=True)
class Page:
    """One list answer: its items, and what its `paginationInfo` said (None when absent)."""

    items: list[Any]
    count: int | None = None
    pagesize: int | None = None


@dataclass
class Listing:
    """Every object of one kind, read whole, and what the reader had to assume."""

    items: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # The list answers it was read from: one answer is one moment of the tenant, several may straddle a write.
    answers: int = 1


class OwnWrites:
    """The run's own creates and deletes of each kind, counted as they are sent and answered.

    A listing read while they happen may find the list longer or shorter than the count it began
    with; no more than the writes that overlapped it is their doing, not another client's. They are
    counted rather than named: a create whose answer was lost changed the list under an id the run
    never learnt.
    """

    def __init__(self) -> None:
        self._started: Counter[str] = Counter()
        self._in_flight: Counter[str] = Counter()

    @contextmanager
    def writing(self, kind: Kind) -> Iterator[None]:
        """Around one create or delete request of `kind`, from before it is sent until its answer (or failure)."""
        self._started[kind.name] += 1
        self._in_flight[kind.name] += 1
        try:
            yield
        finally:
            self._in_flight[kind.name] -= 1

    def mark(self, kind: Kind) -> tuple[int, int]:
        """Where the writes of `kind` stand now: how many were sent, how many are unanswered."""
        return self._started[kind.name], self._in_flight[kind.name]

    def since(self, kind: Kind, mark: tuple[int, int]) -> int:
        """The writes of `kind` that may have changed its list since `mark`: unanswered then, or sent since."""
        started, in_flight = mark
        return in_flight + self._started[kind.name] - started


# (kind, page number or None for a plain request) -> the page; raises ApiError for the server's refusal.
FetchPage = Callable[[Kind, "int | None"], Coroutine[Any, Any, Page]]


def parse_page(kind: Kind, payload: Any, url: str) -> Page:
    """A list answer's items under the singular key, the plural key, or its only array; else IncompleteRead."""
    if not isinstance(payload, dict):
        raise IncompleteRead(f"GET {url}: the list answer is not a JSON object", hint=_SHAPE_HINT)
    info = payload.get("paginationInfo")
    count = pagesize = None
    if isinstance(info, dict):
        count = _whole(info.get("count"))
        pagesize = _whole(info.get("pagesize"))
        if info.get("count") is not None and count is None:
            raise IncompleteRead(f"GET {url}: paginationInfo.count is not a whole number", hint=_SHAPE_HINT)
    arrays = [key for key, value in payload.items() if isinstance(value, list)]
    if kind.list_key in arrays:
        items = payload[kind.list_key]
    elif kind.name in arrays:
        items = payload[kind.name]
    elif len(arrays) == 1:
        items = payload[arrays[0]]
    elif not arrays and (count == 0 or (info is None and not payload)):
        items = []
    else:
        found = ", ".join(sorted(payload)) or "nothing"
        raise IncompleteRead(
            f"GET {url}: cannot tell where the {kind.title} list is in the answer (keys: {found})", hint=_SHAPE_HINT
        )
    if count is not None and count > 0 and not items:
        raise IncompleteRead(f"GET {url}: paginationInfo.count is {count} but the answer holds no items")
    return Page(items, count, pagesize)


_SHAPE_HINT = "check that the target's base URL ends in /conversation/conversationmgr/v3; run `egain-provision doctor`"


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


async def read_kind(kind: Kind, fetch: FetchPage, own: OwnWrites | None = None) -> Listing:
    """Every object of `kind`, or IncompleteRead naming the kind and what went wrong.

    A read whose count moved, or whose distinct ids are not its count, is read again whole (at most
    MAX_WHOLE_READS times): another client wrote meanwhile. With `own`, a difference no larger than the
    run's own writes of the kind that overlapped the read is theirs, and the read stands. Two reads that
    fail alike are not a change but a tenant that cannot be paged, and stop at once.
    """
    previous: _Read | None = None
    for _ in range(MAX_WHOLE_READS):
        mark = own.mark(kind) if own is not None else (0, 0)
        read = await _read_whole(kind, fetch)
        if not isinstance(read, _Read):
            return read
        overlapping = own.since(kind, mark) if own is not None else 0
        if read.drift() <= overlapping:
            return read.listing
        if previous is not None and read.same_as(previous):
            raise IncompleteRead(
                f"read {len(read.ids)} distinct {kind.title} objects but the tenant reports {read.counts[0]}; "
                "the list cannot be read whole, so nothing is planned from it",
                hint="run `egain-provision doctor` to see how this tenant pages its lists",
            )
        previous = read
    assert previous is not None
    counts = ", ".join(str(count) for count in sorted(set(previous.counts)))
    raise IncompleteRead(
        f"the tenant kept changing its {kind.title} list while it was read: {MAX_WHOLE_READS} whole reads, "
        f"each found other objects than its count (counts {counts}, {len(previous.ids)} distinct ids in the last); "
        "nothing is planned from a read that may miss objects",
        hint="another client is writing to this tenant; run again once it is done",
    )


@dataclass(frozen=True)
class _Read:
    """One whole read of a counted list: what it holds and every count its pages reported (the first first)."""

    listing: Listing
    ids: frozenset[str]
    counts: tuple[int, ...]

    def drift(self) -> int:
        """How far the read is from a still list: the count's moves, or the distinct ids' distance from it."""
        first = self.counts[0]
        return max(abs(len(self.ids) - first), *(abs(count - first) for count in self.counts))

    def same_as(self, other: _Read) -> bool:
        return self.ids == other.ids and self.counts == other.counts


async def _read_whole(kind: Kind, fetch: FetchPage) -> _Read | Listing:
    """One whole read: a `_Read` when the list is counted (the caller checks it), else the checked Listing."""
    try:
        first = await fetch(kind, 1)
    except ApiError as exc:
        if exc.code != "400-101":
            raise
        return _unpaged(kind, await fetch(kind, None))
    _check_count(kind, first.count)
    seen: dict[str, dict[str, Any]] = {}
    _take(seen, first.items)
    # What the server does, not what it says or what was asked: a first page short of the whole list is a page.
    page_size = len(first.items)
    if first.count is None:
        answers = await _read_until_short(kind, fetch, seen, page_size, len(first.items))
        return Listing(items=list(seen.values()), answers=answers)
    counts = [first.count]
    if len(seen) < first.count and page_size > 0:
        counts += await _read_counted(kind, fetch, seen, page_size, first.count)
    listing = Listing(items=list(seen.values()), answers=-(-first.count // page_size) if page_size else 1)
    return _Read(listing, frozenset(seen), tuple(counts))


async def _read_counted(
    kind: Kind, fetch: FetchPage, seen: dict[str, dict[str, Any]], size: int, count: int
) -> list[int]:
    """Pages 2.. up to what `count` needs, all at once (the count bounds them); the counts they reported.

    The caller checks the ids against the counts."""
    pages = -(-count // size)
    if pages > MAX_PAGES:
        raise IncompleteRead(f"{kind.title}: {count} objects in pages of {size} is more than {MAX_PAGES} pages")
    counts = []
    for page in await gather_or_cancel([fetch(kind, number) for number in range(2, pages + 1)]):
        _take(seen, page.items)
        if page.count is not None:
            counts.append(page.count)
    return counts


async def _read_until_short(kind: Kind, fetch: FetchPage, seen: dict[str, dict[str, Any]], size: int, got: int) -> int:
    """Without a count: read on while pages are full and bring new ids; how many pages were read."""
    number = 1
    while got >= size > 0:
        number += 1
        if number > MAX_PAGES or len(seen) > MAX_OBJECTS_PER_KIND:
            raise IncompleteRead(f"{kind.title}: more than {MAX_OBJECTS_PER_KIND} objects or {MAX_PAGES} pages")
        page = await fetch(kind, number)
        got = len(page.items)
        if got and not _take(seen, page.items):
            # A full first page, then the same objects again: the next page was not served. Guessing
            # that the list is whole would plan creates of whatever was never seen.
            raise IncompleteRead(
                f"the tenant answers {kind.name} in pages of {size} without a count and repeats the first page "
                "when asked for the next: the list cannot be read whole, so nothing is planned from it",
                hint="run `egain-provision doctor` to see how this tenant pages its lists",
            )
    return number


def _unpaged(kind: Kind, page: Page) -> Listing:
    """A list read without query parameters: complete only when it holds everything it says there is."""
    listing = Listing()
    seen: dict[str, dict[str, Any]] = {}
    _take(seen, page.items)
    listing.items = list(seen.values())
    if page.count is None:
        listing.warnings.append(
            f"the tenant refuses paging parameters on {kind.name} and reports no count: its one answer "
            f"({len(seen)} objects) is taken as the whole list"
        )
    elif len(seen) != page.count:
        raise IncompleteRead(
            f"the tenant refuses paging parameters on {kind.name} and its answer holds {len(seen)} of {page.count} "
            "objects; the list cannot be read whole, so nothing is planned from it",
            hint="run `egain-provision doctor` to see how this tenant pages its lists",
        )
    return listing


def _check_count(kind: Kind, count: int | None) -> None:
    if count is not None and not 0 <= count <= MAX_OBJECTS_PER_KIND:
        raise IncompleteRead(
            f"the tenant reports {count} {kind.title} objects; at most {MAX_OBJECTS_PER_KIND} are read",
            hint="run `egain-provision doctor`; a count this large is most likely a broken answer",
        )


def _take(seen: dict[str, dict[str, Any]], items: list[Any]) -> int:
    """Add the items with an id not seen before; how many ids were new.

    Items without a string id are kept apart (the reader of the listing refuses them) and never
    count as new, so a page of them cannot keep the paging going.
    """
    new = 0
    for position, item in enumerate(items):
        object_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(item, dict):
            continue
        if not isinstance(object_id, str):
            seen.setdefault(f"\x00no-id:{len(seen)}:{position}", item)
        elif object_id not in seen:
            seen[object_id] = item
            new += 1
    return new

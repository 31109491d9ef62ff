"""Reading one kind's whole list from a tenant whose paging the spec leaves open, or stopping.

The spec declares no query parameter on any list and every example omits `paginationInfo`, so
the reader pages by what the server does, not by what it asked for: the page size is the
server's `paginationInfo.pagesize`, else the first page's length; it reads on until `count` is
reached or a page comes back short, empty or with nothing new; it de-duplicates by id and
stops with an error when the ids it holds are not the `count` the server reported. A list that
refuses query parameters (400-101) is read again without them, and taken as complete only when
it holds `count` items (or, with no `paginationInfo`, with a warning).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from egain_provision.errors import ApiError, ProvisionerError
from egain_provision.kinds import Kind
from egain_provision.limits import gather_or_cancel

ASKED_PAGE_SIZE = 100
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


async def read_kind(kind: Kind, fetch: FetchPage) -> Listing:
    """Every object of `kind`, or IncompleteRead naming the kind and what went wrong."""
    try:
        first = await fetch(kind, 1)
    except ApiError as exc:
        if exc.code != "400-101":
            raise
        return _unpaged(kind, await fetch(kind, None))
    _check_count(kind, first.count)
    listing = Listing()
    seen: dict[str, dict[str, Any]] = {}
    _take(seen, first.items)
    # What the server does, not what it says or what was asked: a first page short of the whole list is a page.
    page_size = len(first.items)
    if first.count is None:
        await _read_until_short(kind, fetch, seen, page_size, len(first.items))
    elif len(seen) < first.count and page_size > 0:
        await _read_counted(kind, fetch, seen, page_size, first.count)
    listing.items = list(seen.values())
    if first.count is not None and len(seen) != first.count:
        raise IncompleteRead(
            f"read {len(seen)} distinct {kind.title} objects but the tenant reports {first.count}; "
            "the list cannot be read whole, so nothing is planned from it",
            hint="run `egain-provision doctor` to see how this tenant pages its lists",
        )
    return listing


async def _read_counted(kind: Kind, fetch: FetchPage, seen: dict[str, dict[str, Any]], size: int, count: int) -> None:
    """Pages 2.. up to what `count` needs, all at once (the count bounds them); the caller checks the ids."""
    pages = -(-count // size)
    if pages > MAX_PAGES:
        raise IncompleteRead(f"{kind.title}: {count} objects in pages of {size} is more than {MAX_PAGES} pages")
    for page in await gather_or_cancel([fetch(kind, number) for number in range(2, pages + 1)]):
        _take(seen, page.items)


async def _read_until_short(kind: Kind, fetch: FetchPage, seen: dict[str, dict[str, Any]], size: int, got: int) -> None:
    """Without a count: read on while pages are full and bring new ids."""
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

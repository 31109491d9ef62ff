"""Reading the live tenant into an index of `LiveObject`s (decK's "dump" stage)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from egain_provision.client import EgainClient
from egain_provision.kinds import KINDS_BY_NAME, Kind
from egain_provision.limits import gather_or_cancel
from egain_provision.listing import IncompleteRead, Listing
from egain_provision.model import Modified

# Whole reads of one kind, at most, for two consecutive ones to agree before a create is decided.
MAX_READS_TO_AGREE = 3


@dataclass(frozen=True)
class LiveObject:
    """One object as the tenant returned it."""

    kind: str
    id: str
    natural_key: str
    body: dict[str, Any]

    @property
    def modified(self) -> Modified | None:
        return modified_of(self.body)


def modified_of(body: dict[str, Any]) -> Modified | None:
    """The tenant's `modified` token as it gave it (a string of any precision, epoch milliseconds, ...).

    It is opaque: sent back exactly as read and only ever compared for identity. None when absent
    or not a JSON scalar.
    """
    value = body.get("modified")
    return value if isinstance(value, str | int | float) else None


def same_modified(left: Modified | None, right: Modified | None) -> bool:
    """Identical tokens: the same JSON type and value (`1` is neither `"1"` nor `1.0`)."""
    return type(left) is type(right) and left == right


@dataclass
class LiveState:
    """Every live object of the kinds read, indexed by id and by natural key."""

    kinds: tuple[str, ...]
    by_id: dict[str, LiveObject] = field(default_factory=dict)
    by_key: dict[tuple[str, str], list[LiveObject]] = field(default_factory=lambda: defaultdict(list))
    # What reading had to assume about this tenant (shown with the plan).
    warnings: list[str] = field(default_factory=list)
    # How many list answers each kind's read took (see `agreed`).
    answers: dict[str, int] = field(default_factory=dict)

    def add(self, obj: LiveObject) -> None:
        self.by_id[obj.id] = obj
        self.by_key[(obj.kind, obj.natural_key)].append(obj)

    def find(self, kind: str, natural_key: str) -> list[LiveObject]:
        """The live objects of `kind` named `natural_key` (more than one means an ambiguous name)."""
        return self.by_key.get((kind, natural_key), [])

    def of_kind(self, kind: str) -> list[LiveObject]:
        return [obj for obj in self.by_id.values() if obj.kind == kind]

    def __len__(self) -> int:
        return len(self.by_id)


async def read_live(client: EgainClient, kind_names: Iterable[str]) -> LiveState:
    """Every object of the given kinds, each list read whole (all kinds at once), or IncompleteRead."""
    kinds = [KINDS_BY_NAME[name] for name in kind_names]
    listings = await gather_or_cancel([client.list_all(kind) for kind in kinds])
    state = LiveState(kinds=tuple(kind.name for kind in kinds))
    for kind, listing in zip(kinds, listings, strict=True):
        state.warnings.extend(listing.warnings)
        _add_listing(state, kind, listing)
    return state


async def agreed(client: EgainClient, live: LiveState, kind_names: Iterable[str]) -> LiveState:
    """`live`, with each of `kind_names` read again until two whole reads of it agree (same ids, same
    `modified`, or same content where there is none), the later begun after the earlier ended.

    What a create is decided on: another client's delete and create between two of our page reads
    leaves the count right and an object unseen, and a create of it would duplicate it. A kind read
    in one answer was one moment of the tenant and is not read again. `live` itself is returned when
    every second read agreed with it; IncompleteRead when no two of MAX_READS_TO_AGREE reads did.
    """
    kinds = [KINDS_BY_NAME[name] for name in sorted(set(kind_names)) if live.answers.get(name, 1) > 1]
    settled = await gather_or_cancel([_agreeing(client, kind, live.of_kind(kind.name)) for kind in kinds])
    changed = {kind.name: objects for kind, objects in zip(kinds, settled, strict=True) if objects is not None}
    if not changed:
        return live
    state = LiveState(kinds=live.kinds, warnings=list(live.warnings), answers=dict(live.answers))
    for obj in live.by_id.values():
        if obj.kind not in changed:
            state.add(obj)
    for objects in changed.values():
        for obj in objects:
            state.add(obj)
    return state


async def _agreeing(client: EgainClient, kind: Kind, first: list[LiveObject]) -> list[LiveObject] | None:
    """The objects of `kind` once two consecutive whole reads agree; None when the first re-read agreed with `first`."""
    earlier = first
    for read in range(2, MAX_READS_TO_AGREE + 1):
        probe = LiveState(kinds=(kind.name,))
        _add_listing(probe, kind, await client.list_all(kind))
        later = probe.of_kind(kind.name)
        if _fingerprint(later) == _fingerprint(earlier):
            return None if read == 2 else later
        earlier = later
    raise IncompleteRead(
        f"{MAX_READS_TO_AGREE} whole reads of the {kind.title} list found different objects each time: another "
        "client is changing it while it is read, and a create decided on any one read could duplicate an object "
        "that read missed; nothing is planned",
        hint="run again once nothing else writes to this tenant",
    )


def _fingerprint(objects: list[LiveObject]) -> dict[str, Any]:
    """What two reads must agree on: each id, with its `modified` (the tenant's token of its state) or its body."""
    return {obj.id: obj.body.get("modified", obj.body) for obj in objects}


def _add_listing(state: LiveState, kind: Kind, listing: Listing) -> None:
    """The listed objects of `kind` into `state`, or IncompleteRead when some cannot be told apart."""
    state.answers[kind.name] = listing.answers
    skipped = 0
    for item in listing.items:
        obj = to_live_object(kind, item)
        if obj is None:
            skipped += 1
        else:
            state.add(obj)
    if skipped:
        # Their declared twins would look absent and be created again: stop instead.
        raise IncompleteRead(
            f"{skipped} {kind.name} are listed without a string id or a {kind.natural_key}: the tool cannot tell "
            "which declared objects they are, so nothing is planned",
            hint="run `egain-provision doctor` to see what this tenant's list items hold",
        )


def to_live_object(kind: Kind, item: Any) -> LiveObject | None:
    """A list item as a LiveObject; items without an id or natural key cannot be managed and are skipped."""
    if not isinstance(item, dict):
        return None
    object_id = item.get("id")
    key = item.get(kind.natural_key)
    if not isinstance(object_id, str) or not isinstance(key, str):
        return None
    return LiveObject(kind=kind.name, id=object_id, natural_key=key, body=item)

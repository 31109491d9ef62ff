"""Reading the live tenant into an index of `LiveObject`s (decK's "dump" stage)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from egain_provision.client import EgainClient
from egain_provision.kinds import KINDS_BY_NAME, Kind
from egain_provision.limits import gather_or_cancel
from egain_provision.listing import IncompleteRead
from egain_provision.model import Modified


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
    return state


def to_live_object(kind: Kind, item: Any) -> LiveObject | None:
    """A list item as a LiveObject; items without an id or natural key cannot be managed and are skipped."""
    if not isinstance(item, dict):
        return None
    object_id = item.get("id")
    key = item.get(kind.natural_key)
    if not isinstance(object_id, str) or not isinstance(key, str):
        return None
    return LiveObject(kind=kind.name, id=object_id, natural_key=key, body=item)

"""Where a body holds secrets: the kind's secret fields, and name/value items with a secret name."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from egain_provision.kinds import KINDS, Kind, SecretItems
from egain_provision.paths import get_path, iter_slots, join_path

# Item names the manifests mark secret, by list (`sensitive: {attributes: [apiKey]}`).
Marked = Mapping[str, Collection[str]]
MARKABLE_LISTS = tuple(sorted({items.list_path for kind in KINDS for items in kind.secret_items}))


def secret_paths(kind: Kind, body: Any, marked: Marked | None = None) -> list[str]:
    """Concrete paths of every secret value present in `body` (the same in manifest and API form)."""
    paths = [slot.path for secret in kind.secret_fields for slot in iter_slots(body, secret)]
    for items in kind.secret_items:
        paths += [path for path, _ in secret_item_values(items, body, marked)]
    return paths


# Header names that carry credentials: Authorization, Cookie, X-Api-Key, X-Auth-Token, Client-Secret...
CREDENTIAL_NAME = re.compile(
    r"authori[sz]ation|cookie|key|token|secret|password|passwd|auth|credential|signature|session", re.IGNORECASE
)


def opaque_paths(kind: Kind, body: Any) -> list[str]:
    """Paths of the kind's opaque values (callback header values) that can be credentials: compared, sent, never shown.

    A header is shown when its name is plainly not a credential (`Content-Type: application/json`
    is reviewable); one with a credential-like name, or a name that is not text, is not. A value
    from `${env:...}` or a secret source is masked anyway, by the interpolation that read it.
    """
    paths = []
    for pattern in kind.opaque_values:
        items, _, field = pattern.rpartition(".")
        for slot in iter_slots(body, items):
            item = slot.value
            if not isinstance(item, dict) or field not in item:
                continue
            name = item.get("name")
            if not isinstance(name, str) or CREDENTIAL_NAME.search(name):
                paths.append(join_path(slot.path, field))
    return paths


def secret_names(items: SecretItems, marked: Marked | None = None) -> set[str]:
    """The item names whose values are secret in `items`' list."""
    return set(items.names) | set((marked or {}).get(items.list_path, ()))


def secret_item_values(items: SecretItems, body: Any, marked: Marked | None = None) -> Iterator[tuple[str, Any]]:
    """(concrete path, value) of each item of `items.list_path` whose name is secret."""
    listed = get_path(body, items.list_path)
    if not isinstance(listed, list):
        return
    names = secret_names(items, marked)
    for index, item in enumerate(listed):
        # validate runs this on manifests the schema refused too: a name may be any JSON value there.
        name = item.get(items.key) if isinstance(item, dict) else None
        if isinstance(name, str) and name in names and items.value in item:
            yield join_path(join_path(items.list_path, index), items.value), item[items.value]


def read_marks(value: Any) -> dict[str, set[str]]:
    """The `sensitive:` section of a manifest document, as list path -> item names (bad shapes ignored)."""
    marks: dict[str, set[str]] = {}
    if isinstance(value, dict):
        for list_path, names in value.items():
            if list_path in MARKABLE_LISTS and isinstance(names, list):
                marks.setdefault(list_path, set()).update(name for name in names if isinstance(name, str))
    return marks

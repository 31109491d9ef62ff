"""What the tenant stored, field by field, against what a write sent: the differences a re-read finds.

Both sides are compared as the plan compares them (`comparable`: defaults, keyed lists, sets),
after the tenant's own additions are set aside the way the plan sets them aside (server fields,
fields no manifest can hold, references answered as `{id, name}`, masked secrets). Secret and
opaque values are compared by token: a difference there names the field, never the values.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from functools import cache
from typing import Any

from egain_provision.apply.outcome import Difference
from egain_provision.diff import pattern_of
from egain_provision.kinds import Kind, Reference
from egain_provision.meaning import meaning_of
from egain_provision.normalisation import Normalisation, classify
from egain_provision.normalize import (
    align_paths,
    comparable,
    is_masked,
    is_sensitive_token,
    known_only,
    mark_sensitive,
)
from egain_provision.paths import get_concrete, get_path, join_path, set_concrete, set_path
from egain_provision.plan import MISSING, SENSITIVE_DISPLAY
from egain_provision.references import KEEP, rewrite_references
from egain_provision.sensitive import opaque_paths, secret_paths


def stored_differences(
    kind: Kind,
    stored: dict[str, Any],
    sent: dict[str, Any],
    *,
    sensitive: Collection[str] = (),
    removed: Collection[str] = (),
) -> list[Difference]:
    """Each field the tenant holds otherwise than `sent`; `removed` are paths the write meant to remove."""
    if _as_sent(kind, stored, sent):
        return []  # most objects: no field to normalise, and thousands of them are re-read at once
    wanted = {key: value for key, value in sent.items() if key not in kind.server_fields}
    known, _ = known_only(kind, stored)
    live = {key: value for key, value in known.items() if key not in kind.server_fields}
    rewrite_references(kind, live, by_id)
    unmask_secrets(kind, live, wanted)
    hidden = sorted({*sensitive, *secret_paths(kind, wanted), *opaque_paths(kind, wanted)})
    mark_sensitive(wanted, hidden)
    live_hidden = {*align_paths(kind, hidden, sent, live), *secret_paths(kind, live), *opaque_paths(kind, live)}
    mark_sensitive(live, sorted(live_hidden))
    return [
        _difference(kind, path, sent_value, stored_value, removed)
        for path, sent_value, stored_value in _walk(comparable(kind, wanted), comparable(kind, live), "")
    ]


def _as_sent(kind: Kind, stored: dict[str, Any], sent: dict[str, Any]) -> bool:
    """Whether the tenant answers exactly the fields sent, each with the very value sent (server fields aside),
    and beside them at most top-level fields holding their spec default (a tenant fills `active: true`)."""
    server = kind.server_fields
    defaults = _scalar_defaults(kind.list_key)
    for key, value in stored.items():
        if key in sent or key in server:
            continue
        # A default the tenant filled in means what leaving the field out means (comparable fills it in too).
        default = defaults.get(key, MISSING)
        if default is MISSING or type(value) is not type(default) or value != default:
            return False
    return all(key in server or stored.get(key, MISSING) == value for key, value in sent.items())


@cache
def _scalar_defaults(list_key: str) -> dict[str, Any]:
    """The top-level fields of a kind with a scalar spec default, and that default."""
    return {
        name: default
        for name, default in meaning_of(list_key).defaulted
        if isinstance(default, str | int | float | bool)
    }


def by_id(reference: Reference, value: Any) -> Any:
    """A reference as its API form by id (`{id, name, ...}` is `{id}`); anything else kept."""
    object_id = reference.id_in(value)
    return KEEP if object_id is None else reference.api_value(object_id)


def unmask_secrets(kind: Kind, live: dict[str, Any], wanted: dict[str, Any]) -> None:
    """A secret the tenant answers masked is taken as what was sent: it cannot be compared."""
    for path in kind.secret_fields:
        if is_masked(get_path(live, path)) and get_path(wanted, path) is not None:
            set_path(live, path, get_path(wanted, path))
    for path in secret_paths(kind, wanted):
        if path in kind.secret_fields:
            continue
        for live_path in align_paths(kind, [path], wanted, live):
            if is_masked(get_concrete(live, live_path)):
                set_concrete(live, live_path, get_concrete(wanted, path))


def _walk(sent: Any, stored: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    """(path, sent, stored) of each differing value: mappings by key, equally long lists of mappings by
    position, anything else whole (a list in another order is one difference)."""
    if sent == stored:
        return
    if isinstance(sent, dict) and isinstance(stored, dict):
        for key in [*sent, *(key for key in stored if key not in sent)]:
            yield from _walk(sent.get(key, MISSING), stored.get(key, MISSING), join_path(path, key))
    elif (
        isinstance(sent, list)
        and isinstance(stored, list)
        and len(sent) == len(stored)
        and all(isinstance(item, dict) for item in [*sent, *stored])
        and not _same_items(sent, stored)
    ):
        for index, (mine, theirs) in enumerate(zip(sent, stored, strict=True)):
            yield from _walk(mine, theirs, join_path(path, index))
    else:
        yield path, sent, stored


def _same_items(sent: list[Any], stored: list[Any]) -> bool:
    """Whether two lists hold the same items in another order."""
    key = lambda item: json.dumps(item, sort_keys=True, default=str)  # noqa: E731
    return sorted(map(key, sent)) == sorted(map(key, stored))


def _difference(kind: Kind, path: str, sent: Any, stored: Any, removed: Collection[str]) -> Difference:
    secret = any(is_sensitive_token(value) or _holds_token(value) for value in (sent, stored))
    kind_of, fix = _named(kind, path, sent, stored, removed, secret)
    return Difference(
        path=path,
        sent=None if sent is MISSING else _shown(sent, secret),
        stored=None if stored is MISSING else _shown(stored, secret),
        kind_of=kind_of,
        fix=fix,
        absent="sent" if sent is MISSING else "stored" if stored is MISSING else None,
    )


def _named(kind: Kind, path: str, sent: Any, stored: Any, removed: Collection[str], secret: bool) -> tuple[str, str]:
    """The class of one difference and the manifest change that would converge (never showing a secret)."""
    if stored is MISSING:
        return "not stored", "the tenant does not keep it: remove it from the manifest"
    if secret:
        return "other value", "the tenant stores another value (not shown): check what it keeps there"
    found = classify(sent, stored, kind.defaults.get(pattern_of(path), MISSING))
    kept = f"`{json.dumps(stored, ensure_ascii=False)}`"
    if found is None:
        return "other value", f"write {kept} in the manifest to converge, or find out why the tenant changes it"
    if found.normalisation is Normalisation.KEPT_AFTER_REMOVAL and path not in removed:
        # Nothing asked to remove it: the tenant added it (a default of its own, not the spec's).
        return Normalisation.DEFAULT_ADDED.value, f"declare {kept} (the tenant's default) to converge"
    return found.normalisation.value, found.fix


def _holds_token(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_holds_token(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_token(item) for item in value)
    return is_sensitive_token(value)


def _shown(value: Any, secret: bool) -> Any:
    """The value as the summary may show it: a secret never."""
    return SENSITIVE_DISPLAY if secret else value

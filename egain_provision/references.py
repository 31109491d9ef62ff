"""The one walk over a body's reference fields, and the one check of a reference by name.

Every stage that reads or converts references (loader, normalizer, planner, executor,
exporter, validate) goes through `iter_references` or `rewrite_references`, so the special
case of bare references (`bots[].id` on the API, `bots[].application` in manifests) lives in
`Reference` alone.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any

from egain_provision.kinds import KINDS, KINDS_BY_NAME, Form, Kind, Reference
from egain_provision.paths import Slot, iter_slots, pattern_regex

# Returned by a rewrite function to leave a value as it is.
KEEP: Any = object()

Rewrite = Callable[[Reference, Any], Any]


def iter_references(kind: Kind, body: Any, form: Form = "api") -> Iterator[tuple[Reference, Slot]]:
    """Every reference field present in `body`, with the slot that holds it."""
    for reference in kind.references:
        for slot in iter_slots(body, reference.pattern(form)):
            yield reference, slot


def rewrite_references(kind: Kind, body: Any, fn: Rewrite, *, source: Form = "api", target: Form = "api") -> None:
    """Replace, in place, each reference value of `body` (in `source` form) by `fn(reference, value)`.

    A bare reference changes its field name between the forms: converting between them moves
    the value to the other name. `fn` returns `KEEP` to leave a value (and its field) as it is.
    """
    for reference, slot in list(iter_references(kind, body, source)):
        value = fn(reference, slot.value)
        if value is KEEP:
            continue
        moved = reference.field(target)
        if moved != reference.field(source) and isinstance(slot.container, dict):
            del slot.container[str(slot.key)]
            slot.container[moved] = value
        else:
            slot.replace(value)


def _bare_patterns(kind: Kind) -> list[tuple[re.Pattern[str], str]]:
    """For each bare reference: a regex capturing the concrete `...bots[3]` before `.application`."""
    found = []
    for reference in kind.references:
        if reference.bare:
            head, _, leaf = reference.path.rpartition(".")
            found.append((re.compile(rf"({pattern_regex(head)})\.{re.escape(leaf)}"), reference.field("api")))
    return found


_BARE_PATTERNS = {kind.name: _bare_patterns(kind) for kind in KINDS}


def api_path_of(kind: Kind, manifest_path: str) -> str:
    """A concrete manifest path in API terms: `bots[0].application` -> `bots[0].id` for bare references."""
    for pattern, api_field in _BARE_PATTERNS.get(kind.name) or _bare_patterns(kind):
        match = pattern.match(manifest_path)
        if match and manifest_path[match.end() :][:1] in ("", ".", "["):
            return f"{match.group(1)}.{api_field}{manifest_path[match.end() :]}"
    return manifest_path


@dataclass(frozen=True)
class MissingReference:
    """Why a reference by name finds nothing, and how to fix it."""

    message: str
    hint: str


def missing_reference(
    target: str,
    name: str,
    *,
    shown: str | None = None,
    candidates: Collection[str] = (),
    declared_elsewhere: Callable[[str, str], bool] | None = None,
    live: bool = False,
) -> MissingReference:
    """The finding for a reference to `target` named `name` that neither the manifests nor (when
    `live`) the tenant holds; `candidates` are the names that do exist, for a did-you-mean.
    """
    title = KINDS_BY_NAME[target].title
    shown = shown if shown is not None else repr(name)
    if live:
        message = f"{title} {shown} is neither declared in the manifests nor present in the tenant"
    else:
        message = f"{title} {shown} is not declared in these manifests; it must exist in the tenant"
    close = difflib.get_close_matches(name, list(candidates), n=1)
    if close:
        return MissingReference(message, f"did you mean {close[0]!r}?")
    if declared_elsewhere is not None:
        for kind in KINDS:
            if kind.name != target and declared_elsewhere(kind.name, name):
                return MissingReference(message, f"{shown} is declared as a {kind.title}, not a {title}")
    return MissingReference(
        message, f"declare it under {target}:, or reference an object managed elsewhere by literal id: {{id: <uuid>}}"
    )

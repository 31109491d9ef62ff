"""eGain's own channel types, and a check that each declared channel uses one of them or `custom.NAME`.

The spec types a channel's `type` as any string, but eGain supports a fixed set natively (its
examples name them; the schema fragment carries them as the field's `examples`, which editors
offer) and asks for the `custom.` prefix on every other. `google-business-messaging` would
create a custom-looking channel eGain does not treat as its Google one: a near miss of eGain's
spelling is an error with the accepted form; any other unprefixed type is a warning.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from functools import cache

from egain_provision.manifest.declared import Declared
from egain_provision.manifest.validation import manifest_rules
from egain_provision.model import Diagnostic

CUSTOM_PREFIX = "custom."
_SEPARATORS = re.compile(r"[-\s.]+")


@cache
def supported_channel_types() -> tuple[str, ...]:
    """eGain's channel types, as the manifest schema lists them (from the spec's examples)."""
    field = manifest_rules()["$defs"]["channel"]["properties"]["type"]
    return tuple(field["examples"])


def nearest_channel_type(given: str) -> str | None:
    """The supported type `given` most likely means (other case, `-` for `_`, a typo), if any."""
    types = supported_channel_types()
    folded = _SEPARATORS.sub("_", given.strip().lower())
    if folded in types:
        return folded
    close = difflib.get_close_matches(folded, types, n=1, cutoff=0.8)
    return close[0] if close else None


def channel_type_problems(declared: Sequence[Declared]) -> list[Diagnostic]:
    """An error for each near miss of eGain's channel types, a warning for other types without `custom.`."""
    problems = []
    listed = ", ".join(supported_channel_types())
    for obj in declared:
        given = obj.value.get("type")
        if obj.kind.name != "channels" or not isinstance(given, str) or obj.document.is_sensitive(obj.path("type")):
            continue
        if given in supported_channel_types() or given.startswith(CUSTOM_PREFIX):
            continue
        near = nearest_channel_type(given)
        location, path = obj.locate("type"), obj.path("type")
        if near is not None:
            message = f"channel type {given!r} is not eGain's spelling"
            hint = f"did you mean {near!r}? write type: {near} (eGain's channel types: {listed})"
            problems.append(Diagnostic("error", location, path, message, hint))
        else:
            message = f"channel type {given!r} is not one of eGain's ({listed}) and has no {CUSTOM_PREFIX} prefix"
            hint = f"name a channel of your own {CUSTOM_PREFIX}NAME, e.g. type: {CUSTOM_PREFIX}{given}"
            problems.append(Diagnostic("warning", location, path, message, hint))
    return problems

"""`accessTokenPath`: where the token lies in the token endpoint's JSON answer.

eGain documents it as "the JSON query path of an access token in the returned JSON response",
example `$.accessToken`. We read the part of JSONPath that names one value: `$`, then member
names (`.name` or `['name']`) and array indexes (`[0]`). Wildcards, filters and `..` select
several values, which no Authorization header can hold, so they are refused with a hint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_DOT_NAME = re.compile(r"\.([A-Za-z_$][\w$-]*)")
_BRACKET_NAME = re.compile(r"""\[\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\]""")
_INDEX = re.compile(r"\[\s*(\d+)\s*\]")


class TokenPathError(ValueError):
    """An accessTokenPath outside the supported form; the message says what to write instead."""


def parse_token_path(path: str) -> tuple[str | int, ...]:
    """The steps of `path` from the root: member names (str) and array indexes (int)."""
    if not path.startswith("$"):
        raise TokenPathError(f"accessTokenPath {path!r} does not start at the root `$`; write e.g. $.accessToken")
    steps: list[str | int] = []
    at = 1
    while at < len(path):
        if match := _DOT_NAME.match(path, at):
            steps.append(match[1])
        elif match := _BRACKET_NAME.match(path, at):
            quoted = match[1] if match[1] is not None else match[2]
            steps.append(re.sub(r"\\(.)", r"\1", quoted))
        elif match := _INDEX.match(path, at):
            steps.append(int(match[1]))
        else:
            raise TokenPathError(
                f"accessTokenPath {path!r} is not supported from character {at + 1}: write `$` then "
                "`.name`, `['name']` or `[0]` steps, which name one value (no `*`, `..` or filters)"
            )
        at = match.end()
    return tuple(steps)


@dataclass(frozen=True)
class TokenLookup:
    """What the path found: the token, or where it stopped and the member names there."""

    token: str | None
    # When not found: the deepest object reached (as a path) and its member names, never values.
    stopped_at: str = "$"
    keys: tuple[str, ...] = ()
    found_type: str | None = None


def find_token(document: Any, steps: tuple[str | int, ...]) -> TokenLookup:
    """Follow `steps` in the JSON `document`; a token is a non-empty string."""
    here, walked = document, "$"
    for step in steps:
        if isinstance(step, int) and isinstance(here, list) and step < len(here):
            here, walked = here[step], f"{walked}[{step}]"
        elif isinstance(step, str) and isinstance(here, dict) and step in here:
            here, walked = here[step], f"{walked}.{step}"
        else:
            return TokenLookup(None, walked, _keys(here), _type_name(here))
    if isinstance(here, str) and here:
        return TokenLookup(here)
    return TokenLookup(None, walked, (), _type_name(here))


def _keys(value: Any) -> tuple[str, ...]:
    return tuple(str(key) for key in value) if isinstance(value, dict) else ()


def _type_name(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "an empty string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")

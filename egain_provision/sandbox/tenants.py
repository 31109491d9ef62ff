"""Tenant behaviours seen on real tenants where eGain's spec is silent, each one a variant option.

A normalising tenant stores (or answers) values other than those sent: strings trimmed, e-mails
lower-cased, callback URLs with a `/` appended, the spec's defaults at every depth stored, the
ordered `intents.intent` list reversed, integers and booleans answered as strings. A merging tenant
keeps an attribute a PUT omits. These functions are pure: `variants.py` checks the options and
`app.py` applies them.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlencode

from egain_provision.sandbox.schema import Boolean, Field, Items, Numeric, OneOf, Record, Text

# Each class a normalising tenant may apply, and when: "store" changes what is kept, "answer" only
# how it is shown.
NORMALIZATIONS: dict[str, str] = {
    "trim": "store",
    "lowercase-email": "store",
    "trailing-slash": "store",
    "nested-defaults": "store",
    "reverse-ordered": "store",
    "integers-as-strings": "answer",
    "booleans-as-strings": "answer",
}
# The attribute holding a role's callback URL, and the one ordered list the spec gives item order to
# (a bot's intents; roles are keyed by name, the other lists are sets or single items).
CALLBACK = "callback"
ORDERED_LIST = ("intents", "intent")
TOKEN_FORMATS = ("json", "form")


def normalization_classes(value: Any) -> tuple[str, ...]:
    """The classes named by `value` (a list of names), in the table's order; ValueError for any other."""
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValueError("normalize must be a list of: " + ", ".join(NORMALIZATIONS))
    unknown = [name for name in value if name not in NORMALIZATIONS]
    if unknown:
        raise ValueError(f"normalize: unknown class {unknown[0]!r}; known: {', '.join(NORMALIZATIONS)}")
    return tuple(name for name in NORMALIZATIONS if name in value)


def stored_form(rule: Field, body: dict[str, Any], classes: tuple[str, ...]) -> dict[str, Any]:
    """What a tenant applying `classes` stores for a valid `body` (a copy)."""
    result: dict[str, Any] = copy.deepcopy(body)
    if "nested-defaults" in classes:
        _fill_deep_defaults(rule, result)
    result = _rewrite_strings(result, "", set(classes))
    if "reverse-ordered" in classes:
        outer, inner = ORDERED_LIST
        section = result.get(outer)
        if isinstance(section, dict) and isinstance(section.get(inner), list):
            section[inner] = section[inner][::-1]
    return result


def answered_form(rule: Field, value: Any, classes: tuple[str, ...]) -> Any:
    """`value` as a tenant applying the answer-time `classes` shows it: integers, booleans as strings."""
    if isinstance(rule, OneOf) and isinstance(value, dict):
        branch = rule.branches.get(value.get(rule.discriminator, ""))
        return answered_form(branch, value, classes) if branch is not None else value
    if isinstance(rule, Record) and isinstance(value, dict):
        return {
            key: answered_form(rule.fields[key], item, classes) if key in rule.fields else item
            for key, item in value.items()
        }
    if isinstance(rule, Items) and isinstance(value, list):
        return [answered_form(rule.item, item, classes) for item in value]
    if isinstance(rule, Numeric) and rule.integer and "integers-as-strings" in classes:
        return str(int(value)) if isinstance(value, int | float) and not isinstance(value, bool) else value
    if isinstance(rule, Boolean) and "booleans-as-strings" in classes and isinstance(value, bool):
        return "true" if value else "false"
    return value


def merged(stored: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """A PUT as a merging tenant applies it: objects merged at every depth, anything else replaced.

    An attribute the PUT omits is kept (JSON merge-patch without its null-removal: `null` is never
    a valid value here).
    """
    result = copy.deepcopy(stored)
    for key, value in sent.items():
        kept = result.get(key)
        result[key] = merged(kept, value) if isinstance(kept, dict) and isinstance(value, dict) else value
    return result


def form_token_answer(token: str, expires_in: float) -> str:
    """The token answer a form-encoding server sends instead of RFC 6749's JSON."""
    return urlencode({"access_token": token, "token_type": "bearer", "expires_in": expires_in})


def _rewrite_strings(value: Any, key: str, classes: set[str]) -> Any:
    if isinstance(value, dict):
        return {name: _rewrite_strings(item, name, classes) for name, item in value.items()}
    if isinstance(value, list):
        return [_rewrite_strings(item, key, classes) for item in value]
    if not isinstance(value, str):
        return value
    if "trim" in classes:
        value = value.strip()
    if "lowercase-email" in classes and key.lower().endswith("email"):
        value = value.lower()
    if "trailing-slash" in classes and key == CALLBACK and not value.endswith("/"):
        value += "/"
    return value


def _fill_deep_defaults(rule: Field, value: Any) -> None:
    """Every default of the spec stored, at every depth: an omitted object without required
    attributes is added when it would carry a default (channel `restrictions`, `attachmentPolicy`)."""
    if isinstance(rule, OneOf):
        branch = rule.branches.get(value.get(rule.discriminator, "")) if isinstance(value, dict) else None
        if branch is not None:
            _fill_deep_defaults(branch, value)
        return
    if isinstance(rule, Items) and isinstance(value, list):
        for item in value:
            _fill_deep_defaults(rule.item, item)
    if not isinstance(rule, Record) or not isinstance(value, dict):
        return
    for name, sub_rule in rule.fields.items():
        if name in value:
            _fill_deep_defaults(sub_rule, value[name])
        elif isinstance(sub_rule, Text | Numeric | Boolean) and sub_rule.default is not None:
            value[name] = sub_rule.default
        elif isinstance(sub_rule, Record) and not sub_rule.required:
            added: dict[str, Any] = {}
            _fill_deep_defaults(sub_rule, added)
            if added:
                value[name] = added

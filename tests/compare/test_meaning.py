"""What two values mean by the spec (the manifest schema's types, defaults and sets): table-driven, no HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from egain_provision.diff import diff_documents
from egain_provision.kinds import KINDS_BY_NAME
from egain_provision.meaning import FieldMeaning, apply_meaning, meaning_of, spec_defaults, typed_value
from egain_provision.normalize import comparable

CHANNEL = KINDS_BY_NAME["channels"]
ACCOUNT = KINDS_BY_NAME["accounts"]
BASE = {"type": "custom.web", "displayName": "Web", "icon": "aWNvbg=="}


def channel(**fields: Any) -> dict[str, Any]:
    return comparable(CHANNEL, {**BASE, **fields})


TYPED: list[tuple[str, frozenset[str], Any]] = [
    ("30", frozenset({"integer"}), 30),
    ("-4", frozenset({"integer"}), -4),
    ("true", frozenset({"boolean"}), True),
    ("false", frozenset({"boolean", "null"}), False),
    ("1.5", frozenset({"number"}), 1.5),
    ("30", frozenset({"number"}), 30),
    ("30", frozenset({"string"}), "30"),
    ("30", frozenset({"string", "integer"}), "30"),
    ("030", frozenset({"integer"}), "030"),
    (" 30", frozenset({"integer"}), " 30"),
    ("True", frozenset({"boolean"}), "True"),
    ("1.5", frozenset({"integer"}), "1.5"),
    ("true", frozenset({"integer"}), "true"),
    ("30", frozenset({"boolean"}), "30"),
    ("null", frozenset({"integer", "null"}), "null"),
    ("thirty", frozenset({"integer"}), "thirty"),
]


@pytest.mark.parametrize(("text", "types", "expected"), TYPED)
def test_a_typed_fields_string_form_is_its_value(text: str, types: frozenset[str], expected: Any) -> None:
    found = typed_value(text, types)
    assert found == expected and type(found) is type(expected)


EQUAL: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("integer as its string", {"restrictions": {"inbound": {"maxTextLength": "140"}}},
     {"restrictions": {"inbound": {"maxTextLength": 140}}}),
    ("boolean as its string", {"active": "false"}, {"active": False}),
    ("a default left out", {"active": True}, {}),
    ("a nested default left out", {"restrictions": {"outbound": {"midChatAuth": False, "features": ["attachments"]}}},
     {"restrictions": {"outbound": {"features": ["attachments"]}}}),
    ("an object of defaults is absence",
     {"restrictions": {"inbound": {"attachmentPolicy": {"enabled": True, "maxSize": 10485760}}}}, {}),
    ("every restriction at its default is absence",
     {"restrictions": {"inbound": {"maxTextLength": 10000},
                       "outbound": {"maxTextLength": "10000", "systemMessages": False, "midChatAuth": "false"}}}, {}),
    ("an empty object of defaults is absence", {"restrictions": {}}, {}),
    ("an object of defaults beside a declared field",
     {"restrictions": {"inbound": {"features": ["richText"], "attachmentPolicy": {"enabled": True}}}},
     {"restrictions": {"inbound": {"features": ["richText"]}}}),
    ("a default filled in an object that is there",
     {"restrictions": {"inbound": {"attachmentPolicy": {"type": "block", "enabled": True, "maxSize": 10485760}}}},
     {"restrictions": {"inbound": {"attachmentPolicy": {"type": "block"}}}}),
]


@pytest.mark.parametrize(("why", "live", "declared"), EQUAL, ids=[case[0] for case in EQUAL])
def test_values_that_mean_the_same_compare_equal(why: str, live: dict[str, Any], declared: dict[str, Any]) -> None:
    assert diff_documents(channel(**live), channel(**declared)) == [], why


DIFFERENT: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("another number", {"restrictions": {"inbound": {"maxTextLength": "140"}}},
     {"restrictions": {"inbound": {"maxTextLength": 141}}}),
    ("a string field keeps its digits", {"displayName": "30"}, {"displayName": 30}),
    ("case is not meaning", {"displayName": "WEB"}, {"displayName": "Web"}),
    ("a value other than the default", {"restrictions": {"inbound": {"maxTextLength": 140}}}, {}),
    ("an object with one value off its default",
     {"restrictions": {"inbound": {"attachmentPolicy": {"enabled": False, "maxSize": 10485760}}}}, {}),
    ("1 is not true", {"active": 1}, {"active": True}),
    ("an ordered list in another order", {"restrictions": {"outbound": {"features": ["richText", "attachments"]}}},
     {"restrictions": {"outbound": {"features": ["attachments", "richText"]}}}),
    ("a repeated item of an ordered list", {"restrictions": {"outbound": {"features": ["richText", "richText"]}}},
     {"restrictions": {"outbound": {"features": ["richText"]}}}),
]


@pytest.mark.parametrize(("why", "live", "declared"), DIFFERENT, ids=[case[0] for case in DIFFERENT])
def test_anything_else_still_differs(why: str, live: dict[str, Any], declared: dict[str, Any]) -> None:
    assert diff_documents(channel(**live), channel(**declared)) != [], why


def test_a_list_the_spec_makes_a_set_compares_as_a_set() -> None:
    tags = FieldMeaning(types=frozenset({"array"}), unique=True, items=FieldMeaning(types=frozenset({"string"})))
    meaning = FieldMeaning(fields={"tags": tags}, relevant=(("tags", tags),))
    left, right = {"tags": ["b", "a", "b"]}, {"tags": ["a", "b"]}
    apply_meaning(left, meaning)
    apply_meaning(right, meaning)
    assert left == right == {"tags": ["a", "b"]}


def test_a_keyed_list_compares_item_by_item_whatever_the_order() -> None:
    first = [{"language": "en-US", "properties": [{"name": "a", "value": "1"}, {"name": "b", "value": "2"}]}]
    second = [{"language": "en-US", "properties": [{"name": "b", "value": "2"}, {"name": "a", "value": "1"}]}]
    assert channel(l10nProperties=first) == channel(l10nProperties=second)


def test_the_spec_defaults_come_from_the_schema_at_every_depth() -> None:
    assert spec_defaults("channel")["restrictions.outbound.attachmentPolicy.maxSize"] == 10485760
    assert spec_defaults("account")["chatConfigurations.timeout"] == 240
    assert ACCOUNT.defaults == spec_defaults("account")


def test_a_kind_the_schema_lacks_has_no_meaning_to_apply() -> None:
    doc = {"count": "3"}
    apply_meaning(doc, meaning_of("nothing-of-that-name"))
    assert doc == {"count": "3"}

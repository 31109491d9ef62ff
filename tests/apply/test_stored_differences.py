"""What the re-read after a write reports: each field stored otherwise, its class and its fix; secrets never shown."""

from __future__ import annotations

import copy
import json
from typing import Any

from egain_provision.apply.stored import stored_differences
from egain_provision.kinds import KINDS_BY_NAME

APPS = KINDS_BY_NAME["clientApplications"]
AUTHS = KINDS_BY_NAME["authentications"]
SENT: dict[str, Any] = {
    "name": "agent-desk",
    "description": "Agents ",
    "roles": [
        {
            "name": "custom_agent",
            "version": "v3",
            "callback": "https://agents.example.com/egain/callback",
            "notificationEmail": "Ops@Example.com",
            "headers": [{"name": "X-Token", "value": "callback-token-Qw3"}],
        }
    ],
}


def stored_with(change: Any) -> dict[str, Any]:
    stored = copy.deepcopy(SENT) | {"id": "app-1", "created": "2026-12-07T10:00:00Z", "modified": "x"}
    change(stored)
    return stored


def test_an_object_stored_as_sent_has_no_difference() -> None:
    assert stored_differences(APPS, stored_with(lambda stored: None), SENT) == []


def test_each_normalisation_is_named_with_field_values_class_and_fix() -> None:
    def normalise(stored: dict[str, Any]) -> None:
        role = stored["roles"][0]
        stored["description"] = "Agents"
        role["callback"] += "/"
        role["notificationEmail"] = role["notificationEmail"].lower()

    found = {item.path: item for item in stored_differences(APPS, stored_with(normalise), SENT)}
    assert set(found) == {"description", "roles[custom_agent].callback", "roles[custom_agent].notificationEmail"}
    assert (found["description"].sent, found["description"].stored) == ("Agents ", "Agents")
    assert found["description"].kind_of == "surrounding blanks"
    slash = found["roles[custom_agent].callback"]
    assert (slash.kind_of, slash.stored) == ("trailing slash", "https://agents.example.com/egain/callback/")
    callback = '`"https://agents.example.com/egain/callback/"`'
    assert slash.fix == f"write {callback} in the manifest to converge"
    assert found["roles[custom_agent].notificationEmail"].kind_of == "case"


def test_a_field_the_tenant_adds_or_keeps_after_its_removal_is_named_as_such() -> None:
    sent = {key: value for key, value in SENT.items() if key != "description"}
    added = stored_differences(APPS, stored_with(lambda stored: None), sent)
    assert [(item.path, item.kind_of, item.absent) for item in added] == [("description", "default added", "sent")]
    kept = stored_differences(APPS, stored_with(lambda stored: None), sent, removed={"description"})
    assert kept[0].kind_of == "kept after removal"
    assert kept[0].fix.startswith("a PUT cannot remove it on this tenant")


def test_a_top_level_default_the_tenant_fills_in_is_no_difference_but_another_value_is() -> None:
    # `active` defaults to true: a tenant answering it unasked (or as its string) stored what was meant.
    for meant in (True, "true"):
        stored = stored_with(lambda stored, value=meant: stored.update(active=value))
        assert stored_differences(APPS, stored, SENT) == [], meant
    found = stored_differences(APPS, stored_with(lambda stored: stored.update(active=False)), SENT)
    assert [(item.path, item.stored) for item in found] == [("active", False)]


def test_a_number_answered_as_text_is_stored_as_sent_and_an_ordered_list_reversed_is_classed() -> None:
    channels = KINDS_BY_NAME["channels"]
    participants = KINDS_BY_NAME["participants"]
    sent = {"type": "custom.web", "restrictions": {"inbound": {"maxTextLength": 500}}}
    stored = {"id": "c-1", "type": "custom.web", "restrictions": {"inbound": {"maxTextLength": "500"}}}
    # The spec types maxTextLength integer: "500" means 500, so nothing is stored differently.
    assert stored_differences(channels, stored, sent) == []
    bot: dict[str, Any] = {"name": "bot", "type": "bot", "intents": {"intent": ["order", "refund", "cancel"]}}
    reversed_intents = {"id": "p-1", **copy.deepcopy(bot)}
    reversed_intents["intents"]["intent"].reverse()
    found = stored_differences(participants, reversed_intents, bot)
    assert [(item.path, item.kind_of) for item in found] == [("intents.intent", "order")]
    assert found[0].fix == 'write `["cancel", "refund", "order"]` in the manifest to converge'


def test_a_secret_stored_otherwise_is_named_without_either_value() -> None:
    sent: dict[str, Any] = {
        "name": "agent-basic",
        "type": "basic",
        "basicAuth": {"username": "egain", "password": "pw-Qw3-secret"},
    }
    stored = {"id": "a-1", **copy.deepcopy(sent)}
    stored["basicAuth"]["password"] = "pw-Qw3-secret "
    found = stored_differences(AUTHS, stored, sent)
    assert [item.path for item in found] == ["basicAuth.password"]
    shown = json.dumps([item.to_json() for item in found])
    assert "pw-Qw3" not in shown


def test_a_secret_header_value_stored_otherwise_is_named_without_either_value() -> None:
    def changed(stored: dict[str, Any]) -> None:
        stored["roles"][0]["headers"][0]["value"] = "callback-token-Qw3/"

    found = stored_differences(APPS, stored_with(changed), SENT)
    assert len(found) == 1 and "X-Token" in found[0].path
    assert "callback-token" not in json.dumps([item.to_json() for item in found])

"""Where the docs are silent: unique natural keys, references, delete protection, stale writes."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.sandbox.examples import (
    BASIC_AUTHENTICATION,
    BYOC_CHANNEL,
    OAUTH_AUTHENTICATION,
    Graph,
    account,
    client_application,
    create,
    participant,
)

UNIQUE = [
    ("authentications", lambda g: copy.deepcopy(OAUTH_AUTHENTICATION), "name"),
    ("clientapplications", lambda g: client_application("customer_front_end", "customer"), "name"),
    ("participants", lambda g: participant(g.bot_app), "name"),
    ("channels", lambda g: copy.deepcopy(BYOC_CHANNEL) | {"displayName": "Other"}, "type"),
    ("accounts", lambda g: account(g.channel, g.orchestration), "name"),
]


@pytest.mark.parametrize(("collection", "body", "key"), UNIQUE, ids=[case[0] for case in UNIQUE])
def test_creating_a_second_object_with_a_taken_natural_key_is_the_specs_duplicate_400_138(
    api: httpx.Client, graph: Graph, collection: str, body: Callable[[Graph], dict[str, Any]], key: str
) -> None:
    response = api.post(f"/{collection}", json=body(graph))
    assert response.status_code == 400
    assert response.json()["code"] == "400-138"
    assert {"key": key, "value": body(graph)[key]} in response.json()["details"]


def test_renaming_onto_a_taken_name_is_400_138_and_keeping_ones_own_name_is_fine(
    api: httpx.Client, graph: Graph
) -> None:
    renamed = copy.deepcopy(BASIC_AUTHENTICATION) | {"name": OAUTH_AUTHENTICATION["name"]}
    response = api.put(f"/authentications/{graph.basic}", json=renamed)
    assert (response.status_code, response.json()["code"]) == (400, "400-138")
    assert api.put(f"/authentications/{graph.basic}", json=BASIC_AUTHENTICATION).status_code == 204


def test_a_deleted_name_can_be_used_again(api: httpx.Client, graph: Graph) -> None:
    assert api.delete(f"/accounts/{graph.account}").status_code == 204
    create(api, "accounts", account(graph.channel, graph.orchestration))


def test_names_are_case_sensitive(api: httpx.Client, graph: Graph) -> None:
    create(api, "channels", BYOC_CHANNEL | {"type": BYOC_CHANNEL["type"].upper()})


REFERENCED = [
    ("authentications", "oauth", "clientApplication", "bot_app"),
    ("clientapplications", "bot_app", "participant", "participant"),
    ("clientapplications", "customer_app", "orchestration", "orchestration"),
    ("participants", "participant", "orchestration", "orchestration"),
    ("channels", "channel", "account", "account"),
    ("orchestrations", "orchestration", "account", "account"),
]


@pytest.mark.parametrize(("collection", "target", "referrer_kind", "referrer"), REFERENCED)
def test_deleting_a_referenced_object_is_409_naming_the_referrers(
    api: httpx.Client, graph: Graph, collection: str, target: str, referrer_kind: str, referrer: str
) -> None:
    target_id, referrer_id = getattr(graph, target), getattr(graph, referrer)
    response = api.delete(f"/{collection}/{target_id}")
    assert response.status_code == 409
    payload = response.json()
    assert payload["code"] == "409-102"
    assert f"{referrer_kind} " in payload["developerMessage"]
    assert referrer_id in payload["developerMessage"]
    assert any(d["key"] == referrer_kind and referrer_id in d["value"] for d in payload["details"])
    assert api.get(f"/{collection}/{target_id}").status_code == 200


def test_the_message_names_every_referrer_by_kind_name_and_id(api: httpx.Client, graph: Graph) -> None:
    second = create(api, "accounts", account(graph.channel, graph.orchestration, name="purplenile_account"))
    message = api.delete(f"/channels/{graph.channel}").json()["developerMessage"]
    assert f"account 'order_account' ({graph.account})" in message
    assert f"account 'purplenile_account' ({second})" in message


def test_deleting_in_reverse_dependency_order_succeeds(api: httpx.Client, graph: Graph) -> None:
    order = [
        ("accounts", graph.account),
        ("orchestrations", graph.orchestration),
        ("channels", graph.channel),
        ("participants", graph.participant),
        ("clientapplications", graph.bot_app),
        ("clientapplications", graph.agent_app),
        ("clientapplications", graph.customer_app),
        ("authentications", graph.oauth),
        ("authentications", graph.basic),
    ]
    for collection, object_id in order:
        assert api.delete(f"/{collection}/{object_id}").status_code == 204, collection


def test_an_update_that_drops_a_reference_releases_the_target(api: httpx.Client, graph: Graph) -> None:
    body = client_application("custom_bot_client_application_1", "custom_bot")
    assert api.put(f"/clientapplications/{graph.bot_app}", json=body).status_code == 204
    assert api.delete(f"/authentications/{graph.oauth}").status_code == 204


def test_an_update_that_adds_a_reference_protects_the_target(api: httpx.Client, graph: Graph) -> None:
    body = client_application("customer_front_end", "customer", graph.basic)
    assert api.put(f"/clientapplications/{graph.customer_app}", json=body).status_code == 204
    assert api.delete(f"/clientapplications/{graph.agent_app}").status_code == 409
    assert api.delete(f"/authentications/{graph.basic}").json()["details"] == [
        {"key": "clientApplication", "value": f"agent_desktop ({graph.agent_app})"},
        {"key": "clientApplication", "value": f"customer_front_end ({graph.customer_app})"},
    ]


def test_an_update_with_a_dangling_reference_is_refused(api: httpx.Client, graph: Graph) -> None:
    body = account(graph.channel, "00000000-0000-4000-8000-000000000000")
    response = api.put(f"/accounts/{graph.account}", json=body)
    assert (response.status_code, response.json()["code"]) == (400, "400-151")
    assert "chatConfigurations.orchestration.id" in response.json()["developerMessage"]


def test_put_with_the_current_modified_succeeds(api: httpx.Client, graph: Graph) -> None:
    stored = api.get(f"/channels/{graph.channel}").json()
    body = BYOC_CHANNEL | {"displayName": "Renamed", "modified": stored["modified"]}
    assert api.put(f"/channels/{graph.channel}", json=body).status_code == 204


def test_put_with_a_stale_modified_is_409_and_changes_nothing(api: httpx.Client, graph: Graph) -> None:
    first_read = api.get(f"/channels/{graph.channel}").json()
    assert api.put(f"/channels/{graph.channel}", json=BYOC_CHANNEL | {"displayName": "Theirs"}).status_code == 204
    current = api.get(f"/channels/{graph.channel}").json()
    response = api.put(
        f"/channels/{graph.channel}", json=BYOC_CHANNEL | {"displayName": "Mine", "modified": first_read["modified"]}
    )
    assert (response.status_code, response.json()["code"]) == (409, "409-103")
    assert {"key": "modified", "value": current["modified"]} in response.json()["details"]
    assert api.get(f"/channels/{graph.channel}").json() == current


def test_put_without_modified_is_last_writer_wins(api: httpx.Client, graph: Graph) -> None:
    for name in ("First", "Second"):
        assert api.put(f"/channels/{graph.channel}", json=BYOC_CHANNEL | {"displayName": name}).status_code == 204
    assert api.get(f"/channels/{graph.channel}").json()["displayName"] == "Second"

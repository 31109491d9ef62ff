"""Every operation of every resource, with the documented example payloads (egain-api.md §4-§9)."""

from __future__ import annotations

import copy
import re
from typing import Any

import httpx
import pytest

from egain_provision.sandbox.testing import ServedSandbox
from tests.sandbox.examples import (
    BASIC_AUTHENTICATION,
    BYOC_CHANNEL,
    OAUTH_AUTHENTICATION,
    Graph,
    account,
    client_application,
    create,
    orchestration_with_bot,
    orchestration_without_bot,
    participant,
)

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
LIST_KEYS = {
    "authentications": "authentication",
    "clientapplications": "clientApplication",
    "participants": "participant",
    "channels": "channel",
    "orchestrations": "orchestration",
    "accounts": "account",
}
COLLECTIONS = list(LIST_KEYS)


def _stored(api: httpx.Client, collection: str, object_id: str) -> dict[str, Any]:
    response = api.get(f"/{collection}/{object_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _without_server_fields(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key not in ("id", "created", "modified")}


def test_every_documented_example_is_accepted_and_read_back_unchanged(api: httpx.Client, graph: Graph) -> None:
    expected = {
        ("authentications", graph.oauth): OAUTH_AUTHENTICATION,
        ("authentications", graph.basic): BASIC_AUTHENTICATION,
        ("clientapplications", graph.bot_app): client_application(
            "custom_bot_client_application_1", "custom_bot", graph.oauth
        ),
        ("participants", graph.participant): participant(graph.bot_app),
        ("channels", graph.channel): BYOC_CHANNEL,
        ("orchestrations", graph.orchestration): orchestration_with_bot(
            graph.bot_app, graph.participant, graph.agent_app, graph.customer_app
        ),
        ("accounts", graph.account): account(graph.channel, graph.orchestration),
    }
    for (collection, object_id), body in expected.items():
        stored = _stored(api, collection, object_id)
        assert stored["id"] == object_id
        assert _without_server_fields(stored) == {"active": True, **body}


def test_participant_without_intents_is_accepted(api: httpx.Client, graph: Graph) -> None:
    object_id = create(api, "participants", participant(graph.bot_app, intents=False, name="no_intents"))
    assert "intents" not in _stored(api, "participants", object_id)


def test_orchestration_without_bot_is_accepted(api: httpx.Client, graph: Graph) -> None:
    object_id = create(api, "orchestrations", orchestration_without_bot(graph.customer_app, graph.agent_app))
    stored = _stored(api, "orchestrations", object_id)
    assert stored["applications"]["agentConfiguration"] == {"agents": [{"id": graph.agent_app}]}


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_create_answers_201_with_a_uuid(api: httpx.Client, graph: Graph, collection: str) -> None:
    response = api.post(f"/{collection}", json=graph.bodies()[collection])
    assert response.status_code == 201
    assert set(response.json()) == {"id"}
    assert UUID.match(response.json()["id"])


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_get_returns_id_created_and_modified_in_millisecond_utc(
    api: httpx.Client, graph: Graph, collection: str
) -> None:
    object_id = create(api, collection, graph.bodies()[collection])
    stored = _stored(api, collection, object_id)
    assert stored["id"] == object_id
    assert TIMESTAMP.match(stored["created"])
    assert stored["modified"] == stored["created"]


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_list_wraps_items_in_the_singular_key_with_pagination_info(
    api: httpx.Client, graph: Graph, collection: str
) -> None:
    response = api.get(f"/{collection}")
    assert response.status_code == 200
    payload = response.json()
    assert set(payload) == {"paginationInfo", LIST_KEYS[collection]}
    items = payload[LIST_KEYS[collection]]
    assert payload["paginationInfo"] == {"count": len(items), "pagenum": 1, "pagesize": 25}
    for item in items:
        assert item == _stored(api, collection, item["id"])


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_put_replaces_the_whole_object_and_answers_204(api: httpx.Client, graph: Graph, collection: str) -> None:
    object_id = create(api, collection, graph.bodies()[collection])
    replacement = graph.bodies()[collection] | {"description": "replaced", "active": False}
    response = api.put(f"/{collection}/{object_id}", json=replacement)
    assert response.status_code == 204
    assert response.content == b""
    assert _without_server_fields(_stored(api, collection, object_id)) == replacement


def test_put_drops_optional_attributes_it_does_not_send(api: httpx.Client, graph: Graph) -> None:
    body = copy.deepcopy(BYOC_CHANNEL)
    del body["restrictions"], body["l10nProperties"], body["description"]
    assert api.put(f"/channels/{graph.channel}", json=body).status_code == 204
    assert set(_stored(api, "channels", graph.channel)) == {"id", "created", "modified", *body}


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_delete_answers_204_and_the_object_is_gone(api: httpx.Client, graph: Graph, collection: str) -> None:
    object_id = create(api, collection, graph.bodies()[collection])
    response = api.delete(f"/{collection}/{object_id}")
    assert response.status_code == 204
    assert api.get(f"/{collection}/{object_id}").status_code == 404
    listed = api.get(f"/{collection}", params={"$pagesize": "100"}).json()[LIST_KEYS[collection]]
    assert object_id not in {item["id"] for item in listed}


def test_active_defaults_to_true(api: httpx.Client) -> None:
    body = copy.deepcopy(BYOC_CHANNEL)
    del body["active"]
    assert _stored(api, "channels", create(api, "channels", body))["active"] is True


def test_server_set_fields_in_a_body_are_ignored(api: httpx.Client) -> None:
    planted = {"id": "00000000-0000-4000-8000-000000000000", "created": "2001-01-01T00:00:00.000Z"}
    object_id = create(api, "channels", BYOC_CHANNEL | planted | {"modified": "2001-01-01T00:00:00.000Z"})
    stored = _stored(api, "channels", object_id)
    assert object_id != planted["id"]
    assert stored["created"] != planted["created"]
    assert api.put(f"/channels/{object_id}", json=BYOC_CHANNEL | planted).status_code == 204
    assert _stored(api, "channels", object_id)["created"] == stored["created"]


def test_modified_strictly_increases_on_every_write_and_created_stays(api: httpx.Client) -> None:
    object_id = create(api, "channels", BYOC_CHANNEL)
    first = _stored(api, "channels", object_id)
    seen = [first["modified"]]
    for n in range(30):
        assert api.put(f"/channels/{object_id}", json=BYOC_CHANNEL | {"displayName": f"n{n}"}).status_code == 204
        seen.append(_stored(api, "channels", object_id)["modified"])
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    assert _stored(api, "channels", object_id)["created"] == first["created"]


def test_list_paginates_every_object_exactly_once_in_creation_order(api: httpx.Client) -> None:
    ids = [create(api, "channels", BYOC_CHANNEL | {"type": f"custom.c{n:03d}"}) for n in range(57)]
    seen: list[str] = []
    for pagenum in range(1, 6):
        page = api.get("/channels", params={"$pagenum": str(pagenum), "$pagesize": "13"}).json()
        assert page["paginationInfo"] == {"count": 57, "pagenum": pagenum, "pagesize": 13}
        seen += [item["id"] for item in page["channel"]]
    assert seen == ids


def test_default_page_size_is_25_and_a_page_past_the_end_is_empty(api: httpx.Client) -> None:
    for n in range(30):
        create(api, "channels", BYOC_CHANNEL | {"type": f"custom.c{n}"})
    assert len(api.get("/channels").json()["channel"]) == 25
    beyond = api.get("/channels", params={"$pagenum": "3"}).json()
    assert beyond == {"paginationInfo": {"count": 30, "pagenum": 3, "pagesize": 25}, "channel": []}


def test_maximum_page_size_is_100(api: httpx.Client) -> None:
    for n in range(101):
        create(api, "channels", BYOC_CHANNEL | {"type": f"custom.c{n}"})
    assert len(api.get("/channels", params={"$pagesize": "100"}).json()["channel"]) == 100
    assert api.get("/channels", params={"$pagesize": "101"}).json()["code"] == "400-103"


def test_secrets_are_echoed_by_default(api: httpx.Client, graph: Graph) -> None:
    assert (
        _stored(api, "authentications", graph.oauth)["oauth2"]["payload"] == OAUTH_AUTHENTICATION["oauth2"]["payload"]
    )
    listed = api.get("/authentications").json()["authentication"]
    assert {item["name"]: item for item in listed}["custom_bot_callback_authentication_2"]["basicAuth"] == {
        "username": "string",
        "password": "string",
    }


def test_mask_secrets_replaces_payload_and_password_on_get_and_list(tmp_path: Any) -> None:
    with ServedSandbox(db_path=str(tmp_path / "masked.db"), mask_secrets=True) as served, served.client() as api:
        oauth = create(api, "authentications", OAUTH_AUTHENTICATION)
        basic = create(api, "authentications", BASIC_AUTHENTICATION)
        assert _stored(api, "authentications", oauth)["oauth2"]["payload"] == "********"
        assert _stored(api, "authentications", basic)["basicAuth"] == {"username": "string", "password": "********"}
        listed = api.get("/authentications").json()["authentication"]
        assert [item["oauth2"]["payload"] for item in listed if item["type"] == "oauth2"] == ["********"]
        assert [item["basicAuth"]["password"] for item in listed if item["type"] == "basic"] == ["********"]
        assert _stored(api, "authentications", oauth)["oauth2"]["method"] == "POST"


def test_entry_point_id_is_never_checked(api: httpx.Client, graph: Graph) -> None:
    body = account(graph.channel, graph.orchestration, name="external_entry")
    body["chatConfigurations"]["entryPoint"] = {"id": "no-such-entry-point"}
    create(api, "accounts", body)


def test_orchestration_names_may_repeat(api: httpx.Client, graph: Graph) -> None:
    body = orchestration_without_bot(graph.customer_app, graph.agent_app) | {"name": "default_orchestration"}
    second = create(api, "orchestrations", body)
    listed = api.get("/orchestrations").json()["orchestration"]
    assert sorted(item["id"] for item in listed if item["name"] == "default_orchestration") == sorted(
        [graph.orchestration, second]
    )


def test_reset_deletes_every_object(clean_sandbox: ServedSandbox, api: httpx.Client, graph: Graph) -> None:
    clean_sandbox.reset()
    for collection, key in LIST_KEYS.items():
        assert api.get(f"/{collection}").json()["paginationInfo"]["count"] == 0, key

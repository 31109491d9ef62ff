"""Every documented constraint is enforced, with the status and error code the README lists."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.sandbox.examples import Graph

REMOVE = object()
MISSING_ID = "00000000-0000-4000-8000-000000000000"


def edited(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `body` with the attribute at dotted `path` (list indexes as numbers) set or removed."""
    result = copy.deepcopy(body)
    *parents, last = path.split(".")
    node: Any = result
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    if value is REMOVE:
        del node[key]
    else:
        node[key] = value
    return result


Case = tuple[str, str, Callable[[Graph], Any], str, str]

ROLE = {"name": "customer", "version": "v3", "callback": "https://x.example.com/cb", "notificationEmail": "a@b.co"}

# (collection, dotted path, new value from the graph, expected code, attribute named in the message)
CASES: list[Case] = [
    ("authentications", "name", lambda g: REMOVE, "400-143", "name"),
    ("authentications", "type", lambda g: REMOVE, "400-143", "type"),
    ("authentications", "name", lambda g: "", "400-145", "name"),
    ("authentications", "name", lambda g: "n" * 256, "400-145", "name"),
    ("authentications", "description", lambda g: "", "400-145", "description"),
    ("authentications", "description", lambda g: "d" * 1024, "400-145", "description"),
    ("authentications", "type", lambda g: "digest", "400-146", "type"),
    ("authentications", "active", lambda g: "yes", "400-144", "active"),
    ("authentications", "name", lambda g: None, "400-144", "name"),
    ("authentications", "basicAuth", lambda g: REMOVE, "400-143", "basicAuth"),
    ("authentications", "basicAuth.password", lambda g: REMOVE, "400-143", "basicAuth.password"),
    ("authentications", "basicAuth.username", lambda g: 7, "400-144", "basicAuth.username"),
    ("authentications", "type", lambda g: "oauth2", "400-143", "oauth2"),
    ("authentications", "oauth2", lambda g: {"tokenRequestUrl": "https://t.example.com"}, "400-143", "oauth2.method"),
    ("authentications", "colour", lambda g: "blue", "400-148", "colour"),
    ("authentications", "basicAuth.realm", lambda g: "r", "400-148", "basicAuth.realm"),
    ("clientapplications", "roles", lambda g: REMOVE, "400-143", "roles"),
    ("clientapplications", "roles", lambda g: [], "400-147", "roles"),
    ("clientapplications", "roles", lambda g: [ROLE | {"name": n} for n in _ROLE_NAMES * 2][:8], "400-147", "roles"),
    ("clientapplications", "roles", lambda g: [ROLE, ROLE], "400-149", "roles[1].name"),
    ("clientapplications", "roles.0.name", lambda g: "robot", "400-146", "roles[0].name"),
    ("clientapplications", "roles.0.version", lambda g: "v2", "400-146", "roles[0].version"),
    ("clientapplications", "roles.0.callback", lambda g: REMOVE, "400-143", "roles[0].callback"),
    ("clientapplications", "roles.0.callback", lambda g: "not a url", "400-152", "roles[0].callback"),
    ("clientapplications", "roles.0.notificationEmail", lambda g: REMOVE, "400-143", "roles[0].notificationEmail"),
    ("clientapplications", "roles.0.notificationEmail", lambda g: "admin", "400-152", "roles[0].notificationEmail"),
    ("clientapplications", "roles.0.headers", lambda g: [{"name": "h"}], "400-143", "roles[0].headers[0].value"),
    ("clientapplications", "roles.0.headers", lambda g: "h: v", "400-144", "roles[0].headers"),
    (
        "clientapplications",
        "roles.0.authentication.id",
        lambda g: g.oauth[:35],
        "400-145",
        "roles[0].authentication.id",
    ),
    ("clientapplications", "roles.0.authentication.id", lambda g: MISSING_ID, "400-151", "roles[0].authentication.id"),
    ("clientapplications", "roles.0.authentication.id", lambda g: g.channel, "400-151", "roles[0].authentication.id"),
    ("participants", "application", lambda g: REMOVE, "400-143", "application"),
    ("participants", "application.id", lambda g: "short", "400-145", "application.id"),
    ("participants", "application.id", lambda g: MISSING_ID, "400-151", "application.id"),
    ("participants", "application.id", lambda g: g.participant, "400-151", "application.id"),
    ("participants", "type", lambda g: "custom_agent", "400-146", "type"),
    ("participants", "intents", lambda g: {}, "400-143", "intents.intent"),
    ("participants", "intents.intent.0.displayValue", lambda g: REMOVE, "400-143", "intents.intent[0].displayValue"),
    ("participants", "options", lambda g: [], "400-147", "options"),
    ("participants", "options", lambda g: [{"name": f"o{n}", "value": "v"} for n in range(26)], "400-147", "options"),
    ("channels", "type", lambda g: REMOVE, "400-143", "type"),
    ("channels", "displayName", lambda g: REMOVE, "400-143", "displayName"),
    ("channels", "icon", lambda g: REMOVE, "400-143", "icon"),
    ("channels", "icon", lambda g: "i" * 512001, "400-145", "icon"),
    ("channels", "type", lambda g: "t" * 256, "400-145", "type"),
    ("channels", "displayName", lambda g: "", "400-145", "displayName"),
    ("channels", "l10nProperties", lambda g: [], "400-147", "l10nProperties"),
    ("channels", "l10nProperties", lambda g: [{"language": "en", "properties": []}] * 26, "400-147", "l10nProperties"),
    ("channels", "l10nProperties.0.language", lambda g: REMOVE, "400-143", "l10nProperties[0].language"),
    (
        "channels",
        "restrictions.inbound.attachmentPolicy.type",
        lambda g: "maybe",
        "400-146",
        "restrictions.inbound.attachmentPolicy.type",
    ),
    (
        "channels",
        "restrictions.inbound.maxTextLength",
        lambda g: "140",
        "400-144",
        "restrictions.inbound.maxTextLength",
    ),
    (
        "channels",
        "restrictions.outbound.maxTextLength",
        lambda g: 1.5,
        "400-144",
        "restrictions.outbound.maxTextLength",
    ),
    ("channels", "restrictions.outbound.midChatAuth", lambda g: 1, "400-144", "restrictions.outbound.midChatAuth"),
    ("orchestrations", "applications", lambda g: REMOVE, "400-143", "applications"),
    ("orchestrations", "name", lambda g: REMOVE, "400-143", "name"),
    ("orchestrations", "applications.botConfiguration", lambda g: REMOVE, "400-150", "applications.botConfiguration"),
    ("orchestrations", "applications.botConfiguration.bots", lambda g: REMOVE, "400-143", "botConfiguration.bots"),
    (
        "orchestrations",
        "applications.botConfiguration.bots.0.participant",
        lambda g: REMOVE,
        "400-143",
        "bots[0].participant",
    ),
    (
        "orchestrations",
        "applications.botConfiguration.bots.0.participant.id",
        lambda g: MISSING_ID,
        "400-151",
        "bots[0].participant.id",
    ),
    ("orchestrations", "applications.botConfiguration.bots.0.id", lambda g: g.participant, "400-151", "bots[0].id"),
    (
        "orchestrations",
        "applications.botConfiguration.bots.0.onEscalation.agent.id",
        lambda g: MISSING_ID,
        "400-151",
        "bots[0].onEscalation.agent.id",
    ),
    (
        "orchestrations",
        "applications.customerConfiguration.customer.id",
        lambda g: MISSING_ID,
        "400-151",
        "customerConfiguration.customer.id",
    ),
    (
        "orchestrations",
        "applications.agentConfiguration",
        lambda g: {"agents": [{"id": MISSING_ID}]},
        "400-151",
        "agentConfiguration.agents[0].id",
    ),
    (
        "orchestrations",
        "applications.botConfiguration.bypassVaDuration",
        lambda g: "5",
        "400-144",
        "botConfiguration.bypassVaDuration",
    ),
    ("orchestrations", "description", lambda g: "", "400-145", "description"),
    ("accounts", "name", lambda g: REMOVE, "400-143", "name"),
    ("accounts", "address", lambda g: REMOVE, "400-143", "address"),
    ("accounts", "channel", lambda g: REMOVE, "400-143", "channel"),
    ("accounts", "chatConfigurations", lambda g: REMOVE, "400-143", "chatConfigurations"),
    ("accounts", "address", lambda g: "a" * 256, "400-145", "address"),
    ("accounts", "name", lambda g: "n" * 256, "400-145", "name"),
    ("accounts", "channel.id", lambda g: MISSING_ID, "400-151", "channel.id"),
    ("accounts", "channel.id", lambda g: g.orchestration, "400-151", "channel.id"),
    ("accounts", "chatConfigurations.orchestration.id", lambda g: g.channel, "400-151", "orchestration.id"),
    ("accounts", "chatConfigurations.onAgentUnavailability", lambda g: "queue", "400-146", "onAgentUnavailability"),
    ("accounts", "chatConfigurations.timeout", lambda g: "30", "400-144", "chatConfigurations.timeout"),
    ("accounts", "chatConfigurations.entryPoint", lambda g: {}, "400-143", "chatConfigurations.entryPoint.id"),
    ("accounts", "attributes", lambda g: [], "400-147", "attributes"),
    ("accounts", "attributes", lambda g: [{"name": f"a{n}", "value": "v"} for n in range(11)], "400-147", "attributes"),
    ("accounts", "caseManagement.sameCaseDuration", lambda g: True, "400-144", "caseManagement.sameCaseDuration"),
]

_ROLE_NAMES: list[str] = ["customer", "custom_bot", "egain_bot", "egain_agent", "custom_agent", "business_notification"]


def _case_id(case: Case) -> str:
    collection, path, _, code, _ = case
    return f"{collection}:{path}:{code}"


def _valid_body(graph: Graph, collection: str) -> dict[str, Any]:
    body = graph.bodies()[collection]
    if collection == "authentications":
        return body
    if collection == "participants":
        body["options"] = [{"name": "o", "value": "v"}]
    if collection == "accounts":
        body["attributes"] = [{"name": "a", "value": "v"}]
        body["caseManagement"] = {"sameCaseDuration": 5}
    return body


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_create_refuses_an_invalid_body(api: httpx.Client, graph: Graph, case: Case) -> None:
    collection, path, value, code, attribute = case
    body = edited(_valid_body(graph, collection), path, value(graph))
    before = api.get(f"/{collection}").json()["paginationInfo"]["count"]
    response = api.post(f"/{collection}", json=body)
    assert response.status_code == int(code[:3]), response.text
    assert response.json()["code"] == code
    assert attribute in response.json()["developerMessage"]
    assert api.get(f"/{collection}").json()["paginationInfo"]["count"] == before


@pytest.mark.parametrize("case", CASES[::4], ids=_case_id)
def test_update_refuses_an_invalid_body_and_keeps_the_object(api: httpx.Client, graph: Graph, case: Case) -> None:
    collection, path, value, code, attribute = case
    created = api.post(f"/{collection}", json=_valid_body(graph, collection)).json()["id"]
    stored = api.get(f"/{collection}/{created}").json()
    response = api.put(f"/{collection}/{created}", json=edited(_valid_body(graph, collection), path, value(graph)))
    assert response.json()["code"] == code
    assert attribute in response.json()["developerMessage"]
    assert api.get(f"/{collection}/{created}").json() == stored


def test_the_valid_bodies_used_above_are_accepted(api: httpx.Client, graph: Graph) -> None:
    for collection in graph.bodies():
        assert api.post(f"/{collection}", json=_valid_body(graph, collection)).status_code == 201


def test_a_role_list_of_seven_is_accepted(api: httpx.Client, graph: Graph) -> None:
    roles = [ROLE | {"name": name} for name in _ROLE_NAMES]
    body = edited(_valid_body(graph, "clientapplications"), "roles", roles)
    assert api.post("/clientapplications", json=body).status_code == 201


def test_authentication_refuses_credentials_of_the_other_type(api: httpx.Client, graph: Graph) -> None:
    body = _valid_body(graph, "authentications") | {"oauth2": {"method": "POST"}}
    response = api.post("/authentications", json=body)
    assert response.json()["code"] in ("400-143", "400-150")
    complete = {"tokenRequestUrl": "https://t.example.com", "method": "POST", "payload": "{}", "accessTokenPath": "$.t"}
    response = api.post("/authentications", json=body | {"oauth2": complete})
    assert (response.status_code, response.json()["code"]) == (400, "400-150")
    assert "oauth2" in response.json()["developerMessage"]


@pytest.mark.parametrize("raw", [b"{", b"[]", b'"text"', b""], ids=["truncated", "array", "string", "empty"])
def test_a_body_that_is_not_a_json_object_is_refused(api: httpx.Client, raw: bytes) -> None:
    response = api.post("/channels", content=raw, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()["code"]) == (400, "400-102")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/channels"),
        ("POST", "/channels"),
        ("GET", f"/channels/{MISSING_ID}"),
        ("DELETE", f"/channels/{MISSING_ID}"),
    ],
)
def test_unknown_query_parameters_are_refused(api: httpx.Client, method: str, path: str) -> None:
    response = api.request(method, path, params={"$filter": "x"})
    assert (response.status_code, response.json()["code"]) == (400, "400-101")
    assert "'$filter'" in response.json()["developerMessage"]


@pytest.mark.parametrize(
    "params",
    [{"$pagesize": "0"}, {"$pagesize": "101"}, {"$pagesize": "ten"}, {"$pagenum": "0"}, {"$pagenum": "-1"}],
    ids=str,
)
def test_bad_paging_values_are_refused(api: httpx.Client, params: dict[str, str]) -> None:
    response = api.get("/channels", params=params)
    assert (response.status_code, response.json()["code"]) == (400, "400-103")


@pytest.mark.parametrize(
    "collection", ["authentications", "clientapplications", "participants", "channels", "orchestrations", "accounts"]
)
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_a_malformed_path_id_is_refused(api: httpx.Client, collection: str, method: str) -> None:
    response = api.request(method, f"/{collection}/{MISSING_ID[:-1]}", json={})
    assert (response.status_code, response.json()["code"]) == (400, "400-104")


@pytest.mark.parametrize(
    "collection", ["authentications", "clientapplications", "participants", "channels", "orchestrations", "accounts"]
)
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_an_unknown_id_is_404_with_an_egain_body(api: httpx.Client, graph: Graph, collection: str, method: str) -> None:
    body = _valid_body(graph, collection) if method == "PUT" else None
    response = api.request(method, f"/{collection}/{MISSING_ID}", json=body)
    assert response.status_code == 404
    assert response.json()["code"] == "404-101"
    assert MISSING_ID in response.json()["developerMessage"]


def test_an_id_of_another_kind_is_not_found(api: httpx.Client, graph: Graph) -> None:
    assert api.get(f"/channels/{graph.account}").json()["code"] == "404-101"


def test_unknown_paths_and_methods_answer_with_egain_bodies(api: httpx.Client) -> None:
    assert api.get("/assets").json()["code"] == "404-102"
    response = api.patch("/channels")
    assert (response.status_code, response.json()["code"]) == (405, "405-101")


def test_modified_that_is_not_a_date_time_is_refused(api: httpx.Client, graph: Graph) -> None:
    response = api.put(f"/channels/{graph.channel}", json=_valid_body(graph, "channels") | {"modified": "yesterday"})
    assert (response.status_code, response.json()["code"]) == (400, "400-152")

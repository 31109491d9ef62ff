"""Every constraint of the spec's request schemas is enforced, with the spec's status and error code."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.sandbox.examples import Graph, collection_of, full_body

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
_ROLE_NAMES = ["customer", "custom_bot", "egain_bot", "egain_agent", "custom_agent", "business_notification"]
_RICH = ["listpicker", "timepicker", "richlink", "quickreply", "template", "form", "authentication", "payment", "app"]
_OUT = "restrictions.outbound"
_IN = "restrictions.inbound"
_BOT = "applications.botConfiguration"
_CHAT = "chatConfigurations"


def _attributes(count: int) -> list[dict[str, str]]:
    return [{"name": f"a{n}", "value": "v"} for n in range(count)]


# (body, dotted path, new value from the graph, expected code, attribute named in the message); the
# body is a collection, or "oauth2" for the OAuth authentication. Codes are the spec's: 400-143
# required missing, 400-196 value not allowed, 400-358 too long, 400-420 unknown attribute.
CASES: list[Case] = [
    ("authentications", "name", lambda g: REMOVE, "400-143", "name"),
    ("authentications", "type", lambda g: REMOVE, "400-143", "type"),
    ("authentications", "name", lambda g: "", "400-196", "name"),
    ("authentications", "name", lambda g: "n" * 256, "400-358", "name"),
    ("authentications", "description", lambda g: "", "400-196", "description"),
    ("authentications", "description", lambda g: "d" * 1024, "400-358", "description"),
    ("authentications", "type", lambda g: "digest", "400-196", "type"),
    ("authentications", "active", lambda g: "yes", "400-196", "active"),
    ("authentications", "name", lambda g: None, "400-196", "name"),
    ("authentications", "basicAuth", lambda g: REMOVE, "400-143", "basicAuth"),
    ("authentications", "basicAuth.password", lambda g: REMOVE, "400-143", "basicAuth.password"),
    ("authentications", "basicAuth.password", lambda g: "p" * 256, "400-358", "basicAuth.password"),
    ("authentications", "basicAuth.username", lambda g: 7, "400-196", "basicAuth.username"),
    ("authentications", "basicAuth.username", lambda g: "", "400-196", "basicAuth.username"),
    ("authentications", "type", lambda g: "oauth2", "400-143", "oauth2"),
    ("authentications", "oauth2", lambda g: {"method": "POST"}, "400-420", "oauth2"),
    ("authentications", "colour", lambda g: "blue", "400-420", "colour"),
    ("authentications", "basicAuth.realm", lambda g: "r", "400-420", "basicAuth.realm"),
    ("oauth2", "oauth2.headers", lambda g: REMOVE, "400-143", "oauth2.headers"),
    ("oauth2", "oauth2.headers", lambda g: [], "400-196", "oauth2.headers"),
    ("oauth2", "oauth2.headers", lambda g: _attributes(26), "400-358", "oauth2.headers"),
    ("oauth2", "oauth2.headers.0.value", lambda g: "v" * 1024, "400-358", "oauth2.headers[0].value"),
    ("oauth2", "oauth2.method", lambda g: "PATCH", "400-196", "oauth2.method"),
    ("oauth2", "oauth2.method", lambda g: REMOVE, "400-143", "oauth2.method"),
    ("oauth2", "oauth2.payload", lambda g: "p" * 2000, "400-358", "oauth2.payload"),
    ("oauth2", "oauth2.payload", lambda g: "", "400-196", "oauth2.payload"),
    ("oauth2", "oauth2.tokenRequestUrl", lambda g: "https://t.example.com/" + "t" * 234, "400-358", "tokenRequestUrl"),
    ("oauth2", "oauth2.accessTokenPath", lambda g: REMOVE, "400-143", "oauth2.accessTokenPath"),
    ("oauth2", "oauth2.accessTokenPath", lambda g: "$" * 1025, "400-358", "oauth2.accessTokenPath"),
    ("oauth2", "basicAuth", lambda g: {"username": "u", "password": "p"}, "400-420", "basicAuth"),
    ("clientapplications", "roles", lambda g: REMOVE, "400-143", "roles"),
    ("clientapplications", "roles", lambda g: [], "400-196", "roles"),
    ("clientapplications", "roles", lambda g: [ROLE | {"name": n} for n in _ROLE_NAMES * 2][:8], "400-358", "roles"),
    ("clientapplications", "roles", lambda g: [ROLE, ROLE], "400-196", "roles[1].name"),
    ("clientapplications", "roles.0.name", lambda g: "robot", "400-196", "roles[0].name"),
    ("clientapplications", "roles.0.version", lambda g: "v2", "400-196", "roles[0].version"),
    ("clientapplications", "roles.0.callback", lambda g: REMOVE, "400-143", "roles[0].callback"),
    ("clientapplications", "roles.0.callback", lambda g: "https://c.example.com/" + "c" * 1002, "400-358", "callback"),
    ("clientapplications", "roles.0.notificationEmail", lambda g: REMOVE, "400-143", "roles[0].notificationEmail"),
    ("clientapplications", "roles.0.notificationEmail", lambda g: "a" * 250 + "@b.com", "400-358", "notificationEmail"),
    ("clientapplications", "roles.0.headers", lambda g: [{"name": "h"}], "400-143", "roles[0].headers[0].value"),
    ("clientapplications", "roles.0.headers", lambda g: "h: v", "400-196", "roles[0].headers"),
    ("clientapplications", "roles.0.headers", lambda g: _attributes(26), "400-358", "roles[0].headers"),
    ("clientapplications", "roles.0.headers.0.name", lambda g: "", "400-196", "roles[0].headers[0].name"),
    ("clientapplications", "roles.0.authentication", lambda g: {}, "400-143", "roles[0].authentication.id"),
    ("clientapplications", "roles.0.authentication.id", lambda g: g.oauth[:35], "400-196", "authentication.id"),
    ("clientapplications", "roles.0.authentication.id", lambda g: g.oauth + "0", "400-358", "authentication.id"),
    ("clientapplications", "roles.0.authentication.id", lambda g: MISSING_ID, "400-151", "authentication.id"),
    ("clientapplications", "roles.0.authentication.id", lambda g: g.channel, "400-151", "authentication.id"),
    ("participants", "application", lambda g: REMOVE, "400-143", "application"),
    ("participants", "application.id", lambda g: "short", "400-196", "application.id"),
    ("participants", "application.id", lambda g: MISSING_ID, "400-151", "application.id"),
    ("participants", "application.id", lambda g: g.participant, "400-151", "application.id"),
    ("participants", "type", lambda g: "custom_agent", "400-196", "type"),
    ("participants", "intents", lambda g: {}, "400-143", "intents.intent"),
    ("participants", "intents.intent", lambda g: [], "400-196", "intents.intent"),
    (
        "participants",
        "intents.intent",
        lambda g: [{"value": f"i{n}", "displayValue": "I"} for n in range(501)],
        "400-358",
        "intents.intent",
    ),
    ("participants", "intents.intent.0.displayValue", lambda g: REMOVE, "400-143", "intents.intent[0].displayValue"),
    ("participants", "intents.intent.0.value", lambda g: "v" * 256, "400-358", "intents.intent[0].value"),
    ("participants", "options", lambda g: [], "400-196", "options"),
    ("participants", "options", lambda g: _attributes(26), "400-358", "options"),
    ("channels", "type", lambda g: REMOVE, "400-143", "type"),
    ("channels", "displayName", lambda g: REMOVE, "400-143", "displayName"),
    ("channels", "icon", lambda g: REMOVE, "400-143", "icon"),
    ("channels", "icon", lambda g: "i" * 512001, "400-358", "icon"),
    ("channels", "type", lambda g: "t" * 256, "400-358", "type"),
    ("channels", "displayName", lambda g: "", "400-196", "displayName"),
    ("channels", "restrictions.sideways", lambda g: {}, "400-420", "restrictions.sideways"),
    ("channels", "l10nProperties", lambda g: [], "400-196", "l10nProperties"),
    (
        "channels",
        "l10nProperties",
        lambda g: [{"language": "en-US", "properties": []}] * 26,
        "400-358",
        "l10nProperties",
    ),
    ("channels", "l10nProperties.0.language", lambda g: REMOVE, "400-143", "l10nProperties[0].language"),
    ("channels", "l10nProperties.0.language", lambda g: "xx-XX", "400-196", "l10nProperties[0].language"),
    ("channels", "l10nProperties.0.properties", lambda g: [], "400-196", "l10nProperties[0].properties"),
    ("channels", "l10nProperties.0.properties", lambda g: _attributes(76), "400-358", "l10nProperties[0].properties"),
    ("channels", f"{_IN}.attachmentPolicy.type", lambda g: "maybe", "400-196", f"{_IN}.attachmentPolicy.type"),
    ("channels", f"{_IN}.attachmentPolicy.maxSize", lambda g: 0, "400-196", f"{_IN}.attachmentPolicy.maxSize"),
    ("channels", f"{_IN}.attachmentPolicy.maxSize", lambda g: 10485761, "400-196", "attachmentPolicy.maxSize"),
    ("channels", f"{_IN}.attachmentPolicy.extensions", lambda g: [], "400-196", "attachmentPolicy.extensions"),
    ("channels", f"{_IN}.attachmentPolicy.extensions", lambda g: ["x"] * 76, "400-358", "attachmentPolicy.extensions"),
    ("channels", f"{_IN}.attachmentPolicy.extensions.0", lambda g: "", "400-196", "attachmentPolicy.extensions[0]"),
    ("channels", f"{_IN}.attachmentPolicy.enabled", lambda g: "true", "400-196", "attachmentPolicy.enabled"),
    ("channels", f"{_IN}.maxTextLength", lambda g: "140", "400-196", f"{_IN}.maxTextLength"),
    ("channels", f"{_IN}.maxTextLength", lambda g: 0, "400-196", f"{_IN}.maxTextLength"),
    ("channels", f"{_IN}.maxTextLength", lambda g: 10001, "400-196", f"{_IN}.maxTextLength"),
    (
        "channels",
        f"{_IN}.features",
        lambda g: ["typing_events", "attachments", "richText", "delivery_receipts", "x"],
        "400-358",
        f"{_IN}.features",
    ),
    ("channels", f"{_IN}.features", lambda g: ["voice"], "400-196", f"{_IN}.features[0]"),
    ("channels", f"{_IN}.features", lambda g: [], "400-196", f"{_IN}.features"),
    ("channels", f"{_OUT}.maxTextLength", lambda g: 1.5, "400-196", f"{_OUT}.maxTextLength"),
    ("channels", f"{_OUT}.midChatAuth", lambda g: 1, "400-196", f"{_OUT}.midChatAuth"),
    ("channels", f"{_OUT}.systemMessages", lambda g: None, "400-196", f"{_OUT}.systemMessages"),
    (
        "channels",
        f"{_OUT}.features",
        lambda g: ["typing_events", "attachments", "richText", "delivery_receipts"],
        "400-358",
        f"{_OUT}.features",
    ),
    ("channels", f"{_OUT}.richMessageTypes", lambda g: ["carousel"], "400-196", f"{_OUT}.richMessageTypes[0]"),
    ("channels", f"{_OUT}.richMessageTypes", lambda g: [*_RICH, "form"], "400-358", f"{_OUT}.richMessageTypes"),
    ("channels", f"{_OUT}.customerServiceWindow", lambda g: {}, "400-143", "customerServiceWindow.durationMinutes"),
    (
        "channels",
        f"{_OUT}.customerServiceWindow",
        lambda g: {"durationMinutes": 10081},
        "400-196",
        "customerServiceWindow.durationMinutes",
    ),
    (
        "channels",
        f"{_OUT}.customerServiceWindow",
        lambda g: {"durationMinutes": 60, "continueMessageTypes": ["text"]},
        "400-196",
        "customerServiceWindow.continueMessageTypes[0]",
    ),
    (
        "channels",
        f"{_OUT}.customerServiceWindow",
        lambda g: {"durationMinutes": 60, "continueMessageTypes": []},
        "400-196",
        "customerServiceWindow.continueMessageTypes",
    ),
    ("orchestrations", "applications", lambda g: REMOVE, "400-143", "applications"),
    ("orchestrations", "name", lambda g: REMOVE, "400-143", "name"),
    ("orchestrations", _BOT, lambda g: REMOVE, "400-143", "applications.botConfiguration"),
    ("orchestrations", f"{_BOT}.bots", lambda g: REMOVE, "400-143", "botConfiguration.bots"),
    ("orchestrations", f"{_BOT}.bots", lambda g: [], "400-196", "botConfiguration.bots"),
    ("orchestrations", f"{_BOT}.bots.0.participant", lambda g: REMOVE, "400-143", "bots[0].participant"),
    ("orchestrations", f"{_BOT}.bots.0.participant.id", lambda g: MISSING_ID, "400-151", "bots[0].participant.id"),
    ("orchestrations", f"{_BOT}.bots.0.id", lambda g: g.participant, "400-151", "bots[0].id"),
    ("orchestrations", f"{_BOT}.bots.0.onEscalation.agent.id", lambda g: MISSING_ID, "400-151", "agent.id"),
    ("orchestrations", f"{_BOT}.bots.0.onEscalation", lambda g: {}, "400-143", "bots[0].onEscalation.agent"),
    (
        "orchestrations",
        f"{_BOT}.bots",
        lambda g: [{"id": g.bot_app, "participant": {"id": g.participant}}] * 2,
        "400-358",
        "botConfiguration.bots",
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
        "applications.agentConfiguration",
        lambda g: {"agents": [{"id": g.agent_app}, {"id": g.customer_app}]},
        "400-358",
        "agentConfiguration.agents",
    ),
    ("orchestrations", "applications.agentConfiguration", lambda g: {"agents": []}, "400-196", "agents"),
    ("orchestrations", f"{_BOT}.bypassVaDuration", lambda g: "5", "400-196", "botConfiguration.bypassVaDuration"),
    ("orchestrations", f"{_BOT}.bypassVaDuration", lambda g: 0.5, "400-196", "botConfiguration.bypassVaDuration"),
    ("orchestrations", f"{_BOT}.bypassVaDuration", lambda g: 10081, "400-196", "botConfiguration.bypassVaDuration"),
    ("orchestrations", f"{_BOT}.forwardTranscript", lambda g: "yes", "400-196", "botConfiguration.forwardTranscript"),
    ("orchestrations", "description", lambda g: "", "400-196", "description"),
    ("accounts", "name", lambda g: REMOVE, "400-143", "name"),
    ("accounts", "address", lambda g: REMOVE, "400-143", "address"),
    ("accounts", "channel", lambda g: REMOVE, "400-143", "channel"),
    ("accounts", _CHAT, lambda g: REMOVE, "400-143", "chatConfigurations"),
    ("accounts", "address", lambda g: "a" * 256, "400-358", "address"),
    ("accounts", "address", lambda g: "", "400-196", "address"),
    ("accounts", "name", lambda g: "n" * 256, "400-358", "name"),
    ("accounts", "channel.id", lambda g: MISSING_ID, "400-151", "channel.id"),
    ("accounts", "channel.id", lambda g: g.orchestration, "400-151", "channel.id"),
    ("accounts", f"{_CHAT}.orchestration.id", lambda g: g.channel, "400-151", "orchestration.id"),
    ("accounts", f"{_CHAT}.orchestration", lambda g: REMOVE, "400-143", "chatConfigurations.orchestration"),
    ("accounts", f"{_CHAT}.entryPoint", lambda g: REMOVE, "400-143", "chatConfigurations.entryPoint"),
    ("accounts", f"{_CHAT}.onAgentUnavailability", lambda g: "queue", "400-196", "onAgentUnavailability"),
    ("accounts", f"{_CHAT}.timeout", lambda g: "30", "400-196", "chatConfigurations.timeout"),
    ("accounts", f"{_CHAT}.timeout", lambda g: 1, "400-196", "chatConfigurations.timeout"),
    ("accounts", f"{_CHAT}.timeout", lambda g: 10081, "400-196", "chatConfigurations.timeout"),
    ("accounts", f"{_CHAT}.allowLogoutWithOpenChats", lambda g: 0, "400-196", "allowLogoutWithOpenChats"),
    ("accounts", f"{_CHAT}.entryPoint", lambda g: {}, "400-143", "chatConfigurations.entryPoint.id"),
    ("accounts", f"{_CHAT}.entryPoint.id", lambda g: "e" * 256, "400-358", "chatConfigurations.entryPoint.id"),
    ("accounts", f"{_CHAT}.entryPoint.id", lambda g: "", "400-196", "chatConfigurations.entryPoint.id"),
    ("accounts", "attributes", lambda g: [], "400-196", "attributes"),
    ("accounts", "attributes", lambda g: _attributes(11), "400-358", "attributes"),
    ("accounts", "attributes.0.value", lambda g: "v" * 1024, "400-358", "attributes[0].value"),
    ("accounts", "caseManagement.sameCaseDuration", lambda g: True, "400-196", "caseManagement.sameCaseDuration"),
    ("accounts", "caseManagement.sameCaseDuration", lambda g: 0, "400-196", "caseManagement.sameCaseDuration"),
    ("accounts", "caseManagement.copyCustomAttributes", lambda g: "no", "400-196", "copyCustomAttributes"),
]


def _case_id(case: Case) -> str:
    body, path, _, code, _ = case
    return f"{body}:{path}:{code}"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_create_refuses_an_invalid_body(api: httpx.Client, graph: Graph, case: Case) -> None:
    kind, path, value, code, attribute = case
    collection = collection_of(kind)
    body = edited(full_body(graph, kind), path, value(graph))
    before = api.get(f"/{collection}").json()["paginationInfo"]["count"]
    response = api.post(f"/{collection}", json=body)
    assert response.status_code == int(code[:3]), response.text
    assert response.json()["code"] == code
    assert attribute in response.json()["developerMessage"]
    assert api.get(f"/{collection}").json()["paginationInfo"]["count"] == before


@pytest.mark.parametrize("case", CASES[::4], ids=_case_id)
def test_update_refuses_an_invalid_body_and_keeps_the_object(api: httpx.Client, graph: Graph, case: Case) -> None:
    kind, path, value, code, attribute = case
    collection = collection_of(kind)
    created = api.post(f"/{collection}", json=full_body(graph, kind)).json()["id"]
    stored = api.get(f"/{collection}/{created}").json()
    response = api.put(f"/{collection}/{created}", json=edited(full_body(graph, kind), path, value(graph)))
    assert response.json()["code"] == code
    assert attribute in response.json()["developerMessage"]
    assert api.get(f"/{collection}/{created}").json() == stored


def test_the_valid_bodies_used_above_are_accepted(api: httpx.Client, graph: Graph) -> None:
    for kind in [*graph.bodies(), "oauth2"]:
        response = api.post(f"/{collection_of(kind)}", json=full_body(graph, kind))
        assert response.status_code == 201, response.text


Accepted = tuple[str, str, Callable[[Graph], Any]]

# Values at the spec's limits, and values the spec allows though one might expect them refused.
ACCEPTED: list[Accepted] = [
    ("authentications", "name", lambda g: "n" * 255),
    ("oauth2", "oauth2.payload", lambda g: "p" * 1024),
    ("oauth2", "oauth2.method", lambda g: "GET"),
    ("oauth2", "oauth2.headers", lambda g: _attributes(25)),
    ("oauth2", "oauth2.tokenRequestUrl", lambda g: "token-service"),  # the spec declares no URL format
    ("clientapplications", "roles.0.callback", lambda g: "callback-service"),
    ("clientapplications", "roles.0.notificationEmail", lambda g: "admin"),  # nor an e-mail format
    ("clientapplications", "roles.0.version", lambda g: "v1"),
    ("participants", "intents.intent", lambda g: [{"value": f"i{n}", "displayValue": "I"} for n in range(500)]),
    ("participants", "options", lambda g: _attributes(25)),
    ("channels", f"{_IN}.features", lambda g: ["typing_events", "attachments", "richText", "delivery_receipts"]),
    ("channels", f"{_OUT}.features", lambda g: ["typing_events", "attachments", "delivery_receipts"]),
    ("channels", f"{_OUT}.richMessageTypes", lambda g: _RICH),
    ("channels", f"{_OUT}.customerServiceWindow", lambda g: {"durationMinutes": 10080, "continueMessageTypes": _RICH}),
    ("channels", f"{_IN}.maxTextLength", lambda g: 10000),
    ("channels", f"{_OUT}.maxTextLength", lambda g: 140.0),  # JSON cannot tell 140.0 from 140
    ("channels", f"{_IN}.attachmentPolicy.maxSize", lambda g: 10485760),
    ("channels", f"{_IN}.attachmentPolicy.extensions", lambda g: [f"x{n}" for n in range(75)]),
    ("channels", "l10nProperties.0.language", lambda g: "sv-SE"),
    ("channels", "l10nProperties.0.properties", lambda g: _attributes(75)),
    ("orchestrations", "name", lambda g: ""),  # the spec sets no length on an orchestration's name
    ("orchestrations", f"{_BOT}.bypassVaDuration", lambda g: 10080),
    ("orchestrations", f"{_BOT}.bypassVaDuration", lambda g: 1.5),
    ("accounts", f"{_CHAT}.timeout", lambda g: 3),
    ("accounts", f"{_CHAT}.timeout", lambda g: 10080),
    ("accounts", f"{_CHAT}.timeout", lambda g: 3.5),
    ("accounts", f"{_CHAT}.defaultLanguage", lambda g: "xx-XX"),  # only l10nProperties languages are an enum
    ("accounts", "attributes", lambda g: _attributes(10)),
    ("accounts", "caseManagement.sameCaseDuration", lambda g: 10080),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=lambda case: f"{case[0]}:{case[1]}")
def test_values_the_spec_allows_are_accepted(api: httpx.Client, graph: Graph, case: Accepted) -> None:
    kind, path, value = case
    response = api.post(f"/{collection_of(kind)}", json=edited(full_body(graph, kind), path, value(graph)))
    assert response.status_code == 201, response.text


def test_a_role_list_of_seven_is_accepted(api: httpx.Client, graph: Graph) -> None:
    roles = [ROLE | {"name": name} for name in _ROLE_NAMES]
    body = edited(full_body(graph, "clientapplications"), "roles", roles)
    assert api.post("/clientapplications", json=body).status_code == 201


def test_authentication_refuses_credentials_of_the_other_type_as_unknown(api: httpx.Client, graph: Graph) -> None:
    complete = {"tokenRequestUrl": "https://t.example.com", "method": "POST", "payload": "{}", "accessTokenPath": "$.t"}
    body = full_body(graph, "authentications") | {"oauth2": complete | {"headers": [{"name": "h", "value": "v"}]}}
    response = api.post("/authentications", json=body)
    assert (response.status_code, response.json()["code"]) == (400, "400-420")
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
    body = full_body(graph, collection) if method == "PUT" else None
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
    response = api.put(f"/channels/{graph.channel}", json=full_body(graph, "channels") | {"modified": "yesterday"})
    assert (response.status_code, response.json()["code"]) == (400, "400-196")

"""Every request example of eGain's spec is accepted, and each operation asks for the spec's permission.

The examples refer to objects by made-up ids; each test creates the objects they refer to first
and substitutes their ids (and, for a PUT, the object's current `modified`). Read back, the object
is the example plus `active`, whose default is true.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from egain_provision.sandbox.testing import ServedSandbox
from tests.sandbox.examples import (
    BASIC_AUTHENTICATION,
    BYOC_CHANNEL,
    OAUTH_AUTHENTICATION,
    account,
    client_application,
    create,
    orchestration_with_bot,
    participant,
)
from tests.sandbox.spec import API_YAML, request_examples, setup_operations

MANAGE = "app.conversation.conversationmgr.manage"
READ = "app.conversation.conversationmgr.read"
MISSING_ID = "00000000-0000-4000-8000-000000000000"


def _example_cases() -> list[Any]:
    if not API_YAML.is_file():
        return [pytest.param(None, None, None, marks=pytest.mark.skip(reason=f"eGain's spec is absent: {API_YAML}"))]
    cases = []
    for method, path, operation in setup_operations():
        for name, example in request_examples(operation).items():
            case_id = f"{operation['operationId']}:{name}"
            cases.append(pytest.param(method, path.split("/")[1], example, id=case_id))
    return cases


def _prerequisites(api: httpx.Client) -> dict[str, str]:
    """One object of every kind an example may refer to, named apart from every example's name."""
    oauth = create(api, "authentications", copy.deepcopy(OAUTH_AUTHENTICATION) | {"name": "prerequisite_auth"})
    bot_app = create(api, "clientapplications", client_application("prerequisite_bot", "custom_bot", oauth))
    agent_app = create(api, "clientapplications", client_application("prerequisite_agent", "custom_agent"))
    customer_app = create(api, "clientapplications", client_application("prerequisite_customer", "customer"))
    bot = create(api, "participants", participant(bot_app, name="prerequisite_participant"))
    channel = create(api, "channels", copy.deepcopy(BYOC_CHANNEL) | {"type": "prerequisite_channel"})
    orchestration = create(api, "orchestrations", orchestration_with_bot(bot_app, bot, agent_app, customer_app))
    return {
        "authentication": oauth,
        "application": bot_app,
        "bots": bot_app,
        "participant": bot,
        "agent": agent_app,
        "agents": agent_app,
        "customer": customer_app,
        "channel": channel,
        "orchestration": orchestration,
    }


def _with_ids(node: Any, ids: dict[str, str], holder: str = "") -> Any:
    """`node` with every `{id}` under a reference attribute (or in a `bots`/`agents` list) replaced."""
    if isinstance(node, list):
        return [_with_ids(item, ids, holder) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: _with_ids(value, ids, key) for key, value in node.items()}
    if "id" in result and holder in ids:
        result["id"] = ids[holder]
    return result


def _existing(api: httpx.Client, collection: str, ids: dict[str, str]) -> str:
    """An object for a PUT example to replace."""
    bodies = {
        "authentications": copy.deepcopy(BASIC_AUTHENTICATION) | {"name": "to_replace"},
        "clientapplications": client_application("to_replace", "customer"),
        "participants": participant(ids["application"], name="to_replace"),
        "channels": copy.deepcopy(BYOC_CHANNEL) | {"type": "to_replace"},
        "orchestrations": orchestration_with_bot(ids["bots"], ids["participant"], ids["agent"], ids["customer"]),
        "accounts": account(ids["channel"], ids["orchestration"], name="to_replace"),
    }
    return create(api, collection, bodies[collection])


@pytest.mark.parametrize(("method", "collection", "example"), _example_cases())
def test_every_request_example_of_the_spec_is_accepted_and_read_back(
    api: httpx.Client, method: str, collection: str, example: dict[str, Any]
) -> None:
    ids = _prerequisites(api)
    body = _with_ids(example, ids)
    if method == "POST":
        response = api.post(f"/{collection}", json=body)
        assert response.status_code == 201, response.text
        object_id = response.json()["id"]
    else:
        object_id = _existing(api, collection, ids)
        if "modified" in body:
            body["modified"] = api.get(f"/{collection}/{object_id}").json()["modified"]
        response = api.put(f"/{collection}/{object_id}", json=body)
        assert response.status_code == 204, response.text
    stored = api.get(f"/{collection}/{object_id}").json()
    expected = {"active": True, **{key: value for key, value in body.items() if key != "modified"}}
    assert {key: value for key, value in stored.items() if key not in ("id", "created", "modified")} == expected


def _permission_cases() -> list[Any]:
    if not API_YAML.is_file():
        return [pytest.param(None, None, None, marks=pytest.mark.skip(reason=f"eGain's spec is absent: {API_YAML}"))]
    return [
        pytest.param(method, path, frozenset(operation["x-egain-app-permissions"]), id=operation["operationId"])
        for method, path, operation in setup_operations()
    ]


@pytest.mark.parametrize(("method", "path", "permissions"), _permission_cases())
@pytest.mark.parametrize("permission", [MANAGE, READ])
def test_each_operation_asks_for_the_permission_the_spec_lists(
    clean_sandbox: ServedSandbox, method: str, path: str, permissions: frozenset[str], permission: str
) -> None:
    url = clean_sandbox.base_url + path.replace("{id}", MISSING_ID)
    headers = {"Authorization": f"Bearer {clean_sandbox.token(permission)}"}
    response = httpx.request(method, url, headers=headers, json=BYOC_CHANNEL if method in ("POST", "PUT") else None)
    if permission in permissions:
        assert response.status_code != 403, response.text
    else:
        assert (response.status_code, response.json()["code"]) == (403, "403-197")

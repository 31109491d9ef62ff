"""`echo_defaults`: answers carry the spec's default for every attribute the request omitted."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from egain_provision.sandbox.testing import ServedSandbox, served_subprocess
from tests.sandbox.examples import BYOC_CHANNEL, Graph, account, create, orchestration_with_bot
from tests.sandbox.spec import spec_or_skip

CHAT_DEFAULTS = {
    "timeout": 240,
    "defaultLanguage": "en-US",
    "onAgentUnavailability": "off_hours",
    "allowLogoutWithOpenChats": False,
    "allowQueueTransferOnAgentUnavailability": False,
}
POLICY_DEFAULTS = {"enabled": True, "maxSize": 10485760}


def _bare_account(graph: Graph) -> dict[str, Any]:
    body = account(graph.channel, graph.orchestration, name="bare_account")
    body["chatConfigurations"] = {
        "orchestration": {"id": graph.orchestration},
        "entryPoint": {"id": "1001"},
    }
    return body


def _bare_channel() -> dict[str, Any]:
    body = {key: value for key, value in BYOC_CHANNEL.items() if key not in ("restrictions", "active")}
    body["type"] = "bare_channel"
    body["restrictions"] = {"inbound": {"attachmentPolicy": {}}, "outbound": {"attachmentPolicy": {}}}
    return body


def _bare_orchestration(graph: Graph) -> dict[str, Any]:
    body = orchestration_with_bot(graph.bot_app, graph.participant, graph.agent_app, graph.customer_app)
    del body["applications"]["botConfiguration"]["forwardTranscript"]
    return body


@pytest.fixture
def echoing(clean_sandbox: ServedSandbox) -> Iterator[ServedSandbox]:
    clean_sandbox.set_options(echo_defaults=True)
    yield clean_sandbox
    clean_sandbox.set_options(echo_defaults=False)


def test_answers_carry_no_defaults_unless_asked(api: httpx.Client, graph: Graph) -> None:
    stored = api.get(f"/accounts/{create(api, 'accounts', _bare_account(graph))}").json()
    assert set(stored["chatConfigurations"]) == {"orchestration", "entryPoint"}


def test_an_account_answer_carries_the_chat_configuration_defaults(
    echoing: ServedSandbox, api: httpx.Client, graph: Graph
) -> None:
    stored = api.get(f"/accounts/{create(api, 'accounts', _bare_account(graph))}").json()
    assert stored["chatConfigurations"] == {
        **CHAT_DEFAULTS,
        "orchestration": {"id": graph.orchestration},
        "entryPoint": {"id": "1001"},
    }


def test_a_channel_answer_carries_the_restriction_defaults_only_where_the_request_has_the_object(
    echoing: ServedSandbox, api: httpx.Client, graph: Graph
) -> None:
    stored = api.get(f"/channels/{create(api, 'channels', _bare_channel())}").json()
    assert stored["active"] is True
    assert stored["restrictions"] == {
        "inbound": {"maxTextLength": 10000, "attachmentPolicy": POLICY_DEFAULTS},
        "outbound": {
            "maxTextLength": 10000,
            "systemMessages": False,
            "midChatAuth": False,
            "attachmentPolicy": POLICY_DEFAULTS,
        },
    }
    without = {key: value for key, value in _bare_channel().items() if key != "restrictions"} | {"type": "plain"}
    assert "restrictions" not in api.get(f"/channels/{create(api, 'channels', without)}").json()


def test_an_orchestration_answer_forwards_the_transcript_by_default(
    echoing: ServedSandbox, api: httpx.Client, graph: Graph
) -> None:
    stored = api.get(f"/orchestrations/{create(api, 'orchestrations', _bare_orchestration(graph))}").json()
    assert stored["applications"]["botConfiguration"]["forwardTranscript"] is True


def test_values_the_request_sent_win_over_defaults_and_lists_carry_defaults_too(
    echoing: ServedSandbox, api: httpx.Client, graph: Graph
) -> None:
    body = _bare_account(graph)
    body["chatConfigurations"]["timeout"] = 30
    object_id = create(api, "accounts", body)
    listed = {item["id"]: item for item in api.get("/accounts").json()["account"]}
    assert listed[object_id]["chatConfigurations"]["timeout"] == 30
    assert listed[object_id]["chatConfigurations"]["defaultLanguage"] == "en-US"


def test_the_option_changes_at_runtime_and_applies_to_objects_already_stored(
    clean_sandbox: ServedSandbox, api: httpx.Client, graph: Graph
) -> None:
    object_id = create(api, "accounts", _bare_account(graph))
    assert clean_sandbox.set_options(echo_defaults=True)["echo_defaults"] is True
    assert api.get(f"/accounts/{object_id}").json()["chatConfigurations"]["timeout"] == 240
    assert clean_sandbox.set_options(echo_defaults=False)["echo_defaults"] is False
    assert "timeout" not in api.get(f"/accounts/{object_id}").json()["chatConfigurations"]


@pytest.mark.parametrize("options", [{"echo_defaults": "yes"}, {"echo": True}, ["echo_defaults"]], ids=str)
def test_bad_options_are_refused_and_change_nothing(clean_sandbox: ServedSandbox, options: Any) -> None:
    response = httpx.put(clean_sandbox.url + "/_sandbox/options", json=options)
    assert (response.status_code, response.json()["code"]) == (400, "400-105")
    assert httpx.get(clean_sandbox.url + "/_sandbox/options").json()["echo_defaults"] is False


def test_serve_echo_defaults_flag_turns_the_option_on(tmp_path: Path) -> None:
    with served_subprocess(str(tmp_path / "echo.db"), "--echo-defaults") as served:
        assert httpx.get(served.url + "/_sandbox/options").json()["echo_defaults"] is True


def _spec_defaults(schema: dict[str, Any], value: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    """(path, the spec's default, the answer's value) for every defaulted attribute whose parent is present."""
    for sub in schema.get("allOf", []):
        yield from _spec_defaults(sub, value, path)
    for branch in schema.get("oneOf", []):
        if set(branch.get("required", ())) <= set(value):
            yield from _spec_defaults(branch, value, path)
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            yield from _spec_defaults(schema["items"], item, f"{path}[{index}]")
    if not isinstance(value, dict):
        return
    for name, sub in schema.get("properties", {}).items():
        if "default" in sub:
            yield f"{path}.{name}", sub["default"], value.get(name, "<absent>")
        if name in value:
            yield from _spec_defaults(sub, value[name], f"{path}.{name}")


def test_every_default_in_the_specs_request_schemas_is_echoed(
    echoing: ServedSandbox, api: httpx.Client, graph: Graph
) -> None:
    paths = spec_or_skip()["paths"]
    bodies = {
        "accounts": _bare_account(graph),
        "channels": _bare_channel(),
        "orchestrations": _bare_orchestration(graph),
    }
    checked = []
    for collection, body in bodies.items():
        schema = paths[f"/{collection}"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        answer = api.get(f"/{collection}/{create(api, collection, copy.deepcopy(body))}").json()
        for path, default, actual in _spec_defaults(schema, answer, collection):
            assert actual == default, path
            checked.append(path)
    # Each resource's `active`, the five chat configuration defaults, forwardTranscript, and both
    # directions' restrictions: every `default` the three request schemas declare.
    assert len(checked) == 17, checked

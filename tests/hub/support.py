"""Loopback bots the hub calls over real HTTP, and a setup that points the hub at them."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from egain_provision.sandbox.testing import ServedSandbox
from tests.support import Tenant

TOKEN_PAYLOAD = '{"clientId": "hub-test", "clientSecret": "Payload-S3cret-xyz"}'
BASIC_PASSWORD = "Basic-S3cret-pw"
WAIT = 10.0
# How long a slow callback blocks at most (the hub gives up long before, at its short limit).
SLOW_FOR = 5.0


@dataclass
class Received:
    """One request a bot received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class LoopbackBot:
    """A token endpoint (/token) and callbacks (/bot, /agent, /customer) on 127.0.0.1, recording every request.

    `token_answer` shapes the token endpoint's JSON; `refuse_next` answers that many callback requests
    401; `slow` paths block (bounded) so the hub's limit passes; `on_message(path, message)` runs
    after a callback answered, in a thread, for replies through the API.
    """

    token_answer: Callable[[str], Any] = lambda token: {"data": {"token": token}}
    basic: tuple[str, str] | None = None
    refuse_next: int = 0
    slow: set[str] = field(default_factory=set)
    on_message: Callable[[str, dict[str, Any]], None] | None = None
    received: list[Received] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    url: str = ""
    _release: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # The threads running `on_message`, joined on exit: a reply must not outlive what it replies with.
    _replies: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> LoopbackBot:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
        for reply in self._replies:
            reply.join(10)

    def requests_to(self, path: str) -> list[Received]:
        with self._lock:
            return [request for request in self.received if request.path == path]

    def messages_to(self, path: str) -> list[dict[str, Any]]:
        return [message for request in self.requests_to(path) for message in request.json()["messages"]["message"]]

    def answer(self, request: Received) -> tuple[int, Any]:
        with self._lock:
            self.received.append(request)
        if request.path == "/token":
            token = secrets.token_urlsafe(16)
            with self._lock:
                self.issued.append(token)
            return 200, self.token_answer(token)
        if request.path in self.slow:
            self._release.wait(SLOW_FOR)
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return 401, {"error": "expired"}
        # The customer front end declares no authentication; the bot and the agent desk do.
        if request.path != "/customer" and not self._authorized(request.headers.get("authorization", "")):
            return 401, {"error": "unauthorized"}
        return 200, {}

    def _authorized(self, header: str) -> bool:
        if self.basic is not None:
            expected = base64.b64encode(":".join(self.basic).encode()).decode()
            return header == f"Basic {expected}"
        scheme, _, token = header.partition(" ")
        with self._lock:
            return scheme == "Bearer" and token in self.issued


def _handler(bot: LoopbackBot) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, b"")
            request.body = self.rfile.read(length)
            status, body = bot.answer(request)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            if status == 200 and bot.on_message is not None and request.path != "/token":
                for message in request.json()["messages"]["message"]:
                    reply = threading.Thread(target=bot.on_message, args=(request.path, message), daemon=True)
                    with bot._lock:
                        bot._replies.append(reply)
                    reply.start()

        do_GET = do_POST = _any

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@dataclass
class Setup:
    """Ids of the objects `build_setup` created."""

    ids: dict[str, str]
    channel_type: str = "custom.web"
    address: str = "shop.example"


def build_setup(
    tenant: Tenant,
    bot: LoopbackBot,
    *,
    authentication: dict[str, Any] | None = None,
    bot_first: bool = True,
    chat: dict[str, Any] | None = None,
    bot_headers: list[dict[str, str]] | None = None,
) -> Setup:
    """A customer front end, a bot and an agent desk whose callbacks are `bot`'s, and one account."""
    auth = authentication or oauth2_authentication(bot)
    ids = {"auth": tenant.create("authentications", auth)}
    role = {"version": "v3", "notificationEmail": "ops@shop.example"}
    ids["customer"] = _application(tenant, "web", {**role, "name": "customer", "callback": bot.url + "/customer"})
    bot_role = {**role, "name": "custom_bot", "callback": bot.url + "/bot", "authentication": {"id": ids["auth"]}}
    ids["bot"] = _application(
        tenant, "order-bot-app", {**bot_role, **({"headers": bot_headers} if bot_headers else {})}
    )
    agent_role = {**role, "name": "custom_agent", "callback": bot.url + "/agent", "authentication": {"id": ids["auth"]}}
    ids["agent"] = _application(tenant, "agent-desk", agent_role)
    ids["participant"] = tenant.create(
        "participants", {"name": "order-bot", "type": "custom_bot", "application": {"id": ids["bot"]}}
    )
    ids["channel"] = tenant.create("channels", CHANNEL)
    applications: dict[str, Any] = {"customerConfiguration": {"customer": {"id": ids["customer"]}}}
    if bot_first:
        bots = [
            {
                "id": ids["bot"],
                "participant": {"id": ids["participant"]},
                "onEscalation": {"agent": {"id": ids["agent"]}},
            }
        ]
        applications["botConfiguration"] = {"bots": bots}
    else:
        applications["agentConfiguration"] = {"agents": [{"id": ids["agent"]}]}
    ids["orchestration"] = tenant.create("orchestrations", {"name": "routing", "applications": applications})
    chat_configurations = {"orchestration": {"id": ids["orchestration"]}, "entryPoint": {"id": "1001"}, **(chat or {})}
    ids["account"] = tenant.create(
        "accounts",
        {
            "name": "web-account",
            "address": "shop.example",
            "channel": {"id": ids["channel"]},
            "chatConfigurations": chat_configurations,
        },
    )
    return Setup(ids)


CHANNEL = {
    "type": "custom.web",
    "displayName": "Web chat",
    "icon": "iVBORw0KGgo=",
    "l10nProperties": [
        {
            "language": "en-US",
            "properties": [
                {"name": "msg_hub_off_hours", "value": "We are closed now."},
                {"name": "msg_hub_retain_and_retry", "value": "Agents are busy; please hold."},
            ],
        }
    ],
}


def oauth2_authentication(bot: LoopbackBot, **oauth2: Any) -> dict[str, Any]:
    """An oauth2 authentication asking `bot`'s token endpoint, with `oauth2` fields overridden."""
    declared = {
        "tokenRequestUrl": bot.url + "/token",
        "method": "POST",
        "headers": [{"name": "Content-Type", "value": "application/json"}, {"name": "X-Tenant", "value": "shop"}],
        "payload": TOKEN_PAYLOAD,
        "accessTokenPath": "$.data.token",
    }
    return {"name": "bot-callback", "type": "oauth2", "oauth2": {**declared, **oauth2}}


def _application(tenant: Tenant, name: str, role: dict[str, Any]) -> str:
    return tenant.create("clientApplications", {"name": name, "roles": [role]})


def customer_says(
    api: httpx.Client,
    text: str,
    conversation: str | None = None,
    *,
    type_value: str = "text",
    setup: Setup | None = None,
) -> httpx.Response:
    """The customer writes; without `conversation` the message names the account and starts one."""
    if conversation is None:
        assert setup is not None
        where: dict[str, Any] = {"account": {"channel": {"type": setup.channel_type}, "address": setup.address}}
    else:
        where = {"id": conversation}
    message = {
        "messageId": secrets.token_hex(8),
        "type": {"value": type_value},
        "content": {"text": text},
        "conversation": where,
        "sender": {"type": "customer", "participant": {"name": "Jo"}},
    }
    return api.post("/conversations/messages", json={"messages": {"message": [message]}})


def participant_says(
    api: httpx.Client, conversation: str, sender: str, type_value: str, text: str | None = None
) -> httpx.Response:
    """A bot or agent sends a message on `conversation`."""
    message: dict[str, Any] = {
        "conversation": {"id": conversation},
        "type": {"value": type_value},
        "sender": {"type": sender},
    }
    if text is not None:
        message["content"] = {"text": text}
    return api.post("/conversations/messages", json={"messages": {"message": [message]}})


def started(response: httpx.Response) -> str:
    assert response.status_code == 202, response.text
    conversation: str = response.json()["messages"]["message"][0]["conversation"]["id"]
    return conversation


def wait_for(condition: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    """Poll `condition` until it returns something truthy (bounded); fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


def deliveries(sandbox: ServedSandbox, conversation: str | None = None) -> list[dict[str, Any]]:
    query = f"?conversation={conversation}" if conversation else ""
    response = httpx.get(f"{sandbox.url}/_sandbox/deliveries{query}")
    response.raise_for_status()
    records: list[dict[str, Any]] = response.json()
    return records


def admin(sandbox: ServedSandbox, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(method, f"{sandbox.url}/_sandbox{path}", json=body)
    response.raise_for_status()
    return response.json()


def transcript(api: httpx.Client, conversation: str) -> list[dict[str, Any]]:
    response = api.get(f"/conversations/{conversation}")
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = (response.json().get("messages") or {}).get("message") or []
    return messages


def iter_texts(messages: list[dict[str, Any]]) -> Iterator[str]:
    for message in messages:
        text = (message.get("content") or {}).get("text")
        if isinstance(text, str):
            yield text

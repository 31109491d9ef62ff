"""A reference bot for examples/byoc: what the Conversation Hub calls, and how it answers.

Standard library only. It serves, on one loopback port:

  POST /oauth/token     the token endpoint of the byoc-bot-callback authentication: takes the JSON
                        payload {"clientId": ..., "clientSecret": ...} and answers {"accessToken": ...}
  POST /egain/bot       the order bot's callback (custom_bot role): answers 200 at once, then replies
                        to the customer through the Conversation API; "agent" in a message escalates
  POST /egain/agent     the agent desk's callback (custom_agent role): an agent that greets the customer
  POST /egain/customer  the web front end's callback (customer role): keeps what the customer received

Both callbacks that declare the authentication refuse a request without a token this bot issued
(401), as a real bot would; the hub then fetches a new one.

    python examples/byoc/bot/bot.py --port 8766 --api http://127.0.0.1:8765/conversation/conversationmgr/v3

The bot replies with the sandbox's documented client (sandbox-client / sandbox-secret, or
EGAIN_CLIENT_ID / EGAIN_CLIENT_SECRET) and the Conversation API's interaction scope.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

INTERACTION_SCOPE = "app.conversation.conversationmgr.interaction.manage"
BOT_NAME = "Order bot"
AGENT_NAME = "Alex (agent)"


class Bot:
    """The bot's state: the tokens it issued, its own token for the API, what the customer received."""

    def __init__(self, api: str, client_id: str, client_secret: str, payload: dict[str, str]) -> None:
        self.api = api.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.expected_payload = payload
        self.issued: set[str] = set()
        self.customer_inbox: list[dict[str, Any]] = []
        self._api_token: str | None = None
        self._lock = threading.Lock()

    def issue_token(self, payload: Any) -> str | None:
        """A new token when the payload carries the expected client id and secret, else None."""
        if not isinstance(payload, dict):
            return None
        expected = self.expected_payload
        if not all(secrets.compare_digest(str(payload.get(k, "")), v) for k, v in expected.items()):
            return None
        token = secrets.token_urlsafe(24)
        with self._lock:
            self.issued.add(token)
        return token

    def authorized(self, header: str | None) -> bool:
        """True when the Authorization header carries a token this bot issued."""
        scheme, _, token = (header or "").partition(" ")
        with self._lock:
            return scheme.lower() == "bearer" and token in self.issued

    def answer_as_bot(self, message: dict[str, Any]) -> None:
        """The order bot: an order number for a question, an escalation when asked for an agent."""
        text = str((message.get("content") or {}).get("text", ""))
        conversation = {"id": message["conversation"]["id"]}
        sender = {"type": "custom_bot", "participant": {"name": BOT_NAME}}
        if "agent" in text.lower():
            self.send({"conversation": conversation, "type": {"value": "escalation.transfer"}, "sender": sender})
            return
        reply = f"Your order ORDER-{abs(hash(conversation['id'])) % 100000:05d} ships tomorrow."
        self.send(
            {"conversation": conversation, "type": {"value": "text"}, "content": {"text": reply}, "sender": sender}
        )

    def answer_as_agent(self, message: dict[str, Any]) -> None:
        """The agent desk: greets the customer once the conversation reaches it."""
        conversation = {"id": message["conversation"]["id"]}
        sender = {"type": "custom_agent", "participant": {"name": AGENT_NAME}}
        text = "Hello, this is Alex from the order desk. How can I help?"
        self.send(
            {"conversation": conversation, "type": {"value": "text"}, "content": {"text": text}, "sender": sender}
        )

    def send(self, message: dict[str, Any]) -> None:
        """POST one message to the Conversation API, getting a token first if needed."""
        body = json.dumps({"messages": {"message": [{"messageId": secrets.token_hex(16), **message}]}}).encode()
        for _attempt in range(2):
            request = urllib.request.Request(
                self.api + "/conversations/messages",
                data=body,
                method="POST",
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {self._token()}"},
            )
            try:
                with urllib.request.urlopen(request, timeout=10):
                    return
            except urllib.error.HTTPError as error:
                if error.code != 401:
                    print(f"bot: the Conversation API answered {error.code}", file=sys.stderr)
                    return
                self._api_token = None  # expired: fetch a new one and try once more

    def _token(self) -> str:
        if self._api_token is None:
            root = self.api.split("/conversation/", 1)[0]
            form = {
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "scope": INTERACTION_SCOPE,
            }
            request = urllib.request.Request(
                os.environ.get("EGAIN_TOKEN_URL") or root + "/oauth2/token",
                data=urllib.parse.urlencode(form).encode(),
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                self._api_token = json.load(response)["access_token"]
        assert self._api_token is not None
        return self._api_token


def handler_for(bot: Bot) -> type[BaseHTTPRequestHandler]:
    """The request handler class bound to `bot`."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"null")
            except ValueError:
                self._answer(400, {"error": "not JSON"})
                return
            if self.path == "/oauth/token":
                token = bot.issue_token(body)
                self._answer(200, {"accessToken": token}) if token else self._answer(401, {"error": "bad client"})
                return
            routes = {"/egain/bot": bot.answer_as_bot, "/egain/agent": bot.answer_as_agent}
            if self.path in routes:
                if not bot.authorized(self.headers.get("Authorization")):
                    self._answer(401, {"error": "token unknown or missing"})
                    return
                self._answer(200, {})
                self._reply_later(body, routes[self.path])
            elif self.path == "/egain/customer":
                bot.customer_inbox.extend(_messages(body))
                self._answer(200, {})
            else:
                self._answer(404, {"error": "no such path"})

        def _reply_later(self, body: Any, answer: Any) -> None:
            # Answer the hub first (it allows 5 s), then reply through the API: a reply is a new message.
            for message in _messages(body):
                kind = (message.get("type") or {}).get("value")
                if (
                    kind in ("text", "escalation.transfer")
                    and (message.get("sender") or {}).get("type") != "custom_agent"
                ):
                    threading.Thread(target=answer, args=(message,), daemon=True).start()

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the sandbox records every delivery

    return Handler


def _messages(body: Any) -> list[dict[str, Any]]:
    listed = ((body or {}).get("messages") or {}).get("message") if isinstance(body, dict) else None
    return [m for m in listed or [] if isinstance(m, dict) and isinstance(m.get("conversation"), dict)]


def main() -> None:
    """Serve until interrupted; prints the URL it listens on."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--api", required=True, help="the Conversation API base URL (a served sandbox's)")
    args = parser.parse_args()
    # The token payload the hub sends: the byoc authentication's ${env:EGAIN_VAR_BOT_TOKEN_PAYLOAD}.
    payload = json.loads(
        os.environ.get("EGAIN_VAR_BOT_TOKEN_PAYLOAD") or '{"clientId": "demo", "clientSecret": "demo-only"}'
    )
    bot = Bot(
        args.api,
        os.environ.get("EGAIN_CLIENT_ID") or "sandbox-client",
        os.environ.get("EGAIN_CLIENT_SECRET") or "sandbox-secret",
        {str(k): str(v) for k, v in payload.items()},
    )
    server = ThreadingHTTPServer((args.host, args.port), handler_for(bot))
    print(f"bot: http://{args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

"""A bot for `check` to call: a token endpoint and a callback on 127.0.0.1, recording every request.

Served by http.server in a thread on a free port. Its behaviour is set per test through the
fields of `Bot`; a callback told to hold waits until the test ends (bounded), never a sleep.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN_PATH = "/oauth/token"
CALLBACK_PATH = "/egain/callback"
# How long a held callback waits at most for the test to end; far beyond any --callback-timeout used.
HOLD_BOUND = 10.0


@dataclass(frozen=True)
class Received:
    """One request as the bot saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def issued_token(number: int) -> str:
    """The token the bot issues on its `number`th token request (1-based)."""
    return f"bot-issued-token-{number}-Qv93"


@dataclass
class Bot:
    """What the token endpoint and the callback answer; `received` is every request, in order."""

    port: int = 0
    token_status: int = 200
    # The JSON (or raw bytes) the token endpoint answers to its nth request.
    token_answer: Callable[[int], Any] = lambda n: {"accessToken": issued_token(n), "expiresIn": 3600}
    # Sent as the token answer's Location header, for a redirect.
    token_location: str | None = None
    callback_status: int = 202
    # Authorization values the callback answers 401 to; `refuse_every_token` answers 401 to all.
    refused: set[str] = field(default_factory=set)
    refuse_every_token: bool = False
    hold_callback: bool = False
    released: threading.Event = field(default_factory=threading.Event)
    received: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def requests_to(self, path: str) -> list[Received]:
        return [request for request in self.received if request.path == path]


def _handler(bot: Bot) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _record(self) -> Received:
            length = int(self.headers.get("Content-Length") or 0)
            received = Received(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
            bot.received.append(received)
            return received

        def _answer(self, status: int, body: bytes = b"", location: str | None = None) -> None:
            self.send_response(status)
            if location is not None:
                self.send_header("Location", location)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _token(self) -> None:
            answer = bot.token_answer(len(bot.requests_to(TOKEN_PATH)))
            body = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            self._answer(bot.token_status, body, bot.token_location)

        def _callback(self, received: Received) -> None:
            if bot.hold_callback:
                bot.released.wait(HOLD_BOUND)
            authorization = received.headers.get("Authorization", "")
            if bot.refuse_every_token or authorization in bot.refused:
                self._answer(401)
            else:
                self._answer(bot.callback_status)

        def _serve(self) -> None:
            received = self._record()
            if received.path == TOKEN_PATH:
                self._token()
            elif received.path == CALLBACK_PATH:
                self._callback(received)
            else:
                self._answer(404)

        do_GET = do_POST = _serve

    return Handler


@contextmanager
def serve_bot(bot: Bot | None = None) -> Iterator[Bot]:
    """`bot` served on 127.0.0.1 at a free port until the block ends."""
    bot = bot or Bot()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(bot))
    server.daemon_threads = True
    bot.port = server.server_address[1]
    # A short poll keeps shutdown quick at the end of each test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield bot
    finally:
        bot.released.set()
        server.shutdown()
        server.server_close()
        thread.join(HOLD_BOUND)

"""A scripted HTTP tenant on 127.0.0.1 (a free port), for answers the sandbox does not give."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_BASE = "/conversation/conversationmgr/v3"


@dataclass(frozen=True)
class Seen:
    """One request the tenant received, and the status it answered."""

    method: str
    path: str
    authorization: str
    status: int


# (method, path, Authorization header) -> (status, headers, body)
Script = Callable[[str, str, str], tuple[int, dict[str, str], bytes]]


@dataclass
class ScriptedTenant:
    """The running server: its API base URL and every request it answered, in order."""

    port: int
    seen: list[Seen] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_BASE}"


@contextmanager
def scripted_tenant(script: Script) -> Iterator[ScriptedTenant]:
    """Serve `script` until the block ends."""
    lock = threading.Lock()
    tenant = ScriptedTenant(0)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            path = self.path.split("?")[0]
            status, headers, body = script(self.command, path, self.headers.get("Authorization", ""))
            with lock:
                tenant.seen.append(Seen(self.command, path, self.headers.get("Authorization", ""), status))
            try:
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except ConnectionError:
                pass  # the client hung up (a run cut off at its deadline): nothing to answer

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: the test reads `seen`

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    tenant.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tenant
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)

"""Running a sandbox for tests and benchmarks: in a background thread, or as a separate process.

with ServedSandbox(db_path="/tmp/s.db", error_rate=0.1, seed=1) as sandbox:
    httpx.get(sandbox.base_url + "/channels", headers={"Authorization": f"Bearer {sandbox.token()}"})
"""

from __future__ import annotations

import os
import queue
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

import httpx

from egain_provision.sandbox.auth import DEFAULT_SCOPE
from egain_provision.sandbox.config import ADMIN_PATH, BASE_PATH, TOKEN_PATH, SandboxConfig
from egain_provision.sandbox.faults import FaultSettings
from egain_provision.sandbox.ratelimit import RateLimitSettings
from egain_provision.sandbox.server import bind, make_server

START_TIMEOUT = 10.0
SUBPROCESS_START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
_POLL_INTERVAL = 0.005
# Plain HTTP on loopback never uses TLS; a bare context spares httpx loading CA certificates (~40 ms).
_UNUSED_TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
BANNER_KEYS = frozenset({"url", "client id", "client secret"})


class ServedSandbox:
    """A sandbox served by uvicorn on 127.0.0.1 (free port) in a background thread while in `with`."""

    def __init__(self, config: SandboxConfig | None = None, **kwargs: Any) -> None:
        if config is not None and kwargs:
            raise TypeError("pass either a SandboxConfig or keyword arguments, not both")
        self.config = config if config is not None else SandboxConfig(**kwargs)
        self.url = ""
        self.base_url = ""
        self.token_url = ""
        self.client_id = self.config.client_id
        self.client_secret = self.config.client_secret
        self._server = make_server(self.config)
        self._thread: threading.Thread | None = None
        self._admin: httpx.Client | None = None

    def start(self) -> ServedSandbox:
        """Serve until `stop()`; returns once the server accepts connections."""
        sock = bind("127.0.0.1", 0)
        port = sock.getsockname()[1]
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"sandbox-{port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self._server.should_exit = True
                sock.close()
                raise RuntimeError(f"sandbox did not start on 127.0.0.1:{port}")
            time.sleep(_POLL_INTERVAL)
        self.url = f"http://127.0.0.1:{port}"
        self.base_url = self.url + BASE_PATH
        self.token_url = self.url + TOKEN_PATH
        self._admin = httpx.Client(base_url=self.url + ADMIN_PATH, timeout=30, verify=_UNUSED_TLS)
        return self

    def stop(self) -> None:
        """Shut the server down and wait for its thread."""
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if self._thread is not None:
            self._server.should_exit = True
            self._thread.join(STOP_TIMEOUT)
            self._thread = None

    def __enter__(self) -> ServedSandbox:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def token(self, scope: str = DEFAULT_SCOPE) -> str:
        """A fresh bearer token for `scope` (space-separated scopes allowed)."""
        response = self._admin_client().post(
            self.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "scope": scope,
            },
        )
        response.raise_for_status()
        if response.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            # The `token_format="form"` variant answers as a form does.
            return dict(parse_qsl(response.text))["access_token"]
        token: str = response.json()["access_token"]
        return token

    def client(self, scope: str = DEFAULT_SCOPE) -> httpx.Client:
        """An httpx client on `base_url` carrying a bearer token for `scope`; close it after use."""
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.token(scope)}"},
            timeout=30,
            verify=_UNUSED_TLS,
        )

    def set_faults(self, **settings: Any) -> dict[str, Any]:
        """Change fault knobs (latency_ms, latency_jitter_ms, error_rate, throttle_rate, retry_after,
        lost_answer_rate, lost_answer_as, seed) and the rate limit (rate_limit "RPS/BURST" or a tier,
        rate_limit_retry_after); returns all current settings."""
        response = self._admin_client().put("/faults", json=settings)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def clear_faults(self) -> dict[str, Any]:
        """Turn the faults and the rate limit off (no latency, no injected failures, unseeded); returns the settings."""
        return self.set_faults(**FaultSettings().as_json(), **RateLimitSettings().as_json())

    def set_options(self, **options: Any) -> dict[str, Any]:
        """Change answer options (echo_defaults and the tenant variants); returns all current options."""
        response = self._admin_client().put("/options", json=options)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def requests(self) -> list[dict[str, Any]]:
        """The request log: method, path, query, status, duration_ms, latency_ms, fault."""
        response = self._admin_client().get("/requests")
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()
        return result

    def clear_requests(self) -> None:
        """Empty the request log."""
        self._admin_client().delete("/requests").raise_for_status()

    def reset(self) -> None:
        """Delete every object."""
        self._admin_client().post("/reset").raise_for_status()

    def _admin_client(self) -> httpx.Client:
        if self._admin is None:
            raise RuntimeError("the sandbox is not running; use it inside `with ServedSandbox(...)`")
        return self._admin


@dataclass(frozen=True)
class SubprocessSandbox:
    """A sandbox running as `egain-provision sandbox serve` in a child process."""

    process: subprocess.Popen[str]
    url: str
    client_id: str
    client_secret: str

    @property
    def base_url(self) -> str:
        """The API base URL."""
        return self.url + BASE_PATH

    @property
    def token_url(self) -> str:
        """The OAuth2 token URL."""
        return self.url + TOKEN_PATH


@contextmanager
def served_subprocess(db_path: str, *options: str) -> Iterator[SubprocessSandbox]:
    """Run `python -m egain_provision.cli sandbox serve --port 0 --db DB [options]`; Ctrl-C it on exit.

    Waits (bounded) for the printed banner and takes the URL and credentials from it.
    """
    command = [sys.executable, "-m", "egain_provision.cli", "sandbox", "serve", "--host", "127.0.0.1"]
    command += ["--port", "0", "--db", db_path, *options]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.Queue[str | None] = queue.Queue()
    # Drain the pipe in a thread so the child never blocks on a full pipe and reads can time out.
    reader = threading.Thread(target=_pump, args=(process, lines), daemon=True)
    reader.start()
    try:
        banner = _read_banner(lines)
        yield SubprocessSandbox(
            process=process, url=banner["url"], client_id=banner["client id"], client_secret=banner["client secret"]
        )
    finally:
        _interrupt(process)
        reader.join(STOP_TIMEOUT)


def _pump(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line)
    lines.put(None)


def _read_banner(lines: queue.Queue[str | None]) -> dict[str, str]:
    banner: dict[str, str] = {}
    output: list[str] = []
    deadline = time.monotonic() + SUBPROCESS_START_TIMEOUT
    while not banner.keys() >= BANNER_KEYS:
        remaining = deadline - time.monotonic()
        try:
            line = lines.get(timeout=max(0.0, remaining))
        except queue.Empty:
            line = None
        if line is None:
            raise RuntimeError("sandbox subprocess did not print its URL:\n" + "".join(output))
        output.append(line)
        key, sep, value = line.strip().partition(":")
        if sep and key in BANNER_KEYS:
            banner[key] = value.strip()
    return banner


def _interrupt(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)

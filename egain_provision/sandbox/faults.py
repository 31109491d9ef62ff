"""Fault injection for API requests (latency, 5xx, 429, lost answers) and the request log."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from egain_provision.sandbox import failures
from egain_provision.sandbox.config import BASE_PATH, TOKEN_PATH, SandboxConfig
from egain_provision.sandbox.failures import error_body

WRITE_METHODS = frozenset({"POST", "PUT", "DELETE"})
REQUEST_LOG_LIMIT = 100_000
# How a lost answer reaches the client: the connection dropped, or a gateway's 502/504 after the
# write was stored (the gateway gave up waiting for the tenant's answer).
LOST_ANSWER_FORMS = ("reset", "502", "504")
# What sandbox/ratelimit.py marks a refused request's scope state with.
RATE_LIMITED = "egain_sandbox_rate_limited"
# In an API request's scope state: when it arrived (the host's monotonic clock), before any latency:
# the rate limit counts from there, as a tenant's gateway stamps requests on arrival.
ARRIVED = "egain_sandbox_arrived"
# What app.py marks a list read with when another client's churn ran before it (tenants.py).
CHURNED = "egain_sandbox_churned"


class AnswerLost(ConnectionResetError):
    """Raised after a write was committed to drop the connection before the answer is complete."""


@dataclass(frozen=True)
class FaultSettings:
    """The fault knobs; rates are probabilities per API request, `retry_after` is in seconds."""

    latency_ms: float = 0
    latency_jitter_ms: float = 0
    error_rate: float = 0
    throttle_rate: float = 0
    retry_after: float = 1
    lost_answer_rate: float = 0
    lost_answer_as: str = "reset"
    seed: int | None = None

    @classmethod
    def from_config(cls, config: SandboxConfig) -> FaultSettings:
        """The initial settings of a sandbox."""
        values = {field.name: getattr(config, field.name) for field in fields(cls)}
        return cls(**values).checked()

    def updated(self, changes: dict[str, Any]) -> FaultSettings:
        """These settings with `changes` applied; ValueError names the first bad knob."""
        known = {field.name for field in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(unknown)}")
        for name, value in changes.items():
            if name == "seed":
                if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                    raise ValueError("seed must be an integer or null")
            elif name == "lost_answer_as":
                continue  # one of LOST_ANSWER_FORMS, checked below with the rest
            elif isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number")
        return replace(self, **changes).checked()

    def checked(self) -> FaultSettings:
        """These settings, or ValueError if a knob is out of range."""
        for name in ("latency_ms", "latency_jitter_ms", "retry_after"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        for name in ("error_rate", "throttle_rate", "lost_answer_rate"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.lost_answer_as not in LOST_ANSWER_FORMS:
            raise ValueError(f"lost_answer_as must be one of {', '.join(LOST_ANSWER_FORMS)}")
        # One draw decides between a 5xx and a 429, so together they cannot exceed certainty.
        if self.error_rate + self.throttle_rate > 1:
            raise ValueError("error_rate + throttle_rate must not exceed 1")
        return self

    def as_json(self) -> dict[str, Any]:
        """The settings as the admin endpoint shows them."""
        return asdict(self)


@dataclass(frozen=True)
class Decision:
    """The faults drawn for one request."""

    delay_s: float = 0
    status: int | None = None
    lost_answer: bool = False

    @property
    def name(self) -> str | None:
        """Which status-changing fault fired, for the request log."""
        if self.status == 429:
            return "throttle"
        if self.status is not None:
            return "error"
        return "lost_answer" if self.lost_answer else None


class FaultInjector:
    """Draws faults from one seeded random stream; settings change at runtime."""

    def __init__(self, settings: FaultSettings) -> None:
        self._lock = threading.Lock()
        self.settings = settings
        self._random = random.Random(settings.seed)

    def configure(self, changes: dict[str, Any]) -> FaultSettings:
        """Apply a partial update (ValueError if invalid); a `seed` in it restarts the random stream."""
        with self._lock:
            self.settings = self.settings.updated(changes)
            if "seed" in changes:
                self._random = random.Random(self.settings.seed)
            return self.settings

    def decide(self, method: str) -> Decision:
        """The faults for one API request."""
        with self._lock:
            settings = self.settings
            # Always four draws per request, so a seeded run repeats whatever the outcome.
            jitter, fail, which, lose = (self._random.random() for _ in range(4))
        delay_ms = settings.latency_ms + (2 * jitter - 1) * settings.latency_jitter_ms
        status: int | None = None
        if fail < settings.error_rate:
            status = 500 if which < 0.5 else 503
        elif fail < settings.error_rate + settings.throttle_rate:
            status = 429
        lost = status is None and method in WRITE_METHODS and lose < settings.lost_answer_rate
        return Decision(delay_s=max(0.0, delay_ms) / 1000, status=status, lost_answer=lost)


class RequestLog:
    """The most recent API and token requests, oldest first."""

    def __init__(self, limit: int = REQUEST_LOG_LIMIT) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=limit)

    def record(self, entry: dict[str, Any]) -> None:
        """Append one entry."""
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        """A copy of the log."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()


def format_seconds(value: float) -> str:
    """Seconds for a Retry-After header: `1`, `0.05` (never exponent notation)."""
    if value == int(value):
        return str(int(value))
    return f"{value:f}".rstrip("0")


class FaultMiddleware:
    """ASGI middleware: injects faults into API requests and logs API and token requests."""

    def __init__(self, app: ASGIApp, injector: FaultInjector, log: RequestLog) -> None:
        self.app = app
        self.injector = injector
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        path = scope.get("path", "")
        is_api = scope["type"] == "http" and (path == BASE_PATH or path.startswith(BASE_PATH + "/"))
        if not is_api and not (scope["type"] == "http" and path == TOKEN_PATH):
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        scope.setdefault("state", {})[ARRIVED] = started
        decision = self.injector.decide(scope["method"]) if is_api else Decision()
        if decision.delay_s > 0:
            await asyncio.sleep(decision.delay_s)
        if decision.status is not None:
            await self._injected(decision.status)(scope, receive, send)
            self._record(scope, decision.status, started, decision)
            return
        if decision.lost_answer:
            await self._lose_answer(scope, receive, send, started, decision)
            return
        status = 500

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            self._record(scope, status, started, decision)

    async def _lose_answer(
        self, scope: Scope, receive: Receive, send: Send, started: float, decision: Decision
    ) -> None:
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        start = held[0]
        self._record(scope, start["status"], started, decision)
        gateway = self.injector.settings.lost_answer_as
        if gateway != "reset":
            # The write is stored; the client hears only the gateway's failure, not the tenant's answer.
            status = int(gateway)
            text = "Bad Gateway" if status == 502 else "Gateway Timeout"
            await PlainTextResponse(f"{status} {text}", status_code=status)(scope, receive, send)
            return
        if start["status"] in (204, 304):
            # A bodyless status would be a complete answer; announce a body that never comes.
            start = {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")],
            }
        await send(start)
        raise AnswerLost(f"sandbox fault: answer to {scope['method']} {scope['path']} lost after commit")

    def _injected(self, status: int) -> JSONResponse:
        if status == 429:
            retry_after = self.injector.settings.retry_after
            return JSONResponse(
                error_body(failures.THROTTLED, f"Too many requests; retry after {format_seconds(retry_after)} s"),
                status_code=429,
                headers={"Retry-After": format_seconds(retry_after)},
            )
        if status == 503:
            return JSONResponse(error_body(failures.UNAVAILABLE, "Service unavailable (injected)"), status_code=503)
        return JSONResponse(error_body(failures.INJECTED_ERROR, "Internal server error (injected)"), status_code=500)

    def _record(self, scope: Scope, status: int, started: float, decision: Decision) -> None:
        self.log.record(
            {
                "method": scope["method"],
                "path": scope["path"],
                "query": scope.get("query_string", b"").decode("latin-1"),
                "status": status,
                "duration_ms": round((time.monotonic() - started) * 1000, 3),
                "latency_ms": round(decision.delay_s * 1000, 3),
                "fault": decision.name or _marked_fault(scope.get("state", {})),
                # When it arrived (the host's monotonic clock): how far apart a client's requests came.
                "at_s": round(started, 4),
            }
        )


def _marked_fault(state: dict[str, Any]) -> str | None:
    if state.get(RATE_LIMITED):
        return "rate_limit"
    return "churn" if state.get(CHURNED) else None

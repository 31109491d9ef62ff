"""The sandbox's rate limit: one token bucket per client over the API paths, answering 429.

An independent reading of the spec's `sla.yaml` (the provisioner's own reading is in
limits.py; nothing here imports it). The bucket is GCRA: request k of a client is due one
interval after request k-1, `burst` of them allowed at once, each counted from when it arrived
(before the latency `--latency-ms` adds, which stands for the tenant's time to answer). A refused request is answered
429 with the eGain error body and `Retry-After`: the seconds until the client's next token,
rounded up to whole seconds (HTTP delta-seconds), or no header when `rate_limit_retry_after`
is false. The token endpoint and the admin paths are never limited; a request without a
known token passes through, to be refused 401 by the app.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from egain_provision.sandbox import failures
from egain_provision.sandbox.config import BASE_PATH, SandboxConfig
from egain_provision.sandbox.failures import error_body
from egain_provision.sandbox.faults import ARRIVED, RATE_LIMITED

# The setup API's limits per eGain plan (sla.yaml): requests per second, burst.
TIERS: dict[str, tuple[float, int]] = {
    "developer": (0.16, 1),
    "basic": (0.5, 2),
    "enterprise": (1.0, 30),
}


@dataclass(frozen=True)
class Rate:
    """Requests per second and the burst one client may send at once."""

    rps: float
    burst: int

    def __str__(self) -> str:
        return f"{self.rps:g}/{self.burst}"


def parse_rate_limit(text: str | None) -> Rate | None:
    """`RPS/BURST`, `RPS` (burst 1), a tier name, or None/`none`/`` (no limit); ValueError otherwise."""
    value = (text or "").strip().lower()
    if value in ("", "none"):
        return None
    if value in TIERS:
        return Rate(*TIERS[value])
    rps_text, _, burst_text = value.partition("/")
    try:
        rps = float(rps_text)
        burst = int(burst_text) if burst_text else 1
    except ValueError:
        raise ValueError(f"rate_limit {text!r} is not RPS/BURST or a tier ({', '.join(TIERS)})") from None
    if not (0 < rps < math.inf) or burst < 1:
        raise ValueError(f"rate_limit {text!r}: requests per second must be above 0 and the burst at least 1")
    return Rate(rps, burst)


@dataclass(frozen=True)
class RateLimitSettings:
    """The rate-limit knobs as `PUT /_sandbox/faults` takes them (beside the fault knobs)."""

    rate_limit: str | None = None
    rate_limit_retry_after: bool = True

    @classmethod
    def from_config(cls, config: SandboxConfig) -> RateLimitSettings:
        """The initial settings of a sandbox (ValueError for a bad rate)."""
        return cls(config.rate_limit, config.rate_limit_retry_after).checked()

    @classmethod
    def names(cls) -> frozenset[str]:
        return frozenset(field.name for field in fields(cls))

    def updated(self, changes: dict[str, Any]) -> RateLimitSettings:
        """These settings with `changes` (only rate-limit names) applied; ValueError names a bad one."""
        if "rate_limit_retry_after" in changes and not isinstance(changes["rate_limit_retry_after"], bool):
            raise ValueError("rate_limit_retry_after must be true or false")
        if "rate_limit" in changes and not (changes["rate_limit"] is None or isinstance(changes["rate_limit"], str)):
            raise ValueError("rate_limit must be RPS/BURST, a tier name, or null")
        return replace(self, **changes).checked()

    def checked(self) -> RateLimitSettings:
        parse_rate_limit(self.rate_limit)
        return self

    @property
    def rate(self) -> Rate | None:
        return parse_rate_limit(self.rate_limit)

    def as_json(self) -> dict[str, Any]:
        rate = self.rate
        shown = None if rate is None else str(rate)
        return {"rate_limit": shown, "rate_limit_retry_after": self.rate_limit_retry_after}


class RateLimiter:
    """One GCRA bucket per client id; settings change at runtime (a change refills every bucket)."""

    def __init__(self, settings: RateLimitSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.settings = settings
        self._due: dict[str, float] = {}

    def configure(self, settings: RateLimitSettings) -> None:
        with self._lock:
            self.settings = settings
            self._due.clear()

    def take(self, client: str, arrived: float | None = None) -> float | None:
        """None if `client` may send a request that arrived at `arrived` (default: now), its token taken;
        else the seconds until its next token."""
        with self._lock:
            rate = self.settings.rate
            if rate is None:
                return None
            interval = 1.0 / rate.rps
            now = self._clock() if arrived is None else arrived
            due = max(self._due.get(client, now), now)
            earliest = due - (rate.burst - 1) * interval
            if earliest > now:
                return earliest - now
            self._due[client] = due + interval
            return None


def split_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """Take the rate-limit settings out of an admin change set (the rest are fault knobs)."""
    return {name: changes.pop(name) for name in RateLimitSettings.names() & changes.keys()}


def retry_after_header(wait: float) -> str:
    """Seconds until the next token, rounded up to a whole second (at least 1)."""
    return str(max(1, math.ceil(wait - 1e-9)))


class RateLimitMiddleware:
    """ASGI middleware: refuses an API request with 429 when its client's bucket is empty."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, client_of: Callable[[str | None], str | None]) -> None:
        self.app = app
        self.limiter = limiter
        self.client_of = client_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        is_api = scope["type"] == "http" and (path == BASE_PATH or path.startswith(BASE_PATH + "/"))
        client = self.client_of(_authorization(scope)) if is_api else None
        settings = self.limiter.settings  # read once: an admin change may land meanwhile
        # Counted from its arrival: the latency the fault middleware adds before this is the tenant's time
        # to answer, not a network that delays requests on their way in.
        wait = None if client is None else self.limiter.take(client, scope.get("state", {}).get(ARRIVED))
        if wait is None or settings.rate is None:
            await self.app(scope, receive, send)
            return
        # Marked in the scope's state: the request log (faults.py) shows the fault as "rate_limit".
        scope.setdefault("state", {})[RATE_LIMITED] = True
        header = retry_after_header(wait)
        headers = {"Retry-After": header} if settings.rate_limit_retry_after else None
        rate = settings.rate
        message = f"Rate limit exceeded ({rate.rps:g} requests/s, burst {rate.burst}); retry after {header} s"
        response = JSONResponse(
            error_body(failures.THROTTLED, message),
            status_code=429,
            headers=headers,
        )
        await response(scope, receive, send)


def _authorization(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            return bytes(value).decode("latin-1")
    return None

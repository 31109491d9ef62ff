"""The run's one limit on work in flight, and its one retry policy.

A run has a single `AdaptiveLimit`: `plan` holds it per request, `apply`'s scheduler holds it
per action (an action makes one request at a time). Either way a 429 halves it and each
success grows it back by one, so a throttled tenant sees less concurrency at once.
"""

from __future__ import annotations

import asyncio
import collections
import random
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

DEFAULT_PARALLELISM = 10
T = TypeVar("T")

# True inside work that already holds the limit (an apply action): its requests do not take it again.
_holding: ContextVar[bool] = ContextVar("egain_provision_holding_limit", default=False)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, capped; `Retry-After` wins when the server sends it."""

    attempts: int = 8
    base_delay: float = 0.05
    max_delay: float = 5.0
    # No wait is shorter, whatever the server says: a Retry-After of 0 must not become a busy loop.
    floor: float = 0.05
    # Seconds one request may spend being retried (Retry-After included) before it fails.
    budget: float = 120.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """The wait before retry `attempt + 1`: a usable `Retry-After`, else backoff; never below the floor."""
        if retry_after is not None:
            return max(self.floor, retry_after)
        return max(self.floor, random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt)))


class AdaptiveLimit:
    """A concurrency limit that halves on 429 and grows back by one per success.

    Waiters are served first come, first served, and a release wakes exactly the one it admits.
    """

    def __init__(self, limit: int) -> None:
        self.ceiling = max(1, limit)
        self.limit = self.ceiling
        self.in_flight = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def __aenter__(self) -> AdaptiveLimit:
        await self.acquire()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()

    async def acquire(self) -> None:
        """Wait for room, then take it."""
        if self.in_flight < self.limit and not self._waiters:
            self.in_flight += 1
            return
        admitted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(admitted)
        try:
            await admitted
        except asyncio.CancelledError:
            if admitted.done() and not admitted.cancelled():
                self.release()  # admitted just as it was cancelled: pass the room on
            elif admitted in self._waiters:
                self._waiters.remove(admitted)
            raise

    def release(self) -> None:
        self.in_flight -= 1
        self._admit()

    def _admit(self) -> None:
        while self._waiters and self.in_flight < self.limit:
            waiter = self._waiters.popleft()
            if waiter.done():  # cancelled while it queued
                continue
            self.in_flight += 1
            waiter.set_result(None)

    @asynccontextmanager
    async def request(self) -> AsyncIterator[None]:
        """Around one request: take room, unless this work already holds some."""
        if _holding.get():
            yield
            return
        async with self:
            yield

    def hold(self) -> None:
        """Mark the current task as holding room it took with `acquire` (its requests then pass)."""
        _holding.set(True)

    @asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """Give held room back while waiting on shared work (whose requests then take room), then retake it."""
        self.release()
        token = _holding.set(False)
        try:
            yield
        finally:
            _holding.reset(token)
            await self.acquire()

    def throttled(self) -> None:
        self.limit = max(1, self.limit // 2)

    def succeeded(self) -> None:
        if self.limit < self.ceiling:
            self.limit += 1
            self._admit()


async def gather_or_cancel(coroutines: Sequence[Coroutine[Any, Any, T]]) -> list[T]:
    """Run concurrently; on the first failure cancel the others, wait for them, then raise that failure.

    Unlike asyncio.gather, nothing is left running (half-open connections) when an error ends the run.
    """
    tasks: list[asyncio.Task[T]] = []
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(coroutine) for coroutine in coroutines]
    except BaseExceptionGroup as failures:
        first: BaseException = failures
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None
    return [task.result() for task in tasks]


# --- pacing -----------------------------------------------------------------------------------

# Wait this long or longer and the run says so on stderr.
NOTICEABLE_WAIT = 2.0


@dataclass(frozen=True)
class Rate:
    """Requests per second and the burst a token bucket allows."""

    rps: float
    burst: int = 1

    def __str__(self) -> str:
        return f"{self.rps:g} req/s (burst {self.burst})"


# The setup API's rate limits per eGain plan (the spec's sla.yaml).
TIERS: dict[str, Rate] = {
    "developer": Rate(0.16, 1),
    "basic": Rate(0.5, 2),
    "enterprise": Rate(1.0, 30),
}


def parse_rate(text: str) -> Rate | None:
    """`developer`/`basic`/`enterprise`, `RPS`, `RPS/BURST`, or `none` (None: no pacing); ValueError otherwise."""
    value = text.strip().lower()
    if value == "none":
        return None
    if value in TIERS:
        return TIERS[value]
    rps_text, _, burst_text = value.partition("/")
    try:
        rps = float(rps_text)
        burst = int(burst_text) if burst_text else max(1, int(rps))
    except ValueError:
        raise ValueError(f"{text!r} is not a rate") from None
    if not (rps > 0 and burst >= 1) or rps != rps or rps == float("inf"):
        raise ValueError(f"{text!r} is not a rate: requests per second must be above 0 and the burst at least 1")
    return Rate(rps, burst)


class Pacer:
    """One token bucket shared by every API request of a run, so a run at the tenant's rate sees no 429.

    Virtual scheduling (GCRA): each request is due one interval after the previous one, with
    `burst - 1` requests allowed at once: one token of the burst is held back, because the
    tenant's bucket sees our requests shifted by network and scheduling jitter, and at the full
    burst a request arriving a millisecond early is refused (the sandbox's rate-limit benchmark).
    A 429 that still comes (a tenant shared with others) doubles the interval, down to a
    sixteenth of the rate; each success shortens it again.
    """

    def __init__(self, rate: Rate | None, notice: Callable[[str], None] | None = None) -> None:
        self.rate = rate
        self.notice = notice
        self.base_interval = 1.0 / rate.rps if rate else 0.0
        self.interval = self.base_interval
        self._due = 0.0
        self.waited = 0.0
        # Requests that may go at once beside the first: the burst less the token held back.
        self._slack = max(0, rate.burst - 2) if rate else 0

    async def take(self) -> None:
        """Wait for this request's turn."""
        if self.rate is None:
            return
        now = time.monotonic()
        due = max(self._due, now)
        start = due - self._slack * self.interval
        self._due = due + self.interval
        wait = start - now
        if wait <= 0:
            return
        if wait >= NOTICEABLE_WAIT and self.notice is not None:
            self.notice(f"pacing at {1 / self.interval:g} req/s: waiting {wait:.0f} s")
        self.waited += wait
        await asyncio.sleep(wait)

    def throttled(self) -> None:
        if self.rate is not None:
            self.interval = min(self.interval * 2, self.base_interval * 16)

    def succeeded(self) -> None:
        if self.interval > self.base_interval:
            self.interval = max(self.base_interval, self.interval * 0.95)


def estimate_seconds(requests: int, rate: Rate | None) -> float:
    """The least time `requests` take at `rate` (the burst goes at once)."""
    if rate is None:
        return 0.0
    return max(0, requests - rate.burst) / rate.rps

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
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
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
    """Requests per second and the burst a token bucket allows; a tier's monthly quota per method."""

    rps: float
    burst: int = 1
    # Requests of each method (GET, POST, PUT, DELETE) the tenant allows per month; None: not known.
    monthly_quota: int | None = None
    tier: str | None = None

    def __str__(self) -> str:
        return f"{self.rps:g} req/s (burst {self.burst})"


# The setup API's rate limits and monthly quotas per eGain plan (the spec's sla.yaml).
TIERS: dict[str, Rate] = {
    "developer": Rate(0.16, 1, 1_000, "developer"),
    "basic": Rate(0.5, 2, 100_000, "basic"),
    "enterprise": Rate(1.0, 30, 500_000, "enterprise"),
}


# Requests per method are listed in this order (any other method after them, by name).
METHOD_ORDER = ("GET", "POST", "PUT", "DELETE")


def per_method(counts: Mapping[str, int]) -> dict[str, int]:
    """The methods with requests, in METHOD_ORDER: `{"GET": 7, "POST": 600}`."""
    order = {method: index for index, method in enumerate(METHOD_ORDER)}
    methods = sorted(counts, key=lambda method: (order.get(method, len(order)), method))
    return {method: counts[method] for method in methods if counts[method]}


def per_method_text(counts: Mapping[str, int]) -> str:
    """`GET 7, POST 600`: requests per method, in a fixed order."""
    return ", ".join(f"{method} {count:,}" for method, count in per_method(counts).items()) or "none"


@dataclass(frozen=True)
class MonthlyQuota:
    """A tier's monthly quota per method, and how many runs of a given size fit in it (its busiest method decides)."""

    tier: str
    per_method: int
    busiest_method: str
    runs: int

    def __str__(self) -> str:
        fits = f"{self.runs:,} such run{'' if self.runs == 1 else 's'}"
        return f"the {self.tier} tier allows {self.per_method:,} requests per method per month: {fits}"


def monthly_quota(counts: Mapping[str, int], rate: Rate | None) -> MonthlyQuota | None:
    """How many runs sending `counts` fit in the tier's month; None when no quota is known or nothing is sent."""
    sent = per_method(counts)
    if rate is None or rate.monthly_quota is None or not sent:
        return None
    # The first of the busiest in METHOD_ORDER: the same method whatever order the counts came in.
    busiest = max(sent, key=lambda method: sent[method])
    return MonthlyQuota(rate.tier or "given", rate.monthly_quota, busiest, rate.monthly_quota // sent[busiest])


def over_quota(counts: Mapping[str, int], rate: Rate | None) -> list[str]:
    """The methods this run alone needs more of than the tier's monthly quota, each as `POST 1,200`."""
    if rate is None or rate.monthly_quota is None:
        return []
    return [f"{method} {count:,}" for method, count in counts.items() if count > rate.monthly_quota]


def parse_rate(text: str) -> Rate | None:
    """`developer`/`basic`/`enterprise`, `RPS`, `RPS/BURST`, `RPS/BURST/QUOTA` (requests per method per month),
    or `none` (None: no pacing); ValueError otherwise."""
    value = text.strip().lower()
    if value == "none":
        return None
    if value in TIERS:
        return TIERS[value]
    rps_text, _, rest = value.partition("/")
    burst_text, _, quota_text = rest.partition("/")
    try:
        rps = float(rps_text)
        burst = int(burst_text) if burst_text else max(1, int(rps))
        quota = int(quota_text) if quota_text else None
    except ValueError:
        raise ValueError(f"{text!r} is not a rate") from None
    if not (rps > 0 and burst >= 1) or rps != rps or rps == float("inf") or (quota is not None and quota < 1):
        raise ValueError(
            f"{text!r} is not a rate: requests per second must be above 0, the burst and a quota at least 1"
        )
    return Rate(rps, burst, quota, None if quota is None else "given")


class Pacer:
    """One token bucket shared by every API request of a run, so a run at the tenant's rate sees no 429.

    It keeps a copy of the tenant's bucket (GCRA: the time the bucket is next due a token) and
    releases one request at a time, each when that copy says the tenant would accept it, plus an
    allowance: the tenant stamps our requests on arrival, shifted by network and scheduling
    jitter, so a request sent the very moment its token is due can arrive a millisecond early by
    the tenant's clock and be refused. A request released late moves the copy with it, as it
    moves the tenant's bucket.

    What the allowance costs depends on the burst. At burst 1 every request pays it, so it stays
    small: 2% of the interval, 1 ms at least. Above burst 1 it is paid once, when the burst runs
    out (from then on the copy's due time moves one interval per request, the allowance inside
    the burst), so it starts there too and grows with every request by 2% of an interval, up to
    half of the burst beyond the first request (half a token at burst 2; 0.1 s worth of tokens
    where a token is shorter, within that half). The other half lets the next request make up for
    one released late (a busy event loop wakes a few milliseconds late): the tenant's bucket kept
    that time, so the run keeps the rate. A short run pays little, a long one gets room for jitter.

    A 429 that still comes (its `Retry-After` honoured) widens the allowance once: at burst 1 it
    doubles, and each success narrows it back; above, it goes to its widest at once. The pace
    itself is not ratcheted down, so one request refused for jitter costs that request its
    `Retry-After`, not the rest of the run. Without a `Retry-After` (the tenant does not say how
    long) the interval doubles, down to a sixteenth of the rate, and each success shortens it again.
    """

    # The allowance: a share of the interval, and a floor in seconds.
    MARGIN = 0.02
    MARGIN_S = 0.001
    # Above burst 1 it grows by MARGIN of an interval per request, up to half the burst or WIDEST_S of tokens.
    WIDEST_S = 0.1
    # At burst 1 a 429 doubles it; each success keeps this share of what was added.
    NARROWING = 0.98

    def __init__(self, rate: Rate | None, notice: Callable[[str], None] | None = None) -> None:
        self.rate = rate
        self.notice = notice
        self.base_interval = 1.0 / rate.rps if rate else 0.0
        self.interval = self.base_interval
        burst = rate.burst if rate else 1
        self.base_allowance = max(self.MARGIN_S, self.MARGIN * self.base_interval)
        # Above burst 1, the most room for jitter: a token or WIDEST_S of tokens, whichever is more, within half
        # the burst beyond the first request (the other half makes up for late releases).
        self.widest = min((burst - 1) * self.base_interval / 2, max(self.base_interval, self.WIDEST_S))
        self.allowance = min(self.base_allowance, self.widest) if burst > 1 else self.base_allowance
        # When the latest request was released (the monotonic clock).
        self.released = 0.0
        # When our copy of the tenant's bucket is next due a token (0: full).
        self._due = 0.0
        self._turn: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self.waited = 0.0
        # The run's requests per method, whichever client sent them (the monthly quotas count these).
        self.sent: collections.Counter[str] = collections.Counter()

    async def take(self) -> None:
        """Wait for this request's turn (requests are released in the order they asked)."""
        if self.rate is None:
            return
        async with self._lock():
            now = time.monotonic()
            # The tenant accepts a request once its bucket's due time is within the burst of now.
            start = self._due - (self.rate.burst - 1) * self.interval + self.allowance
            wait = start - now
            if wait > 0:
                if wait >= NOTICEABLE_WAIT and self.notice is not None:
                    self.notice(f"pacing at {self.pace()}: waiting {wait:.0f} s")
                self.waited += wait
                await asyncio.sleep(wait)
                now = time.monotonic()
            # From the moment it actually goes, as the tenant's bucket counts it.
            self.released = now
            self._due = max(self._due, now) + self.interval
            if self.widest > self.allowance:
                self.allowance = min(self.widest, self.allowance + self.MARGIN * self.base_interval)

    def _lock(self) -> asyncio.Lock:
        """The lock that releases requests one at a time, one per event loop (a run may use several)."""
        loop = asyncio.get_running_loop()
        if self._turn is None or self._turn[0] is not loop:
            self._turn = (loop, asyncio.Lock())
        return self._turn[1]

    def pace(self) -> str:
        """The pace now, as the wait lines say it."""
        if not self.interval or self.rate is None:
            return "no pace"
        # At burst 1 every request pays the allowance; above it, the allowance is paid once.
        spacing = self.interval + (self.allowance if self.rate.burst == 1 else 0.0)
        return f"{1 / spacing:.3g} req/s"

    def throttled(self, retry_after_honoured: bool) -> str:
        """Adapt to a 429; what the pacing does next, for the wait line."""
        if self.rate is None:
            return ""
        if retry_after_honoured:
            if self.rate.burst == 1:
                self.allowance *= 2
            else:
                self.allowance = max(self.allowance, self.widest)
            room = f"{self.allowance * 1000:.0f} ms" if self.allowance < 1 else f"{self.allowance:.1f} s"
            # Only at burst 1 does every request pay the allowance, so only there does it narrow again.
            again = ", narrowing again" if self.rate.burst == 1 else ""
            return f"; the pace stays at the rate: {self.pace()} (room for jitter widened to {room}{again})"
        self.interval = min(self.interval * 2, self.base_interval * 16)
        return f"; pacing slowed to {self.pace()} until requests pass again"

    def succeeded(self) -> None:
        if self.interval > self.base_interval:
            self.interval = max(self.base_interval, self.interval * 0.95)
        if self.rate is not None and self.rate.burst == 1 and self.allowance > self.base_allowance:
            self.allowance = self.base_allowance + (self.allowance - self.base_allowance) * self.NARROWING


def estimate_seconds(requests: int, rate: Rate | None) -> float:
    """The least time `requests` take at `rate` (the burst goes at once)."""
    if rate is None:
        return 0.0
    return max(0, requests - rate.burst) / rate.rps

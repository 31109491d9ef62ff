"""The pacer copies the tenant's bucket and releases each request with room to spare for jitter: the burst
goes at once, then one request per interval; at burst 1 every request pays a small allowance, above it the
allowance is paid once and grows to a token; a 429 with Retry-After widens the allowance, never the interval.

Every release is checked against the sandbox's own rate limiter (the tenant's bucket) fed the release times
with the jitter the allowance is meant to absorb: what these tests assert is the pacer's own account of its
releases, never how long anything took.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest

from egain_provision.limits import Pacer, Rate
from egain_provision.sandbox.ratelimit import RateLimiter, RateLimitSettings


def releases(pacer: Pacer, count: int) -> list[float]:
    """When each of `count` requests asked back to back was released (the pacer's own account)."""

    async def take_all() -> list[float]:
        seen = []
        for _ in range(count):
            await pacer.take()
            seen.append(pacer.released)
        return seen

    return asyncio.run(take_all())


def refused_by_the_tenant(rate: str, arrivals: list[float]) -> list[int]:
    """The requests the sandbox's bucket refuses when they arrive at `arrivals` (its own clock)."""
    clock = iter(arrivals)
    limiter = RateLimiter(RateLimitSettings(rate_limit=rate), clock=lambda: next(clock))
    return [index for index in range(len(arrivals)) if limiter.take("client") is not None]


def test_a_burst_goes_at_once_then_one_request_per_interval() -> None:
    pacer = Pacer(Rate(5, 5))
    seen = releases(pacer, 7)
    # The burst of five goes at once (the last four within the allowance); the sixth an interval after the first.
    assert pacer.waited <= 4 * pacer.widest
    assert seen[5] - seen[0] >= pacer.base_interval
    assert seen[6] - seen[0] >= 2 * pacer.base_interval
    assert refused_by_the_tenant("5/5", seen) == []


@pytest.mark.parametrize("burst", [1, 2, 3, 30])
def test_the_tenant_accepts_every_release_even_when_each_arrives_early_by_the_allowance(burst: int) -> None:
    pacer = Pacer(Rate(50, burst))
    seen = releases(pacer, 40)
    # The worst jitter the allowance is for: each request late by half of it, the next early by half.
    half = pacer.base_allowance * 0.49
    shifted = [moment + (half if index % 2 else -half) for index, moment in enumerate(seen)]
    assert refused_by_the_tenant(f"50/{burst}", shifted) == []


def test_at_burst_1_every_request_pays_the_allowance() -> None:
    pacer = Pacer(Rate(10, 1))
    assert pacer.base_allowance == pytest.approx(0.002)  # 2% of the 100 ms interval, more than 1 ms
    assert Pacer(Rate(50, 1)).base_allowance == pytest.approx(0.001)  # 2% would be 0.4 ms: 1 ms at least
    seen = releases(pacer, 4)
    for earlier, later in itertools.pairwise(seen):
        assert later - earlier >= pacer.base_interval + pacer.base_allowance
    assert pacer.allowance == pacer.base_allowance  # it does not grow at burst 1


def test_above_burst_1_the_allowance_grows_with_each_request_up_to_a_token() -> None:
    pacer = Pacer(Rate(50, 2))
    allowances = []
    for _ in range(60):
        releases(pacer, 1)
        allowances.append(pacer.allowance)
    assert allowances == sorted(allowances)
    assert pacer.base_allowance == pytest.approx(0.001)  # 2% of 20 ms is less than the 1 ms floor
    assert allowances[0] == pytest.approx(pacer.base_allowance + 0.02 * pacer.base_interval)
    assert allowances[-1] == pytest.approx(pacer.base_interval / 2)  # half the burst of 2 beyond the first request
    # A large burst: room for a tenth of a second of jitter, not the whole burst.
    assert Pacer(Rate(20, 30)).widest == pytest.approx(0.1)


def test_above_burst_1_a_request_released_late_is_made_up_by_the_next() -> None:
    pacer = Pacer(Rate(4, 2))
    pacer.throttled(retry_after_honoured=True)  # the allowance at its widest: half the burst's room
    interval = pacer.base_interval

    async def run() -> tuple[list[float], float]:
        seen = []
        for _ in range(3):
            await pacer.take()
            seen.append(pacer.released)
        # The next request asks 20 ms after its turn (a busy event loop): it goes at once, late.
        await asyncio.sleep(interval + 0.02)
        await pacer.take()
        seen.append(pacer.released)
        before = pacer.waited
        await pacer.take()
        seen.append(pacer.released)
        return seen, pacer.waited - before

    seen, waited = asyncio.run(run())
    assert waited < interval - 0.01  # the bucket kept the late one's time: the next one goes sooner
    assert refused_by_the_tenant("4/2", seen) == []


def test_a_429_with_retry_after_at_burst_1_doubles_the_allowance_once_and_successes_narrow_it() -> None:
    pacer = Pacer(Rate(0.16, 1))
    said = pacer.throttled(retry_after_honoured=True)
    assert pacer.interval == pacer.base_interval  # the pace itself is not ratcheted down
    assert pacer.allowance == pytest.approx(2 * pacer.base_allowance)
    assert "the pace stays at the rate" in said and "room for jitter widened to 250 ms" in said
    for _ in range(300):
        pacer.succeeded()
    assert pacer.allowance == pytest.approx(pacer.base_allowance, rel=0.01)


def test_a_429_with_retry_after_above_burst_1_takes_its_widest_room_at_once() -> None:
    pacer = Pacer(Rate(0.5, 2))
    pacer.throttled(retry_after_honoured=True)
    assert pacer.allowance == pacer.widest == pacer.base_interval / 2
    assert pacer.interval == pacer.base_interval


def test_a_429_without_retry_after_halves_the_pace_until_successes() -> None:
    pacer = Pacer(Rate(2, 1))
    said = pacer.throttled(retry_after_honoured=False)
    assert pacer.interval == 2 * pacer.base_interval
    assert "pacing slowed to" in said
    for _ in range(100):
        pacer.succeeded()
    assert pacer.interval == pacer.base_interval


def test_no_rate_no_waiting() -> None:
    pacer = Pacer(None)
    releases(pacer, 50)
    assert pacer.waited == 0

"""The pacer holds part of the burst back and keeps a margin at burst 1, so requests at the tenant's own rate
are never early by its clock; a 429 with Retry-After widens the margin once, not the interval."""

from __future__ import annotations

import asyncio

import pytest

from egain_provision.limits import Pacer, Rate


def waits(pacer: Pacer, count: int) -> list[float]:
    """What each of `count` requests taken back to back was made to wait (the pacer's own account)."""

    async def take_all() -> list[float]:
        seen = []
        for _ in range(count):
            before = pacer.waited
            await pacer.take()
            seen.append(pacer.waited - before)
        return seen

    return asyncio.run(take_all())


def test_a_burst_goes_at_once_but_one_token_then_one_per_interval() -> None:
    seen = waits(Pacer(Rate(5, 5)), 6)
    # Four go at once (the burst of five less the token held back); the fifth waits most of an interval.
    assert seen[:4] == [0, 0, 0, 0]
    assert 0 < seen[4] <= 0.2
    assert 0 < seen[5] <= 0.2


def test_a_fast_rate_holds_back_a_tenth_of_a_second_of_its_burst() -> None:
    # 50 req/s, burst 5: five tokens are 0.1 s, all held back, so requests go one interval apart from the first.
    seen = waits(Pacer(Rate(50, 5)), 3)
    assert seen[0] == 0
    assert all(0 < wait <= 0.02 for wait in seen[1:])


@pytest.mark.parametrize("burst", [1, 2])
def test_a_burst_of_one_or_two_lets_one_request_go_at_once(burst: int) -> None:
    seen = waits(Pacer(Rate(10, burst)), 2)
    assert seen[0] == 0
    assert 0 < seen[1] <= 0.1 * 1.05


def test_at_burst_1_requests_are_further_apart_than_the_interval() -> None:
    pacer = Pacer(Rate(10, 1))
    assert pacer.margin == pytest.approx(0.05)  # 5 ms at 10 req/s, more than 2%
    seen = waits(pacer, 3)
    assert seen[2] > 0.1  # the whole interval and the margin, counted from when the second actually went


def test_a_429_with_retry_after_widens_the_margin_once_and_successes_narrow_it() -> None:
    pacer = Pacer(Rate(0.16, 1))
    said = pacer.throttled(retry_after_honoured=True)
    assert pacer.interval == pacer.base_interval  # the pace itself is not ratcheted down
    assert pacer.margin == pytest.approx(0.12)
    assert "the pace stays near the rate" in said and "12% margin" in said
    for _ in range(500):
        pacer.succeeded()
    assert pacer.margin == pytest.approx(pacer.base_margin, abs=1e-3)


def test_a_429_without_retry_after_halves_the_pace_until_successes() -> None:
    pacer = Pacer(Rate(2, 1))
    said = pacer.throttled(retry_after_honoured=False)
    assert pacer.interval == 2 * pacer.base_interval
    assert "pacing slowed to" in said
    for _ in range(100):
        pacer.succeeded()
    assert pacer.interval == pacer.base_interval


def test_no_rate_no_waiting() -> None:
    assert waits(Pacer(None), 50) == [0] * 50

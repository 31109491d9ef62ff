"""The pacer holds one token of the burst back, so requests at the tenant's own rate keep a margin."""

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
    seen = waits(Pacer(Rate(100, 5)), 6)
    # Four go at once (the burst of five less the token held back); the fifth waits most of an interval.
    assert seen[:4] == [0, 0, 0, 0]
    assert 0 < seen[4] <= 0.01
    assert 0 < seen[5] <= 0.01


@pytest.mark.parametrize("burst", [1, 2])
def test_a_burst_of_one_or_two_lets_one_request_go_at_once(burst: int) -> None:
    seen = waits(Pacer(Rate(100, burst)), 2)
    assert seen[0] == 0
    assert 0 < seen[1] <= 0.01


def test_no_rate_no_waiting() -> None:
    assert waits(Pacer(None), 50) == [0] * 50

"""The API client's own guarantees: token renewal and the concurrency limit under cancellation."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx

from egain_provision.client import AdaptiveLimit, Credentials, EgainClient
from egain_provision.kinds import KINDS_BY_NAME

CHANNELS = KINDS_BY_NAME["channels"]


def test_a_token_refused_on_its_first_use_is_renewed_once_and_the_request_succeeds() -> None:
    issued: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        # Scripted like a tenant whose first token is already revoked when it is used.
        if request.url.path == "/oauth2/token":
            issued.append(f"token-{len(issued) + 1}")
            return httpx.Response(200, json={"access_token": issued[-1], "token_type": "Bearer", "expires_in": 60})
        if request.headers["Authorization"] == "Bearer token-1":
            return httpx.Response(401, json={"code": "401-101", "developerMessage": "expired"})
        return httpx.Response(200, json={"paginationInfo": {"count": 0}, "channel": []})

    credentials = Credentials(token_url="http://tenant/oauth2/token", client_id="id", client_secret="secret")

    async def list_channels() -> list[dict[str, Any]]:
        async with EgainClient("http://tenant/v3", credentials, transport=httpx.MockTransport(server)) as client:
            items = (await client.list_page(CHANNELS, 1)).items
            return items

    assert asyncio.run(list_channels()) == []
    assert issued == ["token-1", "token-2"]


def test_a_waiter_cancelled_while_queued_neither_breaks_the_limit_nor_the_releaser() -> None:
    async def scenario() -> tuple[int, bool]:
        limit = AdaptiveLimit(1)
        await limit.__aenter__()
        waiter = asyncio.ensure_future(limit.__aenter__())
        await asyncio.sleep(0)  # let it queue
        waiter.cancel()  # its future is cancelled now, its task runs later
        await limit.__aexit__(None, None, None)  # releasing must skip the cancelled waiter
        with contextlib.suppress(asyncio.CancelledError):
            await waiter
        admitted_again = await asyncio.wait_for(limit.__aenter__(), timeout=5)
        return limit.in_flight, admitted_again is limit

    assert asyncio.run(scenario()) == (1, True)


def test_the_limit_halves_while_429s_keep_coming_and_grows_back_on_success() -> None:
    limit = AdaptiveLimit(10)
    seen = []
    for _ in range(3):
        limit.throttled()
        seen.append(limit.limit)
    for _ in range(3):
        limit.succeeded()
        seen.append(limit.limit)
    assert seen == [5, 2, 1, 2, 3, 4]
    for _ in range(20):
        limit.succeeded()
    assert limit.limit == 10  # never above --parallelism

"""Tokens renewed as often as they expire (never endlessly), token answers in either form, and
Retry-After read in both forms with a floor under every wait."""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import logging
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from egain_provision.client import Credentials, EgainClient, parse_retry_after
from egain_provision.errors import ApiError, TargetError
from egain_provision.kinds import KINDS_BY_NAME
from egain_provision.limits import RetryPolicy

CHANNELS = KINDS_BY_NAME["channels"]
TOKEN_URL = "http://tenant/oauth2/token"
SECRET = "client-s3cret-value"
CREDENTIALS = Credentials(token_url=TOKEN_URL, client_id="id", client_secret=SECRET)
EMPTY_LIST = {"paginationInfo": {"count": 0}, "channel": []}
FLOOR = RetryPolicy.floor


def list_channels(
    server: Callable[[httpx.Request], httpx.Response],
    credentials: Credentials = CREDENTIALS,
    retry: RetryPolicy | None = None,
    times: int = 1,
) -> list[Any]:
    """List channels `times` times at once through a client of `server`; each result or the error raised."""

    async def run() -> list[Any]:
        async with EgainClient(
            "http://tenant/v3", credentials, transport=httpx.MockTransport(server), retry=retry
        ) as client:
            pages = await asyncio.gather(*(client.list_page(CHANNELS, 1) for _ in range(times)), return_exceptions=True)
            return [page if isinstance(page, BaseException) else page.items for page in pages]

    return asyncio.run(run())


def waits_logged(caplog: pytest.LogCaptureFixture) -> list[float]:
    """The waits the client chose, as `-v` shows them."""
    return [float(w) for w in re.findall(r"waiting (\d+\.\d+) s before retrying", caplog.text)]


# --- tokens ------------------------------------------------------------------------------


def test_a_request_renews_its_token_each_time_it_expires_during_its_429_retries() -> None:
    issued: list[str] = []
    uses: dict[str, int] = {}

    def server(request: httpx.Request) -> httpx.Response:
        # Each of the first three tokens is throttled on its first use and expired by its second.
        if request.url.path == "/oauth2/token":
            issued.append(f"token-{len(issued) + 1}")
            return httpx.Response(200, json={"access_token": issued[-1], "token_type": "Bearer"})
        token = request.headers["Authorization"].removeprefix("Bearer ")
        uses[token] = uses.get(token, 0) + 1
        if token == "token-4":
            return httpx.Response(200, json=EMPTY_LIST)
        if uses[token] == 1:
            return httpx.Response(429, headers={"Retry-After": "0.05"}, json={"code": "429-101"})
        return httpx.Response(401, json={"code": "401-104", "developerMessage": "expired"})

    assert list_channels(server) == [[]]
    assert issued == ["token-1", "token-2", "token-3", "token-4"]


def test_a_request_whose_renewed_tokens_keep_expiring_gives_up_within_its_retry_budget() -> None:
    issued: list[str] = []
    uses: dict[str, int] = {}

    def server(request: httpx.Request) -> httpx.Response:
        # Every token works once (throttled), then is expired: renewals alone never end this.
        if request.url.path == "/oauth2/token":
            issued.append(f"token-{len(issued) + 1}")
            return httpx.Response(200, json={"access_token": issued[-1], "token_type": "Bearer"})
        token = request.headers["Authorization"].removeprefix("Bearer ")
        uses[token] = uses.get(token, 0) + 1
        if uses[token] == 1:
            return httpx.Response(429, headers={"Retry-After": "0.05"}, json={"code": "429-101"})
        return httpx.Response(401, json={"code": "401-104", "developerMessage": "expired"})

    budget = 0.3
    [error] = list_channels(server, retry=RetryPolicy(budget=budget))
    assert isinstance(error, ApiError) and error.status in (401, 429)
    assert "gave up" in error.message
    # Each token costs one wait of at least the floor: the budget bounds the renewals.
    assert 2 <= len(issued) <= budget / FLOOR + 1


def test_concurrent_requests_refused_with_one_expired_token_share_one_renewal() -> None:
    issued: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            issued.append(f"token-{len(issued) + 1}")
            return httpx.Response(200, json={"access_token": issued[-1], "token_type": "Bearer"})
        if request.headers["Authorization"] == "Bearer token-1":
            return httpx.Response(401, json={"code": "401-104", "developerMessage": "expired"})
        return httpx.Response(200, json=EMPTY_LIST)

    assert list_channels(server, times=8) == [[]] * 8
    assert issued == ["token-1", "token-2"]


def test_a_tenant_refusing_every_fresh_token_stops_the_run_saying_so() -> None:
    issued: list[str] = []
    api_requests: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            issued.append(f"token-{len(issued) + 1}")
            return httpx.Response(200, json={"access_token": issued[-1], "token_type": "Bearer"})
        api_requests.append(request.headers["Authorization"])
        return httpx.Response(401, json={"code": "401-104", "developerMessage": "unknown token"})

    first, second = list_channels(server, times=2)
    assert isinstance(first, TargetError) and isinstance(second, TargetError)
    assert "refused 3 fresh tokens in a row" in first.message
    assert "Check that EGAIN_TOKEN_URL issues tokens for this API" in first.message
    assert len(issued) == 3
    # One request per token: nothing more is sent once the run stopped.
    assert len(api_requests) <= 4
    for token in issued:
        assert token not in str(first) and token not in str(second)


# --- token answers ---------------------------------------------------------------------


def token_server(
    status: int, body: str, content_type: str
) -> tuple[Callable[[httpx.Request], httpx.Response], list[str]]:
    """A tenant whose token endpoint answers `body`, and which accepts only the token `to+ken/1`."""
    authorizations: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            return httpx.Response(status, headers={"Content-Type": content_type}, content=body.encode())
        authorizations.append(request.headers["Authorization"])
        if request.headers["Authorization"] == "Bearer to+ken/1":
            return httpx.Response(200, json=EMPTY_LIST)
        return httpx.Response(401, json={"code": "401-104", "developerMessage": "unknown token"})

    return server, authorizations


FORM = "application/x-www-form-urlencoded"


def test_a_form_encoded_token_answer_is_read() -> None:
    server, authorizations = token_server(200, "access_token=to%2Bken%2F1&token_type=bearer&expires_in=3600", FORM)
    assert list_channels(server) == [[]]
    assert authorizations == ["Bearer to+ken/1"]


def test_a_form_encoded_refusal_names_its_reason_and_its_fix() -> None:
    server, _ = token_server(400, "error=invalid_client&error_description=bad+secret", FORM)
    [error] = list_channels(server)
    assert isinstance(error, TargetError)
    assert "refused the client credentials: invalid_client (HTTP 400)" in error.message
    assert "EGAIN_CLIENT_ID" in (error.hint or "")


def test_a_token_answer_without_an_access_token_never_shows_its_values() -> None:
    server, _ = token_server(200, "refresh_token=r3fresh-value&token_type=bearer", FORM)
    [error] = list_channels(server)
    assert isinstance(error, TargetError)
    assert "answered without an access_token" in error.message
    assert "r3fresh-value" not in str(error) and SECRET not in str(error)


# --- Retry-After -----------------------------------------------------------------------


def throttling(retry_after: str | None) -> tuple[Callable[[httpx.Request], httpx.Response], list[str]]:
    """A tenant answering every API request 429, with this Retry-After (None: without one)."""
    sent: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            return httpx.Response(200, json={"access_token": "tok", "token_type": "Bearer"})
        sent.append(request.url.path)
        headers = {} if retry_after is None else {"Retry-After": retry_after}
        return httpx.Response(429, headers=headers, json={"code": "429-101", "developerMessage": "slow down"})

    return server, sent


def test_a_429_without_retry_after_is_reported_as_a_429_with_the_wait_the_tool_chose(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, sent = throttling(None)
    caplog.set_level(logging.DEBUG, logger="egain_provision.http")
    [error] = list_channels(server, retry=RetryPolicy(budget=0.5))
    assert isinstance(error, ApiError) and error.status == 429
    assert "rate limited by the tenant (HTTP 429) without Retry-After; the tool's own backoff" in error.message
    assert "did not answer" not in error.message + caplog.text
    waits = waits_logged(caplog)
    assert len(waits) == len(sent) - 1 and all(wait >= FLOOR for wait in waits)


PAST = "Wed, 21 Oct 2015 07:28:00 GMT"


@pytest.mark.parametrize("value", ["0", "-1", "-0.5", "NaN", "inf", "soon", "", PAST])
def test_an_unusable_retry_after_falls_back_to_backoff_never_below_the_floor(
    value: str, caplog: pytest.LogCaptureFixture
) -> None:
    server, sent = throttling(value)
    caplog.set_level(logging.DEBUG, logger="egain_provision.http")
    budget = 0.3
    [error] = list_channels(server, retry=RetryPolicy(budget=budget))
    assert isinstance(error, ApiError) and error.status == 429
    assert f"Retry-After {value!r} is not a usable wait; the tool's own backoff" in error.message
    # Every wait is at least the floor, so the budget holds at most budget/floor waits.
    assert all(wait >= FLOOR for wait in waits_logged(caplog))
    assert 2 <= len(sent) <= budget / FLOOR + 1


def test_an_http_date_retry_after_is_honoured() -> None:
    in_an_hour = email.utils.format_datetime(
        datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1), usegmt=True
    )
    server, sent = throttling(in_an_hour)
    [error] = list_channels(server, retry=RetryPolicy(budget=10))
    assert isinstance(error, ApiError)
    assert re.search(
        r"the tenant asks to wait 3[56]\d\d(\.\d+)? s \(Retry-After\), beyond the retry budget of 10 s", error.message
    )
    assert len(sent) == 1


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("0.25", 0.25),
        (" 7 ", 7.0),
        ("Sun, 06 Nov 1994 08:49:37 GMT", 30.0),  # IMF-fixdate
        ("Sunday, 06-Nov-94 08:49:37 GMT", 30.0),  # obsolete RFC 850 form
        ("Sun Nov  6 08:49:37 1994", 30.0),  # obsolete asctime form
        ("0", None),
        ("-3", None),
        ("nan", None),
        ("1e3", None),
        ("Sun, 06 Nov 1994 08:48:37 GMT", None),  # in the past
        ("9" * 400, 10.0**9),  # absurd: kept huge so the budget refuses it, never infinite
    ],
)
def test_retry_after_is_read_in_both_forms(value: str, seconds: float | None) -> None:
    now = 784111777.0 - 30  # 30 s before Sun, 06 Nov 1994 08:49:37 GMT
    assert parse_retry_after(value, now) == (pytest.approx(seconds) if seconds is not None else None)

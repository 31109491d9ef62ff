"""The sandbox's rate limit: a token bucket per client over the API paths, 429 with Retry-After beyond it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from egain_provision.sandbox.ratelimit import Rate, RateLimiter, RateLimitSettings, parse_rate_limit
from egain_provision.sandbox.testing import ServedSandbox, served_subprocess
from tests.support import run_cli

# So slow that no token comes back within a test: the burst is all a client gets.
FROZEN = "0.001"


def statuses(client: httpx.Client, count: int, path: str = "/channels") -> list[int]:
    return [client.get(path).status_code for _ in range(count)]


def test_a_client_gets_its_burst_then_429_with_an_egain_body_and_retry_after_rounded_up(
    clean_sandbox: ServedSandbox,
) -> None:
    clean_sandbox.set_faults(rate_limit=f"{FROZEN}/3")
    with clean_sandbox.client() as api:
        assert statuses(api, 3) == [200, 200, 200]
        refused = api.post("/channels", json={"type": "custom.web", "displayName": "x", "icon": "iVBORw0KGgo="})
    assert refused.status_code == 429
    assert refused.json()["code"] == "429-101"
    assert "Rate limit exceeded (0.001 requests/s, burst 3)" in refused.json()["developerMessage"]
    # The next token is 1000 s away (less the few milliseconds spent): rounded up, 1000.
    assert refused.headers["Retry-After"] == "1000"
    log = clean_sandbox.requests()
    channels = [(entry["status"], entry["fault"]) for entry in log if entry["path"].endswith("/channels")]
    assert channels == [(200, None), (200, None), (200, None), (429, "rate_limit")]


def test_a_refused_write_is_not_carried_out(clean_sandbox: ServedSandbox) -> None:
    clean_sandbox.set_faults(rate_limit=f"{FROZEN}/1")
    with clean_sandbox.client() as api:
        body = {"type": "custom.web", "displayName": "x", "icon": "iVBORw0KGgo="}
        assert api.post("/channels", json=body).status_code == 201
        assert api.post("/channels", json={**body, "type": "custom.sms"}).status_code == 429
        clean_sandbox.set_faults(rate_limit=None)
        assert [channel["type"] for channel in api.get("/channels").json()["channel"]] == ["custom.web"]


def test_the_retry_after_header_can_be_left_out(clean_sandbox: ServedSandbox) -> None:
    clean_sandbox.set_faults(rate_limit=f"{FROZEN}/1", rate_limit_retry_after=False)
    with clean_sandbox.client() as api:
        assert statuses(api, 1) == [200]
        refused = api.get("/channels")
    assert refused.status_code == 429
    assert "Retry-After" not in refused.headers
    assert refused.json()["code"] == "429-101"


def test_tokens_of_one_client_share_its_bucket(clean_sandbox: ServedSandbox) -> None:
    clean_sandbox.set_faults(rate_limit=f"{FROZEN}/3")
    with clean_sandbox.client() as first, clean_sandbox.client() as second:
        assert statuses(first, 2) + statuses(second, 1) == [200, 200, 200]
        assert statuses(first, 1) + statuses(second, 1) == [429, 429]


def test_the_token_endpoint_the_admin_paths_and_unauthenticated_requests_are_not_limited(
    clean_sandbox: ServedSandbox,
) -> None:
    clean_sandbox.set_faults(rate_limit=f"{FROZEN}/1")
    tokens = [clean_sandbox.token() for _ in range(3)]
    assert len(set(tokens)) == 3
    assert len(clean_sandbox.requests()) == 3
    # No known token: the app's 401, and the client's bucket untouched.
    assert httpx.get(clean_sandbox.base_url + "/channels").status_code == 401
    assert httpx.get(clean_sandbox.base_url + "/channels", headers={"Authorization": "Bearer nope"}).status_code == 401
    with clean_sandbox.client() as api:
        assert statuses(api, 2) == [200, 429]


def test_retry_after_is_the_wait_for_the_next_token_rounded_up_to_whole_seconds(clean_sandbox: ServedSandbox) -> None:
    clean_sandbox.set_faults(rate_limit="0.4/1")  # a token every 2.5 s
    with clean_sandbox.client() as api:
        first, second = api.get("/channels"), api.get("/channels")
    assert (first.status_code, second.status_code, second.headers["Retry-After"]) == (200, 429, "3")


def test_the_bucket_refills_at_the_rate() -> None:
    now = [100.0]
    limiter = RateLimiter(RateLimitSettings("10/2"), clock=lambda: now[0])
    assert [limiter.take("a"), limiter.take("a")] == [None, None]
    assert limiter.take("a") == pytest.approx(0.1)
    assert limiter.take("b") is None  # another client, another bucket
    now[0] += 0.05
    assert limiter.take("a") == pytest.approx(0.05)
    now[0] += 0.05
    assert limiter.take("a") is None
    assert limiter.take("a") == pytest.approx(0.1)
    now[0] += 10  # idle: the bucket fills to its burst, no further
    assert [limiter.take("a") is None for _ in range(3)] == [True, True, False]


def test_the_bucket_counts_each_request_from_its_arrival_not_from_when_its_latency_ended() -> None:
    now = [100.0]
    limiter = RateLimiter(RateLimitSettings("10/1"), clock=lambda: now[0])
    assert limiter.take("a", arrived=100.0) is None
    now[0] = 100.125  # the next one's latency ended late; it arrived a whole interval after the first
    assert limiter.take("a", arrived=100.1) is None
    assert limiter.take("a", arrived=100.15) == pytest.approx(0.05)  # half an interval early: refused


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("developer", Rate(0.16, 1)),
        ("basic", Rate(0.5, 2)),
        ("Enterprise", Rate(1.0, 30)),
        ("50/5", Rate(50.0, 5)),
        ("0.5", Rate(0.5, 1)),
        ("none", None),
        (None, None),
    ],
)
def test_rates_and_tiers_read(text: str | None, rate: Rate | None) -> None:
    assert parse_rate_limit(text) == rate


@pytest.mark.parametrize(
    "change",
    [
        {"rate_limit": "fast"},
        {"rate_limit": "0/1"},
        {"rate_limit": "5/0"},
        {"rate_limit": 5},
        {"rate_limit_retry_after": "no"},
        {"rate_limit": "5/5", "error_rate": 2},
    ],
    ids=str,
)
def test_invalid_rate_limits_are_refused_and_change_nothing(clean_sandbox: ServedSandbox, change: object) -> None:
    before = httpx.get(clean_sandbox.url + "/_sandbox/faults").json()
    response = httpx.put(clean_sandbox.url + "/_sandbox/faults", json=change)
    assert (response.status_code, response.json()["code"]) == (400, "400-105")
    assert httpx.get(clean_sandbox.url + "/_sandbox/faults").json() == before


def test_the_rate_limit_is_shown_and_cleared_with_the_faults(clean_sandbox: ServedSandbox) -> None:
    settings = clean_sandbox.set_faults(rate_limit="enterprise", rate_limit_retry_after=False, latency_ms=1)
    assert (settings["rate_limit"], settings["rate_limit_retry_after"], settings["latency_ms"]) == ("1/30", False, 1)
    cleared = clean_sandbox.clear_faults()
    assert (cleared["rate_limit"], cleared["rate_limit_retry_after"]) == (None, True)


def test_a_rate_limit_can_be_set_at_start(tmp_path: Path) -> None:
    with ServedSandbox(db_path=str(tmp_path / "s.db"), rate_limit=f"{FROZEN}/2") as served, served.client() as api:
        assert statuses(api, 3) == [200, 200, 429]


def test_sandbox_serve_takes_the_rate_limit_options(tmp_path: Path) -> None:
    options = ("--rate-limit", f"{FROZEN}/1", "--no-rate-limit-retry-after")
    with served_subprocess(str(tmp_path / "s.db"), *options) as served:
        settings = httpx.get(served.url + "/_sandbox/faults").json()
        assert (settings["rate_limit"], settings["rate_limit_retry_after"]) == (f"{FROZEN}/1", False)
        token = httpx.post(
            served.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": served.client_id,
                "client_secret": served.client_secret,
                "scope": "https://api.egain.cloud/auth/.default",
            },
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        answers = [httpx.get(served.base_url + "/channels", headers=headers) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [200, 429]
    assert "Retry-After" not in answers[1].headers


def test_sandbox_serve_refuses_a_bad_rate_limit(tmp_path: Path) -> None:
    result = run_cli(["sandbox", "serve", "--port", "0", "--db", str(tmp_path / "s.db"), "--rate-limit", "fast"])
    assert result.exit_code != 0
    assert "rate_limit 'fast' is not RPS/BURST or a tier" in result.output
    assert not (tmp_path / "s.db").exists()

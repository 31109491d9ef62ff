"""Fault injection: each knob fires at about its rate, only on API requests; the request log counts them."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import httpx
import pytest

from egain_provision.sandbox import BASE_PATH, TOKEN_PATH, SandboxConfig, create_app
from egain_provision.sandbox.testing import ServedSandbox
from tests.sandbox.examples import BYOC_CHANNEL

SAMPLES = 400


def _statuses(api: httpx.Client, count: int) -> Counter[int]:
    return Counter(api.get("/channels").status_code for _ in range(count))


def _within(observed: int, rate: float, samples: int) -> bool:
    # Generous bounds (about four standard deviations) so a fixed seed is not what makes them pass.
    expected = rate * samples
    spread = 4 * (samples * rate * (1 - rate)) ** 0.5
    return expected - spread <= observed <= expected + spread


def test_error_rate_fires_500_and_503_at_about_its_rate(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    clean_sandbox.set_faults(error_rate=0.2, seed=11)
    statuses = _statuses(api, SAMPLES)
    assert _within(statuses[500] + statuses[503], 0.2, SAMPLES)
    assert statuses[500] > 0 and statuses[503] > 0
    assert set(statuses) == {200, 500, 503}
    faults = Counter(entry["fault"] for entry in clean_sandbox.requests() if entry["path"] == BASE_PATH + "/channels")
    assert faults["error"] == statuses[500] + statuses[503]


def test_injected_errors_carry_egain_bodies(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    clean_sandbox.set_faults(error_rate=1, seed=1)
    codes = {api.get("/channels").json()["code"] for _ in range(20)}
    assert codes == {"500-102", "503-101"}


def test_throttle_rate_fires_429_with_a_fractional_retry_after(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    clean_sandbox.set_faults(throttle_rate=0.2, retry_after=0.05, seed=12)
    responses = [api.get("/channels") for _ in range(SAMPLES)]
    throttled = [response for response in responses if response.status_code == 429]
    assert _within(len(throttled), 0.2, SAMPLES)
    assert {response.headers["Retry-After"] for response in throttled} == {"0.05"}
    assert {response.json()["code"] for response in throttled} == {"429-101"}
    assert {response.status_code for response in responses} == {200, 429}


def test_whole_second_retry_after_is_an_integer(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    clean_sandbox.set_faults(throttle_rate=1, retry_after=2)
    assert api.get("/channels").headers["Retry-After"] == "2"


def test_refused_requests_change_nothing(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    clean_sandbox.set_faults(error_rate=0.5, throttle_rate=0.5, seed=3)
    assert {api.post("/channels", json=BYOC_CHANNEL).status_code for _ in range(20)} <= {429, 500, 503}
    clean_sandbox.clear_faults()
    assert api.get("/channels").json()["paginationInfo"]["count"] == 0


def test_lost_answers_commit_the_write_and_the_client_sees_a_transport_error(
    clean_sandbox: ServedSandbox, api: httpx.Client
) -> None:
    clean_sandbox.set_faults(lost_answer_rate=0.2, seed=13)
    types = [f"custom.lost{n}" for n in range(SAMPLES)]
    lost = 0
    for channel_type in types:
        try:
            assert api.post("/channels", json=BYOC_CHANNEL | {"type": channel_type}).status_code == 201
        except httpx.TransportError:
            lost += 1
    assert _within(lost, 0.2, SAMPLES)
    clean_sandbox.clear_faults()
    stored = [
        item["type"]
        for pagenum in range(1, 5)
        for item in api.get("/channels", params={"$pagenum": str(pagenum), "$pagesize": "100"}).json()["channel"]
    ]
    assert stored == types
    logged = Counter(entry["fault"] for entry in clean_sandbox.requests() if entry["method"] == "POST")
    assert logged["lost_answer"] == lost


def test_lost_answers_hit_updates_and_deletes_too(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    object_id = api.post("/channels", json=BYOC_CHANNEL).json()["id"]
    clean_sandbox.set_faults(lost_answer_rate=1)
    with pytest.raises(httpx.TransportError):
        api.put(f"/channels/{object_id}", json=BYOC_CHANNEL | {"displayName": "Changed"})
    clean_sandbox.set_faults(lost_answer_rate=0)
    assert api.get(f"/channels/{object_id}").json()["displayName"] == "Changed"
    clean_sandbox.set_faults(lost_answer_rate=1)
    with pytest.raises(httpx.TransportError):
        api.delete(f"/channels/{object_id}")
    clean_sandbox.set_faults(lost_answer_rate=0)
    assert api.get(f"/channels/{object_id}").status_code == 404


def test_reads_never_lose_their_answer(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    clean_sandbox.set_faults(lost_answer_rate=1)
    assert _statuses(api, 20) == {200: 20}


def test_latency_is_added_within_its_jitter(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    clean_sandbox.set_faults(latency_ms=20, latency_jitter_ms=10, seed=5)
    _statuses(api, 10)
    entries = [entry for entry in clean_sandbox.requests() if entry["path"] == BASE_PATH + "/channels"]
    assert len(entries) == 10
    assert all(10 <= entry["latency_ms"] <= 30 for entry in entries)
    assert all(entry["duration_ms"] >= entry["latency_ms"] for entry in entries)
    assert len({entry["latency_ms"] for entry in entries}) > 1


def test_a_seed_makes_a_run_repeatable(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    runs = []
    for _ in range(2):
        clean_sandbox.set_faults(error_rate=0.3, throttle_rate=0.2, seed=99)
        runs.append([api.get("/channels").status_code for _ in range(60)])
    assert runs[0] == runs[1]
    assert len(set(runs[0])) > 2


def test_faults_never_touch_the_token_or_admin_endpoints(clean_sandbox: ServedSandbox) -> None:
    clean_sandbox.set_faults(error_rate=0.5, throttle_rate=0.5, latency_ms=0)
    for _ in range(20):
        assert clean_sandbox.token()
        assert clean_sandbox.requests() is not None
    assert {entry["fault"] for entry in clean_sandbox.requests()} == {None}


def test_the_request_log_records_api_and_token_requests(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    clean_sandbox.clear_requests()
    api.get("/channels", params={"$pagesize": "5"})
    clean_sandbox.token()
    clean_sandbox.set_faults(seed=1)
    entries = clean_sandbox.requests()
    assert [(entry["method"], entry["path"]) for entry in entries] == [
        ("GET", BASE_PATH + "/channels"),
        ("POST", TOKEN_PATH),
    ]
    first = entries[0]
    assert first["query"] == "%24pagesize=5"
    assert first["status"] == 200
    assert first["fault"] is None
    assert set(first) == {"method", "path", "query", "status", "duration_ms", "latency_ms", "fault", "at_s"}
    assert first["at_s"] <= entries[1]["at_s"]  # arrival times, in the order the requests came
    clean_sandbox.clear_requests()
    assert clean_sandbox.requests() == []


def test_fault_settings_change_partially_at_runtime(clean_sandbox: ServedSandbox) -> None:
    clean_sandbox.set_faults(error_rate=0.1, seed=4)
    settings = clean_sandbox.set_faults(retry_after=0.5)
    assert settings == {
        "latency_ms": 0,
        "latency_jitter_ms": 0,
        "error_rate": 0.1,
        "throttle_rate": 0,
        "retry_after": 0.5,
        "lost_answer_rate": 0,
        "lost_answer_as": "reset",
        "seed": 4,
        "rate_limit": None,
        "rate_limit_retry_after": True,
    }
    assert httpx.get(clean_sandbox.url + "/_sandbox/faults").json() == settings


@pytest.mark.parametrize(
    "change",
    [
        {"error_rate": 1.5},
        {"latency_ms": -1},
        {"colour": 1},
        {"seed": "x"},
        {"error_rate": 0.6, "throttle_rate": 0.5},
        {"throttle_rate": True},
        ["error_rate"],
    ],
    ids=str,
)
def test_invalid_fault_settings_are_refused(clean_sandbox: ServedSandbox, change: object) -> None:
    before = httpx.get(clean_sandbox.url + "/_sandbox/faults").json()
    response = httpx.put(clean_sandbox.url + "/_sandbox/faults", json=change)
    assert (response.status_code, response.json()["code"]) == (400, "400-105")
    assert httpx.get(clean_sandbox.url + "/_sandbox/faults").json() == before


def test_faults_can_be_configured_at_start(tmp_path: Path) -> None:
    with (
        ServedSandbox(db_path=str(tmp_path / "f.db"), throttle_rate=1, retry_after=3) as served,
        served.client() as api,
    ):
        response = api.get("/channels")
        assert (response.status_code, response.headers["Retry-After"]) == (429, "3")


def test_embedded_sandbox_serves_in_process_and_lost_answers_raise_oserror(tmp_path: Path) -> None:
    db = tmp_path / "nested" / "dir" / "embedded.db"
    app = create_app(SandboxConfig(db_path=str(db)))
    assert db.exists()

    async def scenario() -> tuple[int, type[BaseException] | None, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.embedded") as client:
            form = {
                "grant_type": "client_credentials",
                "client_id": "sandbox-client",
                "client_secret": "sandbox-secret",
                "scope": "app.conversation.conversationmgr.manage",
            }
            token = (await client.post(TOKEN_PATH, data=form)).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            created = await client.post(BASE_PATH + "/channels", json=BYOC_CHANNEL, headers=headers)
            await client.put("/_sandbox/faults", json={"lost_answer_rate": 1})
            raised: type[BaseException] | None = None
            try:
                await client.post(BASE_PATH + "/channels", json=BYOC_CHANNEL | {"type": "t2"}, headers=headers)
            except OSError as exc:
                raised = type(exc)
            await client.put("/_sandbox/faults", json={"lost_answer_rate": 0})
            listed = await client.get(BASE_PATH + "/channels", headers=headers)
            return created.status_code, raised, listed.json()["paginationInfo"]["count"]

    status, raised, count = asyncio.run(scenario())
    assert status == 201
    assert raised is not None and issubclass(raised, ConnectionResetError)
    assert count == 2

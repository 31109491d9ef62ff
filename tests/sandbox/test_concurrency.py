"""Parallel writers lose and duplicate nothing; many objects stay fast to page through."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from egain_provision.sandbox.testing import ServedSandbox
from tests.sandbox.examples import BYOC_CHANNEL, client_application

WRITERS = 20
PER_WRITER = 150


def _write(sandbox: ServedSandbox, writer: int) -> list[str]:
    with sandbox.client() as api:
        return [
            api.post("/channels", json=BYOC_CHANNEL | {"type": f"custom.w{writer}.{n}"}).json()["id"]
            for n in range(PER_WRITER)
        ]


def test_twenty_parallel_writers_lose_and_duplicate_nothing(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    with ThreadPoolExecutor(WRITERS) as pool:
        written = [
            object_id for ids in pool.map(lambda w: _write(clean_sandbox, w), range(WRITERS)) for object_id in ids
        ]
    assert len(written) == len(set(written)) == WRITERS * PER_WRITER
    listed: list[dict[str, str]] = []
    for pagenum in range(1, WRITERS * PER_WRITER // 100 + 2):
        listed += api.get("/channels", params={"$pagenum": str(pagenum), "$pagesize": "100"}).json()["channel"]
    assert sorted(item["id"] for item in listed) == sorted(written)
    assert len({item["type"] for item in listed}) == WRITERS * PER_WRITER


def test_racing_creates_of_one_name_yield_exactly_one_object(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    body = client_application("contested", "customer")

    def attempt(_: int) -> str:
        with clean_sandbox.client() as writer:
            response = writer.post("/clientapplications", json=body)
            return f"{response.status_code} {response.json().get('code', '')}".strip()

    with ThreadPoolExecutor(WRITERS) as pool:
        statuses = sorted(pool.map(attempt, range(WRITERS)))
    assert statuses == ["201"] + ["400 400-138"] * (WRITERS - 1)
    assert api.get("/clientapplications").json()["paginationInfo"]["count"] == 1


def test_racing_stale_writes_let_exactly_one_win(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    object_id = api.post("/channels", json=BYOC_CHANNEL).json()["id"]
    modified = api.get(f"/channels/{object_id}").json()["modified"]

    def attempt(writer: int) -> int:
        with clean_sandbox.client() as client:
            body = BYOC_CHANNEL | {"displayName": f"writer {writer}", "modified": modified}
            return client.put(f"/channels/{object_id}", json=body).status_code

    with ThreadPoolExecutor(WRITERS) as pool:
        statuses = sorted(pool.map(attempt, range(WRITERS)))
    assert statuses == [204] + [409] * (WRITERS - 1)

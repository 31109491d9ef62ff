"""Stand-in tenants that page in ways the spec leaves open: the reader reads them whole or stops."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest

from egain_provision.client import Credentials, EgainClient
from egain_provision.errors import ApiError
from egain_provision.kinds import KINDS_BY_NAME
from egain_provision.listing import IncompleteRead
from egain_provision.live import read_live

CHANNELS = KINDS_BY_NAME["channels"]


def tenant(items: list[dict[str, Any]], *, page: int, count: bool, honour_pagenum: bool) -> httpx.MockTransport:
    """A tenant of `items` answering pages of `page`, with or without a count, honouring $pagenum or not."""

    def answer(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params.get("$pagenum", "1")) if honour_pagenum else 1
        chunk = items[(number - 1) * page : number * page]
        body: dict[str, Any] = {"channel": chunk}
        if count:
            body["paginationInfo"] = {"count": len(items), "pagenum": number, "pagesize": page}
        return httpx.Response(200, content=json.dumps(body))

    return httpx.MockTransport(answer)


def channels(n: int, *, id_of: Any = str) -> list[dict[str, Any]]:
    return [{"id": id_of(f"{i:036d}"), "type": f"custom.c{i}", "displayName": "x"} for i in range(n)]


def read(transport: httpx.MockTransport) -> int:
    async def go() -> int:
        credentials = Credentials(access_token="a-token-for-a-stand-in")
        async with EgainClient("http://tenant/v3", credentials, transport=transport) as client:
            return len((await read_live(client, ["channels"])).of_kind("channels"))

    return asyncio.run(go())


def test_pages_of_25_with_a_count_are_read_whole() -> None:
    assert read(tenant(channels(60), page=25, count=True, honour_pagenum=True)) == 60


def test_pages_of_25_without_a_count_are_read_until_a_short_page() -> None:
    assert read(tenant(channels(60), page=25, count=False, honour_pagenum=True)) == 60


def test_a_tenant_that_repeats_its_first_page_without_a_count_stops_the_run() -> None:
    with pytest.raises(IncompleteRead, match="repeats the first page"):
        read(tenant(channels(60), page=25, count=False, honour_pagenum=False))


def test_a_tenant_that_repeats_its_first_page_with_a_count_stops_naming_both_numbers() -> None:
    with pytest.raises(IncompleteRead, match="read 25 distinct Channel objects but the tenant reports 60"):
        read(tenant(channels(60), page=25, count=True, honour_pagenum=False))


def test_list_items_without_a_string_id_stop_the_run_instead_of_looking_absent() -> None:
    with pytest.raises(IncompleteRead, match="without a string id"):
        read(tenant(channels(20, id_of=lambda text: int(text)), page=25, count=False, honour_pagenum=True))


def answering(status: int, body: bytes, headers: dict[str, str] | None = None) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, content=body, headers=headers or {}))


def test_a_count_of_a_trillion_is_refused_at_once() -> None:
    body = json.dumps({"paginationInfo": {"count": 10**12, "pagesize": 25}, "channel": channels(25)}).encode()
    with pytest.raises(IncompleteRead, match="reports 1000000000000 Channel objects; at most 100000 are read"):
        read(answering(200, body))


def test_an_answer_over_32_mib_is_refused_not_held() -> None:
    huge = b'{"channel": [' + b'{"id": "x", "type": "y"},' * 1_500_000 + b'{"id": "z", "type": "w"}]}'
    assert len(huge) > 32 * 1024 * 1024
    with pytest.raises(ApiError, match="larger than 32 MiB; refused"):
        read(answering(200, huge))


def test_a_redirect_with_a_json_body_is_refused_naming_its_location() -> None:
    body = json.dumps({"channel": []}).encode()
    with pytest.raises(
        ApiError, match=re.escape("a redirect to https://elsewhere.example/v3/channels; redirects are not followed")
    ):
        read(answering(302, body, {"Location": "https://elsewhere.example/v3/channels"}))

"""Delivery as the spec describes it: the declared OAuth2 request, the token kept until a 401, the
callback's time limit, and a notification when a callback cannot be reached."""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx

from egain_provision.sandbox.testing import ServedSandbox
from tests.hub.conftest import CALLBACK_LIMIT
from tests.hub.support import (
    BASIC_PASSWORD,
    TOKEN_PAYLOAD,
    LoopbackBot,
    admin,
    build_setup,
    customer_says,
    deliveries,
    oauth2_authentication,
    started,
    transcript,
    wait_for,
)
from tests.support import Tenant


def _final(hub: ServedSandbox, conversation: str, count: int = 1) -> list[dict[str, Any]]:
    """The conversation's delivery records once there are `count` of them."""

    def enough() -> list[dict[str, Any]] | None:
        records = deliveries(hub, conversation)
        return records if len(records) >= count else None

    records: list[dict[str, Any]] = wait_for(enough, f"{count} delivery record(s)")
    return records


def test_the_token_request_is_the_declared_one_and_the_token_is_read_at_accesstokenpath(
    hub: ServedSandbox, tenant: Tenant, api: httpx.Client, bot: LoopbackBot
) -> None:
    bot.token_answer = lambda token: {"tokens": [{"kind": "access", "value": token}]}
    auth = oauth2_authentication(bot, method="GET", accessTokenPath="$.tokens[0]['value']")
    setup = build_setup(tenant, bot, authentication=auth)
    conversation = started(customer_says(api, "hi", setup=setup))

    [record] = _final(hub, conversation)
    assert record["outcome"] == "delivered" and record["auth"] == {
        "scheme": "oauth2 (bot-callback)",
        "token": "fetched",
    }
    [token_request] = bot.requests_to("/token")
    assert token_request.method == "GET"
    assert token_request.headers["x-tenant"] == "shop" and token_request.headers["content-type"] == "application/json"
    assert token_request.body.decode() == TOKEN_PAYLOAD
    assert bot.requests_to("/bot")[0].headers["authorization"] == f"Bearer {bot.issued[0]}"


def test_the_token_is_kept_until_a_401_then_renewed_once(
    hub: ServedSandbox, tenant: Tenant, api: httpx.Client, bot: LoopbackBot
) -> None:
    setup = build_setup(tenant, bot)
    conversation = started(customer_says(api, "one", setup=setup))
    _final(hub, conversation)
    customer_says(api, "two", conversation)
    _final(hub, conversation, 2)
    assert len(bot.requests_to("/token")) == 1  # kept: the second delivery used the same token

    bot.refuse_next = 1
    customer_says(api, "three", conversation)
    records = _final(hub, conversation, 4)
    assert [(r["status"], r["auth"].get("token")) for r in records[2:]] == [(401, "cached"), (200, "renewed")]
    assert len(bot.requests_to("/token")) == 2
    assert bot.requests_to("/bot")[-1].headers["authorization"] == f"Bearer {bot.issued[1]}"


def test_a_callback_slower_than_the_limit_fails_and_notifies_the_roles_email(
    hub: ServedSandbox, tenant: Tenant, api: httpx.Client, bot: LoopbackBot
) -> None:
    bot.slow = {"/bot"}
    setup = build_setup(tenant, bot)
    conversation = started(customer_says(api, "hello?", setup=setup))

    [record] = _final(hub, conversation)
    assert (record["outcome"], record["status"]) == ("timeout", None)
    assert record["error"] == f"no answer within {CALLBACK_LIMIT:g} s"
    [notification] = admin(hub, "GET", "/notifications")
    assert notification["email"] == "ops@shop.example" and notification["application"] == "order-bot-app"
    assert wait_for(lambda: transcript(api, conversation)[0]["status"] == "failed", "the message marked failed")


def test_an_unreachable_callback_is_recorded_and_notified(
    hub: ServedSandbox, tenant: Tenant, api: httpx.Client, bot: LoopbackBot
) -> None:
    setup = build_setup(tenant, bot)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nobody = f"http://127.0.0.1:{closed.getsockname()[1]}/bot"
    # A credential in the callback's query stays out of the records.
    role: dict[str, Any] = {"name": "custom_bot", "version": "v3", "callback": nobody + "?key=Cb-K3y-q1"}
    role |= {"notificationEmail": "bots@shop.example", "authentication": {"id": setup.ids["auth"]}}
    body = {"name": "order-bot-app", "roles": [role]}
    tenant.update("clientApplications", setup.ids["bot"], body)
    conversation = started(customer_says(api, "anyone?", setup=setup))

    [record] = _final(hub, conversation)
    assert record["outcome"] == "unreachable" and record["to"]["callback"] == nobody
    [notification] = admin(hub, "GET", "/notifications")
    assert notification["email"] == "bots@shop.example" and nobody in notification["reason"]
    assert "Cb-K3y-q1" not in json.dumps(deliveries(hub)) + json.dumps(notification)


def test_a_wrong_accesstokenpath_is_named_and_no_secret_is_recorded(
    hub: ServedSandbox, tenant: Tenant, api: httpx.Client, bot: LoopbackBot
) -> None:
    setup = build_setup(tenant, bot, authentication=oauth2_authentication(bot, accessTokenPath="$.accessToken"))
    conversation = started(customer_says(api, "hi", setup=setup))

    [record] = _final(hub, conversation)
    assert record["outcome"] == "token_failed"
    assert "accessTokenPath '$.accessToken'" in str(record["error"])
    assert not bot.requests_to("/bot")
    shown = json.dumps(deliveries(hub)) + json.dumps(admin(hub, "GET", "/notifications"))
    for secret in ("Payload-S3cret-xyz", BASIC_PASSWORD, *bot.issued):
        assert secret not in shown


def test_a_token_endpoint_that_refuses_is_reported_with_its_status(
    hub: ServedSandbox, tenant: Tenant, api: httpx.Client, bot: LoopbackBot
) -> None:
    auth = oauth2_authentication(bot, tokenRequestUrl=bot.url + "/missing")
    bot.token_answer = lambda token: {"data": {"token": token}}
    setup = build_setup(tenant, bot, authentication=auth)
    conversation = started(customer_says(api, "hi", setup=setup))
    [record] = _final(hub, conversation)
    # The loopback bot answers any unknown path 401 for lack of a token: the hub names that status.
    assert (record["outcome"], record["status"], record["error"]) == (
        "token_failed",
        401,
        "the token endpoint answered 401",
    )

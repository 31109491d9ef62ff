"""The hub routes a conversation through the account's orchestration, over real HTTP to loopback callbacks."""

from __future__ import annotations

import httpx

from egain_provision.sandbox.testing import ServedSandbox
from tests.hub.support import (
    BASIC_PASSWORD,
    LoopbackBot,
    build_setup,
    customer_says,
    participant_says,
    started,
    transcript,
    wait_for,
)
from tests.support import Tenant

INTERACTION = "app.conversation.conversationmgr.interaction."


def test_bot_first_the_bot_gets_the_message_with_its_token_and_headers_and_its_reply_reaches_the_customer(
    tenant: Tenant, api: httpx.Client, bot: LoopbackBot
) -> None:
    setup = build_setup(tenant, bot, bot_headers=[{"name": "X-Bot-Tenant", "value": "acme"}])
    conversation = started(customer_says(api, "Where is my order?", setup=setup))

    [message] = wait_for(lambda: bot.messages_to("/bot"), "the bot's callback")
    [request] = bot.requests_to("/bot")
    assert request.headers["x-bot-tenant"] == "acme"
    assert request.headers["authorization"] == f"Bearer {bot.issued[0]}"
    # The callback payload's shape follows the spec's example: the message with its conversation.
    assert request.json()["metadata"]["attributes"] == [{"name": "version", "value": "v3"}]
    assert message["conversation"]["id"] == conversation
    assert message["conversation"]["account"]["channel"]["type"] == "custom.web"
    assert (message["type"], message["content"], message["sender"]["type"]) == (
        {"value": "text"},
        {"text": "Where is my order?"},
        "customer",
    )
    assert message["recipients"]["recipient"] == [{"type": "custom_bot", "participant": {"name": "order-bot"}}]
    assert not bot.requests_to("/agent")

    assert participant_says(api, conversation, "custom_bot", "text", "It ships tomorrow").status_code == 202
    [reply] = wait_for(lambda: bot.messages_to("/customer"), "the customer's callback")
    assert reply["content"] == {"text": "It ships tomorrow"}
    shown = wait_for(lambda: [m for m in transcript(api, conversation) if m["status"] == "sent"][1:], "both sent")
    assert [m["sender"]["type"] for m in transcript(api, conversation)] == ["customer", "custom_bot"]
    assert shown[0]["recipients"]["recipient"] == [{"type": "customer"}]


def test_agent_first_the_agent_desk_gets_the_message_with_basic_auth(
    tenant: Tenant, api: httpx.Client, bot: LoopbackBot
) -> None:
    bot.basic = ("desk", BASIC_PASSWORD)
    basic = {"name": "desk-basic", "type": "basic", "basicAuth": {"username": "desk", "password": BASIC_PASSWORD}}
    setup = build_setup(tenant, bot, authentication=basic, bot_first=False)
    conversation = started(customer_says(api, "Hello?", setup=setup))

    [message] = wait_for(lambda: bot.messages_to("/agent"), "the agent's callback")
    assert message["conversation"]["id"] == conversation
    assert not bot.requests_to("/bot") and not bot.requests_to("/token")
    assert bot.requests_to("/agent")[0].headers["authorization"].startswith("Basic ")


def test_the_bots_escalation_hands_the_conversation_and_its_transcript_to_the_onescalation_agent(
    tenant: Tenant, api: httpx.Client, bot: LoopbackBot
) -> None:
    setup = build_setup(tenant, bot)
    conversation = started(customer_says(api, "I want a human", setup=setup))
    wait_for(lambda: bot.messages_to("/bot"), "the bot's callback")

    assert participant_says(api, conversation, "custom_bot", "escalation.transfer").status_code == 202
    [escalation] = wait_for(lambda: bot.messages_to("/agent"), "the agent's callback")
    assert escalation["type"] == {"value": "escalation.transfer"}
    assert [m["content"]["text"] for m in escalation["conversation"]["messages"]["message"]] == ["I want a human"]

    # Now the agent has it: the customer's next message goes to the agent, and the bot is out.
    customer_says(api, "Hi agent", conversation)
    wait_for(lambda: len(bot.messages_to("/agent")) == 2, "the second message at the agent")
    refused = participant_says(api, conversation, "custom_bot", "text", "still me")
    assert (refused.status_code, refused.json()["code"]) == (400, "400-240")


def test_the_hub_refuses_what_the_spec_refuses(tenant: Tenant, api: httpx.Client, bot: LoopbackBot) -> None:
    setup = build_setup(tenant, bot)
    unknown = customer_says(api, "hi", setup=setup.__class__(setup.ids, address="nowhere.example"))
    assert unknown.status_code == 400
    assert (
        "custom.web" in unknown.json()["developerMessage"] and "nowhere.example" in unknown.json()["developerMessage"]
    )

    conversation = started(customer_says(api, "hi", setup=setup))
    escalation = customer_says(api, "up", conversation, type_value="escalation.transfer")
    assert (escalation.status_code, escalation.json()["code"]) == (400, "400-199")

    bot_start = api.post(
        "/conversations/messages",
        json={
            "messages": {"message": [{"conversation": {}, "type": {"value": "text"}, "sender": {"type": "custom_bot"}}]}
        },
    )
    assert (bot_start.status_code, bot_start.json()["code"]) == (403, "403-103")
    gone = customer_says(api, "hi", "0" * 36)
    assert (gone.status_code, gone.json()["code"]) == (400, "400-630")


def test_interaction_permissions_follow_x_egain_app_permissions(
    hub: ServedSandbox, tenant: Tenant, bot: LoopbackBot
) -> None:
    setup = build_setup(tenant, bot)
    with hub.client("app.conversation.conversationmgr.manage") as setup_only:
        assert customer_says(setup_only, "hi", setup=setup).status_code == 403
    with hub.client(INTERACTION + "manage") as manage:
        conversation = started(customer_says(manage, "hi", setup=setup))
    with hub.client(INTERACTION + "read") as read:
        assert read.get(f"/conversations/{conversation}").status_code == 200
        assert customer_says(read, "more", conversation).status_code == 403

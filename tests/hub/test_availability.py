"""Agent availability drives the account's onAgentUnavailability and allowQueueTransferOnAgentUnavailability;
the account's timeout ends idle conversations on the hub's clock."""

from __future__ import annotations

from typing import Any

import httpx

from egain_provision.sandbox.testing import ServedSandbox
from tests.hub.support import (
    LoopbackBot,
    admin,
    build_setup,
    customer_says,
    iter_texts,
    participant_says,
    started,
    transcript,
    wait_for,
)
from tests.support import Tenant


def _agents_say(api: httpx.Client, type_value: str, entry_point: str = "1001") -> None:
    """The spec's agent.available / agent.unavailable message, from the agent application."""
    message: dict[str, Any] = {
        "conversation": {"entryPoint": {"id": entry_point}},
        "type": {"value": type_value},
        "sender": {"type": "custom_agent", "participant": {"name": "desk"}},
    }
    assert api.post("/conversations/messages", json={"messages": {"message": [message]}}).status_code == 202


def _customer_texts(api: httpx.Client, conversation: str) -> list[str]:
    return list(iter_texts([m for m in transcript(api, conversation) if m["sender"]["type"] != "customer"]))


def test_off_hours_answers_the_customer_with_the_channels_text_and_the_agent_gets_nothing(
    tenant: Tenant, api: httpx.Client, bot: LoopbackBot
) -> None:
    setup = build_setup(tenant, bot, bot_first=False, chat={"onAgentUnavailability": "off_hours"})
    _agents_say(api, "agent.unavailable")
    conversation = started(customer_says(api, "Anyone there?", setup=setup))

    wait_for(lambda: bot.messages_to("/customer"), "the off-hours message at the customer")
    assert _customer_texts(api, conversation) == ["We are closed now."]
    assert transcript(api, conversation)[0]["status"] == "skipped"
    _agents_say(api, "agent.available")
    customer_says(api, "And now?", conversation)
    wait_for(lambda: bot.messages_to("/agent"), "the agent's callback")
    assert [m["content"]["text"] for m in bot.messages_to("/agent")] == ["And now?"]


def test_retain_and_retry_holds_the_escalation_until_an_agent_is_online(
    hub: ServedSandbox, tenant: Tenant, api: httpx.Client, bot: LoopbackBot
) -> None:
    setup = build_setup(tenant, bot, chat={"onAgentUnavailability": "retain_and_retry"})
    admin(hub, "PUT", "/agents", {"available": False})
    conversation = started(customer_says(api, "A human, please", setup=setup))
    wait_for(lambda: bot.messages_to("/bot"), "the bot's callback")
    assert participant_says(api, conversation, "custom_bot", "escalation.transfer").status_code == 202

    wait_for(lambda: bot.messages_to("/customer"), "the retain message at the customer")
    assert _customer_texts(api, conversation) == ["Agents are busy; please hold."]
    assert not bot.requests_to("/agent")
    assert admin(hub, "GET", "/conversations")[0]["held"] == 1

    admin(hub, "PUT", "/agents", {"available": True, "entryPoint": "1001"})
    [escalation] = wait_for(lambda: bot.messages_to("/agent"), "the held escalation at the agent")
    assert escalation["type"] == {"value": "escalation.transfer"}
    assert "A human, please" in iter_texts(escalation["conversation"]["messages"]["message"])


def test_queue_transfer_with_no_agent_online_follows_allowqueuetransfer(
    hub: ServedSandbox, tenant: Tenant, api: httpx.Client, bot: LoopbackBot
) -> None:
    setup = build_setup(tenant, bot, bot_first=False)
    conversation = started(customer_says(api, "hi", setup=setup))
    wait_for(lambda: bot.messages_to("/agent"), "the agent's callback")
    admin(hub, "PUT", "/agents", {"available": False})
    refused = participant_says(api, conversation, "custom_agent", "queue.transfer")
    assert (
        refused.status_code == 400 and "allowQueueTransferOnAgentUnavailability" in refused.json()["developerMessage"]
    )

    allowed = build_setup_with_queue_transfer(hub, tenant, bot)
    conversation = started(customer_says(api, "hi again", setup=allowed))
    assert participant_says(api, conversation, "custom_agent", "queue.transfer").status_code == 202
    assert [c["held"] for c in admin(hub, "GET", "/conversations") if c["id"] == conversation] == [2]


def build_setup_with_queue_transfer(hub: ServedSandbox, tenant: Tenant, bot: LoopbackBot) -> Any:
    hub.reset()
    admin(hub, "PUT", "/agents", {"available": False})
    chat = {"onAgentUnavailability": "retain_and_retry", "allowQueueTransferOnAgentUnavailability": True}
    return build_setup(tenant, bot, bot_first=False, chat=chat)


def test_the_accounts_timeout_ends_an_idle_conversation_on_the_hubs_clock(
    hub: ServedSandbox, tenant: Tenant, api: httpx.Client, bot: LoopbackBot
) -> None:
    setup = build_setup(tenant, bot, chat={"timeout": 30})
    conversation = started(customer_says(api, "hi", setup=setup))

    admin(hub, "POST", "/clock", {"advance": 29 * 60})
    assert customer_says(api, "still here", conversation).status_code == 202  # activity restarts the 30 minutes
    admin(hub, "POST", "/clock", {"advance": 29 * 60})
    assert admin(hub, "GET", "/conversations")[0]["state"] == "active"
    admin(hub, "POST", "/clock", {"advance": 2 * 60})
    [state] = admin(hub, "GET", "/conversations")
    assert (state["state"], state["endedReason"]) == ("ended", "timeout")
    late = customer_says(api, "hello?", conversation)
    assert (late.status_code, late.json()["code"]) == (400, "400-630")

"""The Conversation Hub: conversations, and routing each message through the account's orchestration.

A customer's first message names the account by channel type and address; the account's
orchestration decides who answers first (its bot, else its agent application). A bot's
`escalation.transfer` hands the conversation to its `onEscalation` agent application (with the
transcript); an agent's hands it back to the bot. Agents answer only while available (the
`agent.available` / `agent.unavailable` messages, or `PUT /_sandbox/agents`); otherwise the
account's `onAgentUnavailability` either answers the customer with the channel's off-hours text
(`off_hours`) or holds the message until an agent is online (`retain_and_retry`). A conversation
ends after `timeout` minutes without a message, on the hub's clock (which an admin can advance).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from egain_provision.sandbox import failures
from egain_provision.sandbox.failures import ApiFailure
from egain_provision.sandbox.hub.delivery import Deliverer
from egain_provision.sandbox.hub.directory import Directory
from egain_provision.sandbox.hub.dispatch import Dispatcher
from egain_provision.sandbox.hub.messages import (
    BOTS,
    CONVERSATION_GONE,
    CUSTOMER,
    MAY_NOT_START,
    NOT_IN_CONVERSATION,
    checked_message,
    request_messages,
)
from egain_provision.sandbox.hub.state import DEFAULT_TIMEOUT_MINUTES, Conversation, HubClock
from egain_provision.sandbox.store import Store


class Hub:
    """Every conversation of one sandbox, the agents' availability and the deliveries."""

    def __init__(self, store: Store, callback_timeout: float) -> None:
        self.clock = HubClock()
        self.directory = Directory(store)
        self.deliverer = Deliverer(callback_timeout, self.directory.authentication, self.clock.stamp)
        self.dispatch = Dispatcher(self.clock, self.directory, self.deliverer)
        self.conversations: dict[str, Conversation] = {}

    def reset(self) -> None:
        """Forget every conversation, delivery, notification and availability; the clock back to now."""
        self.conversations.clear()
        self.dispatch.available.clear()
        self.dispatch.default_available = True
        self.clock.offset = 0.0
        self.deliverer.clear()

    async def close(self) -> None:
        """Let deliveries under way finish (bounded by the callback limit), then close the HTTP client."""
        if self.dispatch.tasks:
            await asyncio.wait(self.dispatch.tasks, timeout=self.deliverer.timeout * 3)
        await self.deliverer.close()

    # --- the API ---------------------------------------------------------------------------

    def send(self, body: Any) -> dict[str, Any]:
        """`POST /conversations/messages`: accept each message and route it; the 202 answer's body."""
        listed = request_messages(body)
        checked = [checked_message(message, index) for index, message in enumerate(listed)]
        self.expire()
        accepted = []
        for message, (type_value, sender_type) in zip(listed, checked, strict=True):
            accepted.append(self._accept(message, type_value, sender_type))
        return {"messages": {"message": accepted}}

    def conversation(self, conversation_id: str) -> dict[str, Any]:
        """`GET /conversations/{id}`: the conversation and every message through the hub so far."""
        self.expire()
        conv = self.conversations.get(conversation_id)
        if conv is None:
            raise ApiFailure(failures.NOT_FOUND, f"Conversation {conversation_id} not found")
        shown = conv.reference()
        if conv.customer:
            shown["customer"] = conv.customer
        if conv.messages:
            shown["messages"] = {"message": [dict(entry) for entry in conv.messages]}
        return shown

    # --- admin -----------------------------------------------------------------------------

    def set_availability(self, available: bool, entry_point: str | None) -> None:
        """Agents of one entry point (or of all, without one) go on- or offline; held messages go out."""
        if entry_point is None:
            self.dispatch.available.clear()
            self.dispatch.default_available = available
        else:
            self.dispatch.available[entry_point] = available
        if available:
            for conv in self.conversations.values():
                if conv.held and self.dispatch.agents_available(conv):
                    self.dispatch.release(conv)

    def advance(self, seconds: float) -> None:
        """Move the hub's clock forward; conversations idle past their account's timeout end."""
        self.clock.offset += seconds
        self.expire()

    def expire(self) -> None:
        """End every conversation idle for longer than its account's timeout."""
        now = self.clock.now()
        for conv in self.conversations.values():
            minutes = conv.chat.get("timeout", DEFAULT_TIMEOUT_MINUTES)
            if conv.state != "ended" and now - conv.last_activity > float(minutes) * 60:
                conv.state, conv.ended_reason = "ended", "timeout"
                conv.held.clear()

    def summary(self) -> list[dict[str, Any]]:
        """Every conversation's state, for `GET /_sandbox/conversations`."""
        self.expire()
        return [
            {
                "id": conv.id,
                "account": conv.account.body.get("name"),
                "handler": conv.handler,
                "state": conv.state,
                "endedReason": conv.ended_reason,
                "held": len(conv.held),
                "messages": len(conv.messages),
            }
            for conv in self.conversations.values()
        ]

    def availability(self) -> dict[str, Any]:
        """The agents' availability, as `GET /_sandbox/agents` shows it."""
        return {"available": self.dispatch.default_available, "entryPoints": dict(self.dispatch.available)}

    # --- routing ---------------------------------------------------------------------------

    def _accept(self, message: dict[str, Any], type_value: str, sender_type: str) -> dict[str, Any]:
        conversation = message["conversation"]
        if type_value in ("agent.available", "agent.unavailable") and not conversation.get("id"):
            entry_point = (conversation.get("entryPoint") or {}).get("id")
            self.set_availability(type_value == "agent.available", str(entry_point) if entry_point else None)
            return _accepted(message, None)
        conv = self._conversation_of(conversation, sender_type)
        if any(message.get("messageId") and old.get("messageId") == message["messageId"] for old in conv.messages):
            raise ApiFailure(
                failures.DUPLICATE_KEY, f"Duplicate messageId '{message['messageId']}' in this conversation"
            )
        conv.last_activity = self.clock.now()
        first = len(conv.messages)
        if sender_type == CUSTOMER:
            self._from_customer(conv, message, type_value)
        else:
            self._from_participant(conv, message, type_value, sender_type)
        return _accepted(message, conv.id, conv.messages[first]["id"])

    def _conversation_of(self, conversation: dict[str, Any], sender_type: str) -> Conversation:
        conversation_id = conversation.get("id")
        if conversation_id:
            conv = self.conversations.get(str(conversation_id))
            if conv is None or conv.state == "ended":
                raise ApiFailure(
                    CONVERSATION_GONE,
                    f"Following conversation id is invalid, completed or expired : {conversation_id}.",
                )
            return conv
        if sender_type != CUSTOMER:
            raise ApiFailure(MAY_NOT_START, "Sender is not allowed to start conversation.")
        return self._start(conversation)

    def _start(self, conversation: dict[str, Any]) -> Conversation:
        account_ref = conversation.get("account")
        channel_type = ((account_ref or {}).get("channel") or {}).get("type") if isinstance(account_ref, dict) else None
        address = account_ref.get("address") if isinstance(account_ref, dict) else None
        if not channel_type or not address:
            raise ApiFailure(
                failures.REQUIRED_MISSING,
                "A conversation's first message needs 'conversation.account.channel.type' and "
                "'conversation.account.address'",
            )
        account, channel = self.directory.account_for(str(channel_type), str(address))
        orchestration_id = ((account.body.get("chatConfigurations") or {}).get("orchestration") or {}).get("id", "")
        orchestration = self.directory.get("orchestrations", orchestration_id)
        applications = (orchestration.body.get("applications") or {}) if orchestration else {}
        conv = Conversation(
            id=str(uuid.uuid4()),
            account=account,
            channel=channel,
            orchestration=applications,
            handler="bot" if applications.get("botConfiguration") else "agent",
            last_activity=self.clock.now(),
            customer=customer if isinstance(customer := conversation.get("customer"), dict) else {},
        )
        self.conversations[conv.id] = conv
        return conv

    def _from_customer(self, conv: Conversation, message: dict[str, Any], type_value: str) -> None:
        if type_value == "conversation.end":
            conv.state, conv.ended_reason = "ended", "conversation.end"
        if conv.handler == "bot":
            self.dispatch.to_bot(conv, message, type_value)
        else:
            self.dispatch.to_agent(
                conv, self.dispatch.entry(conv, message, type_value, self.dispatch.agent_type(conv)), {}
            )

    def _from_participant(self, conv: Conversation, message: dict[str, Any], type_value: str, sender: str) -> None:
        handler = "bot" if sender in BOTS else "agent"
        if handler != conv.handler:
            raise ApiFailure(NOT_IN_CONVERSATION, f"Sender is not part of following conversation :  {conv.id}")
        if type_value == "escalation.transfer":
            self._escalate(conv, message, handler)
            return
        if type_value == "queue.transfer":
            self._queue_transfer(conv, message)
            return
        if type_value == "conversation.end":
            conv.state, conv.ended_reason = "ended", "conversation.end"
        self.dispatch.to_customer(conv, self.dispatch.entry(conv, message, type_value, CUSTOMER))

    def _escalate(self, conv: Conversation, message: dict[str, Any], handler: str) -> None:
        if handler == "agent":
            if not conv.orchestration.get("botConfiguration"):
                raise ApiFailure(
                    failures.VALUE_NOT_ALLOWED, "The orchestration has no bot to hand this conversation over to"
                )
            conv.handler = "bot"
            self.dispatch.to_bot(conv, message, "escalation.transfer")
            return
        # The agent receives the transcript so far, as the spec's escalation example shows.
        transcript = [dict(entry) for entry in conv.messages]
        conv.handler = "agent"
        entry = self.dispatch.entry(conv, message, "escalation.transfer", self.dispatch.agent_type(conv))
        self.dispatch.to_agent(conv, entry, {"messages": {"message": transcript}} if transcript else {})

    def _queue_transfer(self, conv: Conversation, message: dict[str, Any]) -> None:
        if not self.dispatch.agents_available(conv) and not conv.chat.get(
            "allowQueueTransferOnAgentUnavailability", False
        ):
            raise ApiFailure(
                failures.VALUE_NOT_ALLOWED,
                "The account does not allow a transfer back to the queue while no agent is available "
                "(allowQueueTransferOnAgentUnavailability is false)",
            )
        entry = self.dispatch.entry(conv, message, "queue.transfer", self.dispatch.agent_type(conv))
        self.dispatch.hold_or_send(conv, entry, {})


def _accepted(message: dict[str, Any], conversation_id: str | None, entry_id: str | None = None) -> dict[str, Any]:
    accepted: dict[str, Any] = {"id": entry_id or str(uuid.uuid4())}
    if message.get("messageId"):
        accepted["messageId"] = message["messageId"]
    if conversation_id:
        accepted["conversation"] = {"id": conversation_id}
    return accepted

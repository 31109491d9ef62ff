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
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from egain_provision.sandbox import failures
from egain_provision.sandbox.failures import ApiFailure
from egain_provision.sandbox.hub.delivery import Deliverer, Recipient
from egain_provision.sandbox.hub.directory import OFF_HOURS_PROPERTY, RETAIN_PROPERTY, Directory, Unroutable, hub_text
from egain_provision.sandbox.hub.messages import (
    AGENTS,
    BOTS,
    CONVERSATION_GONE,
    CUSTOMER,
    MAY_NOT_START,
    NOT_IN_CONVERSATION,
    checked_message,
    request_messages,
)
from egain_provision.sandbox.store import Store, StoredObject

DEFAULT_TIMEOUT_MINUTES = 240  # account.yaml's default for chatConfigurations.timeout
_COPIED_FIELDS = ("messageId", "parent", "content", "attachments", "attributes", "intent")


class HubClock:
    """Wall time plus an offset an admin can advance, so a 30-minute timeout is testable at once."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        """Seconds since the epoch on the hub's clock."""
        return time.time() + self.offset

    def stamp(self) -> str:
        """The hub's time as the spec writes timestamps."""
        return self.stamp_in(0.0)

    def stamp_in(self, seconds: float) -> str:
        """The hub's time `seconds` from now, as the spec writes timestamps."""
        moment = datetime.fromtimestamp(self.now() + seconds, UTC)
        return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


@dataclass
class Conversation:
    """One conversation: its account, who handles it now, its transcript and what waits for an agent."""

    id: str
    account: StoredObject
    channel: StoredObject
    orchestration: dict[str, Any]
    handler: str
    last_activity: float
    customer: dict[str, Any] = field(default_factory=dict)
    state: str = "active"
    ended_reason: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    held: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def chat(self) -> dict[str, Any]:
        """The account's chatConfigurations."""
        chat: dict[str, Any] = self.account.body.get("chatConfigurations") or {}
        return chat

    @property
    def entry_point(self) -> str:
        """The account's entry point id (agent availability is per entry point)."""
        return str((self.chat.get("entryPoint") or {}).get("id", ""))

    def reference(self) -> dict[str, Any]:
        """The conversation as a callback message carries it."""
        channel = {"type": self.channel.body.get("type"), "id": self.channel.id}
        account = {"id": self.account.id, "address": self.account.body.get("address"), "channel": channel}
        return {"id": self.id, "account": account, "entryPoint": {"id": self.entry_point}}


class Hub:
    """Every conversation of one sandbox, the agents' availability and the deliveries."""

    def __init__(self, store: Store, callback_timeout: float) -> None:
        self.clock = HubClock()
        self.directory = Directory(store)
        self.deliverer = Deliverer(callback_timeout, self.directory.authentication, self.clock.stamp)
        self.conversations: dict[str, Conversation] = {}
        self.available: dict[str, bool] = {}
        self.default_available = True
        self._tasks: set[asyncio.Task[None]] = set()

    def reset(self) -> None:
        """Forget every conversation, delivery, notification and availability; the clock back to now."""
        self.conversations.clear()
        self.available.clear()
        self.default_available = True
        self.clock.offset = 0.0
        self.deliverer.clear()

    async def close(self) -> None:
        """Let deliveries under way finish (bounded by the callback limit), then close the HTTP client."""
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=self.deliverer.timeout * 3)
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
            self.available.clear()
            self.default_available = available
        else:
            self.available[entry_point] = available
        if available:
            for conv in self.conversations.values():
                if conv.held and self._agents_available(conv):
                    self._release(conv)

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
        return {"available": self.default_available, "entryPoints": dict(self.available)}

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
            self._to_bot(conv, message, type_value)
        else:
            self._to_agent(conv, self._entry(conv, message, type_value, self._agent_type(conv)), {})

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
        self._to_customer(conv, self._entry(conv, message, type_value, CUSTOMER))

    def _escalate(self, conv: Conversation, message: dict[str, Any], handler: str) -> None:
        if handler == "agent":
            if not conv.orchestration.get("botConfiguration"):
                raise ApiFailure(
                    failures.VALUE_NOT_ALLOWED, "The orchestration has no bot to hand this conversation over to"
                )
            conv.handler = "bot"
            self._to_bot(conv, message, "escalation.transfer")
            return
        # The agent receives the transcript so far, as the spec's escalation example shows.
        transcript = [dict(entry) for entry in conv.messages]
        conv.handler = "agent"
        entry = self._entry(conv, message, "escalation.transfer", self._agent_type(conv))
        self._to_agent(conv, entry, {"messages": {"message": transcript}} if transcript else {})

    def _queue_transfer(self, conv: Conversation, message: dict[str, Any]) -> None:
        if not self._agents_available(conv) and not conv.chat.get("allowQueueTransferOnAgentUnavailability", False):
            raise ApiFailure(
                failures.VALUE_NOT_ALLOWED,
                "The account does not allow a transfer back to the queue while no agent is available "
                "(allowQueueTransferOnAgentUnavailability is false)",
            )
        entry = self._entry(conv, message, "queue.transfer", self._agent_type(conv))
        self._hold_or_send(conv, entry, {})

    def _to_bot(self, conv: Conversation, message: dict[str, Any], type_value: str) -> None:
        bot = ((conv.orchestration.get("botConfiguration") or {}).get("bots") or [{}])[0]
        entry = self._entry(conv, message, type_value, "custom_bot")
        try:
            recipient = self.directory.recipient(str(bot.get("id", "")), BOTS, (bot.get("participant") or {}).get("id"))
        except Unroutable as missing:
            self._unroutable(conv, entry, "bot", str(missing))
            return
        entry["recipients"] = {"recipient": [_party(recipient)]}
        self._dispatch(conv, entry, recipient, {})

    def _to_agent(self, conv: Conversation, entry: dict[str, Any], extra: dict[str, Any]) -> None:
        if self._agents_available(conv):
            self._hold_or_send(conv, entry, extra)
        elif conv.chat.get("onAgentUnavailability", "off_hours") == "retain_and_retry":
            first = not conv.held
            self._hold_or_send(conv, entry, extra)
            if first:
                self._hub_says(conv, RETAIN_PROPERTY)
        else:
            entry["status"] = "skipped"
            self._hub_says(conv, OFF_HOURS_PROPERTY)

    def _hold_or_send(self, conv: Conversation, entry: dict[str, Any], extra: dict[str, Any]) -> None:
        if self._agents_available(conv):
            self._send_to_agent(conv, entry, extra)
        else:
            entry["status"] = "retryInProgress"
            conv.held.append((entry, extra))

    def _release(self, conv: Conversation) -> None:
        held, conv.held = conv.held, []
        for entry, extra in held:
            self._send_to_agent(conv, entry, extra)

    def _send_to_agent(self, conv: Conversation, entry: dict[str, Any], extra: dict[str, Any]) -> None:
        try:
            recipient = self.directory.recipient(self._agent_application(conv), AGENTS)
        except Unroutable as missing:
            self._unroutable(conv, entry, "agent", str(missing))
            return
        entry["recipients"] = {"recipient": [_party(recipient)]}
        self._dispatch(conv, entry, recipient, extra)

    def _to_customer(self, conv: Conversation, entry: dict[str, Any]) -> None:
        customer = (conv.orchestration.get("customerConfiguration") or {}).get("customer") or {}
        if not customer.get("id"):
            # No customer application (a channel eGain serves itself): the reply is in the transcript only.
            entry["status"] = "sent"
            return
        try:
            recipient = self.directory.recipient(str(customer["id"]), frozenset({CUSTOMER}))
        except Unroutable as missing:
            self._unroutable(conv, entry, "customer", str(missing))
            return
        self._dispatch(conv, entry, recipient, {})

    def _hub_says(self, conv: Conversation, property_name: str) -> None:
        language = str(conv.chat.get("defaultLanguage", "en-US"))
        text = hub_text(conv.channel, language, property_name)
        message = {
            "messageId": str(uuid.uuid4()),
            "content": {"text": text},
            "sender": {"type": self._agent_type(conv)},
        }
        self._to_customer(conv, self._entry(conv, message, "text", CUSTOMER))

    # --- helpers ---------------------------------------------------------------------------

    def _entry(
        self, conv: Conversation, message: dict[str, Any], type_value: str, recipient_type: str
    ) -> dict[str, Any]:
        """The message as the transcript keeps it, appended to the conversation's transcript."""
        entry: dict[str, Any] = {"id": str(uuid.uuid4())}
        entry.update({name: message[name] for name in _COPIED_FIELDS if name in message})
        entry["type"] = {"value": type_value}
        entry["sender"] = message.get("sender")
        entry["recipients"] = {"recipient": [{"type": recipient_type}]}
        entry["status"] = "retryInProgress"
        entry["created"] = self.clock.stamp()
        conv.messages.append(entry)
        return entry

    def _agent_application(self, conv: Conversation) -> str:
        bot = ((conv.orchestration.get("botConfiguration") or {}).get("bots") or [{}])[0]
        escalation = ((bot.get("onEscalation") or {}).get("agent") or {}).get("id")
        agents = (conv.orchestration.get("agentConfiguration") or {}).get("agents") or [{}]
        return str(escalation or agents[0].get("id") or "")

    def _agent_type(self, conv: Conversation) -> str:
        try:
            return self.directory.recipient(self._agent_application(conv), AGENTS).role
        except Unroutable:
            return "custom_agent"

    def _agents_available(self, conv: Conversation) -> bool:
        return self.available.get(conv.entry_point, self.default_available)

    def _unroutable(self, conv: Conversation, entry: dict[str, Any], who: str, reason: str) -> None:
        entry["status"] = "failed"
        self.deliverer.records.append(
            {
                "seq": len(self.deliverer.records) + 1,
                "at": self.clock.stamp(),
                **_about(conv, entry),
                "to": {"role": who},
                "auth": {"scheme": "none"},
                "status": None,
                "outcome": "no_callback",
                "latencyMs": 0.0,
                "error": reason,
            }
        )

    def _dispatch(self, conv: Conversation, entry: dict[str, Any], recipient: Recipient, extra: dict[str, Any]) -> None:
        """Deliver in the background, in order within the conversation (the POST answers 202 at once)."""
        message = {name: value for name, value in entry.items() if name != "status"}
        message["conversation"] = {**conv.reference(), **extra}
        payload = {
            "metadata": {"attributes": [{"name": "version", "value": recipient.version}]},
            "messages": {"message": [message]},
        }

        async def deliver() -> None:
            async with conv.lock:
                delivered = await self.deliverer.deliver(recipient, payload, _about(conv, entry))
            entry["status"] = "sent" if delivered else "failed"
            if delivered:
                entry["sent"] = self.clock.stamp()

        task = asyncio.get_running_loop().create_task(deliver())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _party(recipient: Recipient) -> dict[str, Any]:
    party: dict[str, Any] = {"type": recipient.role}
    if recipient.participant:
        party["participant"] = {"name": recipient.participant}
    return party


def _about(conv: Conversation, entry: dict[str, Any]) -> dict[str, Any]:
    return {"conversation": conv.id, "message": {"id": entry["id"], "type": entry["type"]["value"]}}


def _accepted(message: dict[str, Any], conversation_id: str | None, entry_id: str | None = None) -> dict[str, Any]:
    accepted: dict[str, Any] = {"id": entry_id or str(uuid.uuid4())}
    if message.get("messageId"):
        accepted["messageId"] = message["messageId"]
    if conversation_id:
        accepted["conversation"] = {"id": conversation_id}
    return accepted

"""Where each message goes once routed: the bot, the agent (when one is available), the customer,
and the hub's own texts; deliveries run in the background, in order within a conversation."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from egain_provision.sandbox.hub.delivery import Deliverer, Recipient
from egain_provision.sandbox.hub.directory import OFF_HOURS_PROPERTY, RETAIN_PROPERTY, Directory, Unroutable, hub_text
from egain_provision.sandbox.hub.messages import AGENTS, BOTS, CUSTOMER
from egain_provision.sandbox.hub.state import Conversation, HubClock

_COPIED_FIELDS = ("messageId", "parent", "content", "attachments", "attributes", "intent")


class Dispatcher:
    """Sends routed messages to the configured callbacks; knows which agents are available."""

    def __init__(self, clock: HubClock, directory: Directory, deliverer: Deliverer) -> None:
        self.clock = clock
        self.directory = directory
        self.deliverer = deliverer
        self.available: dict[str, bool] = {}
        self.default_available = True
        self.tasks: set[asyncio.Task[None]] = set()

    def agents_available(self, conv: Conversation) -> bool:
        """Whether an agent of the conversation's entry point is online."""
        return self.available.get(conv.entry_point, self.default_available)

    def to_bot(self, conv: Conversation, message: dict[str, Any], type_value: str) -> None:
        bot = ((conv.orchestration.get("botConfiguration") or {}).get("bots") or [{}])[0]
        entry = self.entry(conv, message, type_value, "custom_bot")
        try:
            recipient = self.directory.recipient(str(bot.get("id", "")), BOTS, (bot.get("participant") or {}).get("id"))
        except Unroutable as missing:
            self._unroutable(conv, entry, "bot", str(missing))
            return
        entry["recipients"] = {"recipient": [_party(recipient)]}
        self._dispatch(conv, entry, recipient, {})

    def to_agent(self, conv: Conversation, entry: dict[str, Any], extra: dict[str, Any]) -> None:
        if self.agents_available(conv):
            self.hold_or_send(conv, entry, extra)
        elif conv.chat.get("onAgentUnavailability", "off_hours") == "retain_and_retry":
            first = not conv.held
            self.hold_or_send(conv, entry, extra)
            if first:
                self._hub_says(conv, RETAIN_PROPERTY)
        else:
            entry["status"] = "skipped"
            self._hub_says(conv, OFF_HOURS_PROPERTY)

    def hold_or_send(self, conv: Conversation, entry: dict[str, Any], extra: dict[str, Any]) -> None:
        if self.agents_available(conv):
            self._send_to_agent(conv, entry, extra)
        else:
            entry["status"] = "retryInProgress"
            conv.held.append((entry, extra))

    def release(self, conv: Conversation) -> None:
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

    def to_customer(self, conv: Conversation, entry: dict[str, Any]) -> None:
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
            "sender": {"type": self.agent_type(conv)},
        }
        self.to_customer(conv, self.entry(conv, message, "text", CUSTOMER))

    # --- helpers ---------------------------------------------------------------------------

    def entry(
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

    def agent_type(self, conv: Conversation) -> str:
        try:
            return self.directory.recipient(self._agent_application(conv), AGENTS).role
        except Unroutable:
            return "custom_agent"

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
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


def _party(recipient: Recipient) -> dict[str, Any]:
    party: dict[str, Any] = {"type": recipient.role}
    if recipient.participant:
        party["participant"] = {"name": recipient.participant}
    return party


def _about(conv: Conversation, entry: dict[str, Any]) -> dict[str, Any]:
    return {"conversation": conv.id, "message": {"id": entry["id"], "type": entry["type"]["value"]}}

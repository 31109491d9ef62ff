"""The hub's clock and its conversations."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from egain_provision.sandbox.store import StoredObject

DEFAULT_TIMEOUT_MINUTES = 240  # account.yaml's default for chatConfigurations.timeout


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

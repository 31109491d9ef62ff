"""The setup objects the hub routes by, read from the sandbox's store in their API form."""

from __future__ import annotations

from typing import Any

from egain_provision.sandbox import failures
from egain_provision.sandbox.failures import ApiFailure
from egain_provision.sandbox.hub.delivery import Recipient
from egain_provision.sandbox.rules import RESOURCES
from egain_provision.sandbox.store import Store, StoredObject

# Channel localized properties that carry the hub's own messages to the customer (channel.yaml).
OFF_HOURS_PROPERTY = "msg_hub_off_hours"
RETAIN_PROPERTY = "msg_hub_retain_and_retry"
DEFAULT_TEXTS = {
    OFF_HOURS_PROPERTY: "No agent is available right now.",
    RETAIN_PROPERTY: "All agents are busy; your message will be answered as soon as one is available.",
}


class Directory:
    """Looks up accounts, orchestrations, client applications and authentications by id."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, collection: str, object_id: str) -> StoredObject | None:
        """The object of `collection` with this id, or None."""
        try:
            return self.store.get(RESOURCES[collection], object_id)
        except ApiFailure:
            return None

    def account_for(self, channel_type: str, address: str) -> tuple[StoredObject, StoredObject]:
        """The account (and its channel) a customer's first message names by channel type and address."""
        channels = {
            obj.id: obj for obj in self.store.listed(RESOURCES["channels"]) if obj.body.get("type") == channel_type
        }
        for account in self.store.listed(RESOURCES["accounts"]):
            channel = channels.get((account.body.get("channel") or {}).get("id", ""))
            if channel is not None and account.body.get("address") == address:
                if account.body.get("active") is False:
                    raise ApiFailure(failures.VALUE_NOT_ALLOWED, f"Account '{account.body.get('name')}' is not active")
                return account, channel
        raise ApiFailure(
            failures.MISSING_REFERENCE,
            f"No account with channel type '{channel_type}' and address '{address}'",
            [("conversation.account", f"{channel_type} {address}")],
        )

    def authentication(self, object_id: str) -> dict[str, Any] | None:
        """An authentication's body with its id, or None when it is gone."""
        found = self.get("authentications", object_id)
        return None if found is None else {"id": found.id, **found.body}

    def recipient(self, application_id: str, roles: frozenset[str], participant_id: str | None = None) -> Recipient:
        """The role of the application that receives a message, or a 400 naming what is missing."""
        application = self.get("clientapplications", application_id)
        if application is None:
            raise Unroutable(f"client application {application_id} does not exist")
        name = str(application.body.get("name"))
        if application.body.get("active") is False:
            raise Unroutable(f"client application '{name}' is not active")
        for role in application.body.get("roles") or []:
            if role.get("name") in roles:
                participant = self.get("participants", participant_id) if participant_id else None
                return Recipient(
                    application_id=application.id,
                    application=name,
                    role=str(role["name"]),
                    version=str(role.get("version", "v3")),
                    callback=str(role.get("callback", "")),
                    notification_email=str(role.get("notificationEmail", "")),
                    headers=tuple((str(h.get("name")), str(h.get("value", ""))) for h in role.get("headers") or []),
                    authentication_id=(role.get("authentication") or {}).get("id"),
                    participant=None if participant is None else str(participant.body.get("name")),
                )
        raise Unroutable(f"client application '{name}' has no {' or '.join(sorted(roles))} role")


class Unroutable(Exception):
    """The configuration names no callback for a message (a deleted application, a missing role)."""


def hub_text(channel: StoredObject, language: str, name: str) -> str:
    """The channel's localized text `name` in `language` (else en-US), or the sandbox's own wording."""
    by_language: dict[str, str] = {}
    for localized in channel.body.get("l10nProperties") or []:
        for prop in localized.get("properties") or []:
            if prop.get("name") == name and isinstance(prop.get("value"), str):
                by_language[str(localized.get("language"))] = prop["value"]
    return by_language.get(language) or by_language.get("en-US") or DEFAULT_TEXTS[name]

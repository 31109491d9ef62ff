"""The documented example payloads of egain-api.md §4-§9, with real ids substituted."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import httpx

OAUTH_AUTHENTICATION: dict[str, Any] = {
    "name": "custom_bot_callback_authentication",
    "type": "oauth2",
    "oauth2": {
        "tokenRequestUrl": "https://acme.support.com/clientapp/accesstoken",
        "method": "POST",
        "headers": [
            {"name": "Content-Type", "value": "application/json"},
            {"name": "Accept", "value": "application/json"},
        ],
        "payload": '{ "clientId": "abc","clientSecret": "s3cret","refreshToken": "r3fresh"}',
        "accessTokenPath": "$.accessToken",
    },
}

BASIC_AUTHENTICATION: dict[str, Any] = {
    "name": "custom_bot_callback_authentication_2",
    "type": "basic",
    "basicAuth": {"username": "string", "password": "string"},
}

BYOC_CHANNEL: dict[str, Any] = {
    "type": "custom_channel",
    "icon": "iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAAAAXNSR0IArs4c6QAAAARnQU1BAACxjwv8YQUAAAAJ",
    "displayName": "Custom Channel",
    "description": "Custom Channel",
    "active": True,
    "restrictions": {
        "inbound": {
            "maxTextLength": 140,
            "features": ["typing_events", "attachments", "richText"],
            "attachmentPolicy": {"enabled": True, "maxSize": 12345, "type": "block", "extensions": ["bat", "exe"]},
        },
        "outbound": {
            "maxTextLength": 140,
            "systemMessages": True,
            "midChatAuth": True,
            "features": ["typing_events", "attachments", "richText"],
            "richMessageTypes": ["listpicker", "quickreply", "timepicker", "richlink"],
            "attachmentPolicy": {"enabled": True, "maxSize": 12345, "type": "allow", "extensions": ["jpeg", "txt"]},
        },
    },
    "l10nProperties": [
        {
            "language": "en-US",
            "properties": [
                {"name": "msg_hub_retain_and_retry", "value": "All agents are busy; we will get back to you."},
                {"name": "msg_hub_off_hours", "value": "We are closed."},
                {"name": "msg_hub_blocked_file_extension", "value": "Files of type {0} are not allowed."},
            ],
        }
    ],
}


def client_application(name: str, role: str, authentication_id: str | None = None) -> dict[str, Any]:
    """The documented client application, with one role of the given name."""
    body: dict[str, Any] = {
        "name": name,
        "description": "Client app for Eva bot",
        "active": True,
        "roles": [
            {
                "name": role,
                "version": "v3",
                "callback": f"https://example.support.com/messaging/callback/{role}",
                "notificationEmail": "client_app_admin@example.com",
                "headers": [{"name": "X-custom-header", "value": "xyz"}],
            }
        ],
    }
    if authentication_id is not None:
        body["roles"][0]["authentication"] = {"id": authentication_id}
    return body


def participant(application_id: str, *, intents: bool = True, name: str = "custom_bot_participant") -> dict[str, Any]:
    """The documented participant, with or without intents."""
    body: dict[str, Any] = {
        "name": name,
        "type": "custom_bot",
        "active": True,
        "application": {"id": application_id},
    }
    if intents:
        body["intents"] = {
            "intent": [
                {"value": "order_complaints", "displayValue": "Order Complaints"},
                {"value": "sales_enquiries", "displayValue": "Sales Enquiries"},
            ]
        }
    return body


def orchestration_with_bot(bot_app: str, participant_id: str, agent_app: str, customer_app: str) -> dict[str, Any]:
    """The documented "With Bot" orchestration."""
    return {
        "name": "default_orchestration",
        "description": "Created for Custom channel",
        "active": True,
        "applications": {
            "botConfiguration": {
                "forwardTranscript": True,
                "bots": [
                    {"id": bot_app, "participant": {"id": participant_id}, "onEscalation": {"agent": {"id": agent_app}}}
                ],
            },
            "customerConfiguration": {"customer": {"id": customer_app}},
        },
    }


def orchestration_without_bot(customer_app: str, agent_app: str) -> dict[str, Any]:
    """The documented "Without Bot" orchestration."""
    return {
        "name": "agent_only_orchestration",
        "applications": {
            "customerConfiguration": {"customer": {"id": customer_app}},
            "agentConfiguration": {"agents": [{"id": agent_app}]},
        },
    }


def account(channel_id: str, orchestration_id: str, name: str = "order_account") -> dict[str, Any]:
    """The documented BYOC account."""
    return {
        "name": name,
        "address": "123456789",
        "channel": {"id": channel_id},
        "chatConfigurations": {
            "timeout": 30,
            "defaultLanguage": "en-US",
            "onAgentUnavailability": "off_hours",
            "allowLogoutWithOpenChats": False,
            "allowQueueTransferOnAgentUnavailability": False,
            "orchestration": {"id": orchestration_id},
            "entryPoint": {"id": "1001"},
        },
    }


@dataclass(frozen=True)
class Graph:
    """Ids of one documented object of every kind, created in dependency order."""

    oauth: str
    basic: str
    bot_app: str
    agent_app: str
    customer_app: str
    participant: str
    channel: str
    orchestration: str
    account: str

    def bodies(self) -> dict[str, dict[str, Any]]:
        """A valid create body per collection, referencing this graph's objects."""
        return {
            "authentications": copy.deepcopy(BASIC_AUTHENTICATION) | {"name": "another_authentication"},
            "clientapplications": client_application("another_app", "custom_bot", self.oauth),
            "participants": participant(self.bot_app, name="another_participant"),
            "channels": copy.deepcopy(BYOC_CHANNEL) | {"type": "another_channel"},
            "orchestrations": orchestration_with_bot(self.bot_app, self.participant, self.agent_app, self.customer_app),
            "accounts": account(self.channel, self.orchestration, name="another_account"),
        }


def create(api: httpx.Client, collection: str, body: dict[str, Any]) -> str:
    """POST a body that must be accepted; the new id."""
    response = api.post(f"/{collection}", json=body)
    assert response.status_code == 201, response.text
    object_id: str = response.json()["id"]
    return object_id


def create_graph(api: httpx.Client) -> Graph:
    """Create one documented object of every kind."""
    oauth = create(api, "authentications", OAUTH_AUTHENTICATION)
    basic = create(api, "authentications", BASIC_AUTHENTICATION)
    bot_app = create(
        api, "clientapplications", client_application("custom_bot_client_application_1", "custom_bot", oauth)
    )
    agent_app = create(api, "clientapplications", client_application("agent_desktop", "custom_agent", basic))
    customer_app = create(api, "clientapplications", client_application("customer_front_end", "customer"))
    participant_id = create(api, "participants", participant(bot_app))
    channel = create(api, "channels", BYOC_CHANNEL)
    orchestration = create(
        api, "orchestrations", orchestration_with_bot(bot_app, participant_id, agent_app, customer_app)
    )
    account_id = create(api, "accounts", account(channel, orchestration))
    return Graph(oauth, basic, bot_app, agent_app, customer_app, participant_id, channel, orchestration, account_id)


def collection_of(kind: str) -> str:
    """The collection of a `full_body` kind: a collection, "oauth2" for an OAuth authentication, or
    "agent_orchestrations" for an orchestration without a bot."""
    return {"oauth2": "authentications", "agent_orchestrations": "orchestrations"}.get(kind, kind)


def full_body(graph: Graph, kind: str) -> dict[str, Any]:
    """A valid create body of `kind` with most optional parts present, referencing `graph`'s objects."""
    if kind == "oauth2":
        return copy.deepcopy(OAUTH_AUTHENTICATION) | {"name": "another_oauth"}
    if kind == "agent_orchestrations":
        return orchestration_without_bot(graph.customer_app, graph.agent_app)
    result = graph.bodies()[kind]
    if kind == "participants":
        result["options"] = [{"name": "o", "value": "v"}]
    if kind == "accounts":
        result["attributes"] = [{"name": "a", "value": "v"}]
        result["caseManagement"] = {"sameCaseDuration": 5, "copyCustomAttributes": True}
    if kind == "channels":
        result["restrictions"]["outbound"]["customerServiceWindow"] = {"durationMinutes": 60}
    return result

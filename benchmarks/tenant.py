"""Realistic generated tenants: N setups of 8 objects each, with optional fields filled in.

A setup is what one contact-center line of business declares: one OAuth callback
authentication, three client applications (customer, bot, agent), one bot participant, one
channel, one bot-first orchestration with escalation, one account. Used by the benchmarks and
by the resilience tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from egain_provision.kinds import SETUP_ORDER

OBJECTS_PER_SETUP = 8
CHANGED_SHARE = 10  # one object (update) and one setup (prune) in ten
ICON = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def setup_objects(index: int, *, secret_env: str = "EGAIN_VAR_BENCH_PAYLOAD") -> dict[str, list[dict[str, Any]]]:
    """The eight objects of setup number `index`, by manifest kind."""
    n = f"{index:04d}"

    def role(name: str, host: str, **extra: Any) -> dict[str, Any]:
        return {
            "name": name,
            "version": "v3",
            "callback": f"https://{host}-{n}.example.com/egain/callback",
            "notificationEmail": f"ops-{n}@example.com",
            **extra,
        }

    return {
        "authentications": [
            {
                "name": f"callback-auth-{n}",
                "description": f"OAuth callback credentials of line {n}",
                "type": "oauth2",
                "oauth2": {
                    "tokenRequestUrl": f"https://bots-{n}.example.com/oauth/token",
                    "method": "POST",
                    "headers": [{"name": "Content-Type", "value": "application/json"}],
                    "payload": "${env:" + secret_env + "}",
                    "accessTokenPath": "$.accessToken",
                },
            }
        ],
        "clientApplications": [
            {"name": f"customer-app-{n}", "description": f"Web front end {n}", "roles": [role("customer", "web")]},
            {
                "name": f"bot-app-{n}",
                "description": f"Order bot {n}",
                "roles": [
                    role(
                        "custom_bot",
                        "bots",
                        headers=[{"name": "X-Line", "value": n}],
                        authentication=f"callback-auth-{n}",
                    )
                ],
            },
            {"name": f"agent-app-{n}", "roles": [role("custom_agent", "agents", authentication=f"callback-auth-{n}")]},
        ],
        "participants": [
            {
                "name": f"bot-{n}",
                "description": f"Bot participant {n}",
                "type": "custom_bot",
                "application": f"bot-app-{n}",
                "intents": {"intent": [{"value": "order_status", "displayValue": "Order status"}]},
                "options": [{"name": "language", "value": "en-US"}],
            }
        ],
        "channels": [
            {
                "type": f"custom.line{n}",
                "displayName": f"Line {n}",
                "description": f"Messaging channel of line {n}",
                "icon": ICON,
                "restrictions": {
                    "inbound": {
                        "maxTextLength": 800,
                        "features": ["typing_events", "attachments"],
                        "attachmentPolicy": {
                            "enabled": True,
                            "maxSize": 1048576,
                            "type": "block",
                            "extensions": ["exe"],
                        },
                    },
                    "outbound": {"maxTextLength": 800, "systemMessages": True, "richMessageTypes": ["quickreply"]},
                },
                "l10nProperties": [
                    {"language": "en-US", "properties": [{"name": "msg_hub_off_hours", "value": "We are closed."}]}
                ],
            }
        ],
        "orchestrations": [
            {
                "name": f"bot-first-{n}",
                "description": f"Bot first, agents on escalation, line {n}",
                "applications": {
                    "botConfiguration": {
                        "forwardTranscript": True,
                        "bypassVaDuration": 30,
                        "bots": [
                            {
                                "application": f"bot-app-{n}",
                                "participant": f"bot-{n}",
                                "onEscalation": {"agent": f"agent-app-{n}"},
                            }
                        ],
                    },
                    "customerConfiguration": {"customer": f"customer-app-{n}"},
                },
            }
        ],
        "accounts": [
            {
                "name": f"account-{n}",
                "description": f"Account of line {n}",
                "address": f"+1555{index:07d}",
                "channel": f"custom.line{n}",
                "caseManagement": {"sameCaseDuration": 60, "copyCustomAttributes": False},
                "chatConfigurations": {
                    "timeout": 30,
                    "defaultLanguage": "en-US",
                    "onAgentUnavailability": "retain_and_retry",
                    "allowLogoutWithOpenChats": False,
                    "allowQueueTransferOnAgentUnavailability": True,
                    "orchestration": f"bot-first-{n}",
                    "entryPoint": {"id": str(1000 + index)},
                },
                "attributes": [{"name": "line", "value": n}],
            }
        ],
    }


def tenant_manifest(setups: int, *, start: int = 0) -> dict[str, Any]:
    """A whole manifest document of `setups` setups (8 objects each)."""
    document: dict[str, Any] = {"version": 1}
    for index in range(start, start + setups):
        for kind, objects in setup_objects(index).items():
            document.setdefault(kind, []).extend(objects)
    return document


def write_tenant(directory: Path, setups: int, *, start: int = 0, name: str = "tenant.yaml") -> Path:
    """Write a generated manifest; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(yaml.safe_dump(tenant_manifest(setups, start=start), sort_keys=False), encoding="utf-8")
    return path


BENCH_ENV = {"EGAIN_VAR_BENCH_PAYLOAD": '{"clientId": "bench", "clientSecret": "bench-secret-value"}'}


# --- manifests --------------------------------------------------------------------------------


def changed_manifests(folder: Path, setups: int) -> tuple[Path, Path]:
    """The base tenant with every tenth object's description changed; that one without every tenth setup."""
    entries: list[tuple[int, str, dict[str, Any]]] = []
    for index in range(setups):
        for kind, objects in setup_objects(index).items():
            entries.extend((index, kind, obj) for obj in objects)
    for position, (_, _, obj) in enumerate(entries):
        if position % CHANGED_SHARE == 0:
            obj["description"] = f"{obj.get('description', 'No description')} (revised)"
    dropped = set(range(0, setups, CHANGED_SHARE))
    updated = _write(folder / "updated.yaml", entries)
    pruned = _write(folder / "pruned.yaml", [entry for entry in entries if entry[0] not in dropped])
    return updated, pruned


def _write(path: Path, entries: Sequence[tuple[int, str, dict[str, Any]]]) -> Path:
    document: dict[str, Any] = {"version": 1}
    for kind in SETUP_ORDER:
        document[kind] = [obj for _, entry_kind, obj in entries if entry_kind == kind]
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path

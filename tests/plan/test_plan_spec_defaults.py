"""A tenant that spells out every default of eGain's spec plans as no change against a manifest that omits them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from egain_provision.sandbox.testing import ServedSandbox
from tests.support import PASSWORD_SECRET, Tenant, run_cli, target_env, write_manifest

MANIFEST = """\
version: 1
authentications:
  - name: desk-basic
    type: basic
    basicAuth: {username: egain, password: "${env:EGAIN_VAR_AGENT_PASSWORD}"}
clientApplications:
  - name: web
    roles: [{name: customer, version: v3, callback: "https://web.example.com/cb", notificationEmail: ops@example.com}]
  - name: bot
    roles: [{name: custom_bot, version: v3, callback: "https://bot.example.com/cb", notificationEmail: ops@example.com}]
  - name: desk
    roles:
      - {name: custom_agent, version: v3, callback: "https://desk.example.com/cb", notificationEmail: ops@example.com,
         authentication: desk-basic}
participants:
  - {name: bot-participant, type: custom_bot, application: bot}
channels:
  - type: custom.web
    displayName: Web
    icon: aWNvbg==
    restrictions:
      inbound:
        features: [typing_events]
        attachmentPolicy: {type: block, extensions: [exe]}
      outbound:
        features: [attachments]
        attachmentPolicy: {type: allow, extensions: [png]}
orchestrations:
  - name: bot-first
    applications:
      botConfiguration:
        bots: [{application: bot, participant: bot-participant, onEscalation: {agent: desk}}]
      customerConfiguration: {customer: web}
accounts:
  - name: web-account
    address: www.example.com
    channel: custom.web
    chatConfigurations:
      orchestration: bot-first
      entryPoint: {id: "1001"}
"""
ACTIVE = {"active": True}
POLICY_DEFAULTS = {"enabled": True, "maxSize": 10485760}


def role(name: str, host: str, **extra: Any) -> dict[str, Any]:
    callback = f"https://{host}.example.com/cb"
    return {"name": name, "version": "v3", "callback": callback, "notificationEmail": "ops@example.com", **extra}


def create_with_every_default(tenant: Tenant, **chat: Any) -> None:
    """MANIFEST created through raw HTTP, every field the spec defaults written out with its default."""
    auth = tenant.create(
        "authentications",
        {
            "name": "desk-basic",
            "type": "basic",
            "basicAuth": {"username": "egain", "password": PASSWORD_SECRET},
            **ACTIVE,
        },
    )
    web = tenant.create("clientApplications", {"name": "web", "roles": [role("customer", "web")], **ACTIVE})
    bot = tenant.create("clientApplications", {"name": "bot", "roles": [role("custom_bot", "bot")], **ACTIVE})
    desk = tenant.create(
        "clientApplications",
        {"name": "desk", "roles": [role("custom_agent", "desk", authentication={"id": auth})], **ACTIVE},
    )
    participant = tenant.create(
        "participants", {"name": "bot-participant", "type": "custom_bot", "application": {"id": bot}, **ACTIVE}
    )
    inbound = {"maxTextLength": 10000, "features": ["typing_events"]}
    outbound = {"maxTextLength": 10000, "systemMessages": False, "midChatAuth": False, "features": ["attachments"]}
    channel = tenant.create(
        "channels",
        {
            "type": "custom.web",
            "displayName": "Web",
            "icon": "aWNvbg==",
            "restrictions": {
                "inbound": {**inbound, "attachmentPolicy": {**POLICY_DEFAULTS, "type": "block", "extensions": ["exe"]}},
                "outbound": {
                    **outbound,
                    "attachmentPolicy": {**POLICY_DEFAULTS, "type": "allow", "extensions": ["png"]},
                },
            },
            **ACTIVE,
        },
    )
    bots = [{"id": bot, "participant": {"id": participant}, "onEscalation": {"agent": {"id": desk}}}]
    orchestration = tenant.create(
        "orchestrations",
        {
            "name": "bot-first",
            "applications": {
                "botConfiguration": {"forwardTranscript": True, "bots": bots},
                "customerConfiguration": {"customer": {"id": web}},
            },
            **ACTIVE,
        },
    )
    chat_defaults = {
        "timeout": 240,
        "defaultLanguage": "en-US",
        "onAgentUnavailability": "off_hours",
        "allowLogoutWithOpenChats": False,
        "allowQueueTransferOnAgentUnavailability": False,
    }
    tenant.create(
        "accounts",
        {
            "name": "web-account",
            "address": "www.example.com",
            "channel": {"id": channel},
            "chatConfigurations": {
                **chat_defaults,
                "orchestration": {"id": orchestration},
                "entryPoint": {"id": "1001"},
                **chat,
            },
            **ACTIVE,
        },
    )


def plan(sandbox: ServedSandbox, manifest: Path) -> tuple[int, str]:
    args = ["plan", "--target", sandbox.base_url, str(manifest), "--detailed-exitcode", "--no-color"]
    result = run_cli(args, env=target_env(sandbox))
    return result.exit_code, result.output


def test_a_tenant_echoing_every_spec_default_plans_as_no_change(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    create_with_every_default(tenant)
    code, output = plan(sandbox, write_manifest(tmp_path, MANIFEST))
    assert code == 0, output


def test_a_live_value_other_than_the_default_is_still_a_change(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    create_with_every_default(tenant, timeout=30)
    code, output = plan(sandbox, write_manifest(tmp_path, MANIFEST))
    assert code == 2, output
    assert "chatConfigurations.timeout: 30 -> 240" in output
    assert "1 to update" in output

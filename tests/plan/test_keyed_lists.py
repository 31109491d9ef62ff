"""Name/value lists (and roles, localizations) compare by their key at every depth, never by position.

The API defines no order for them, so a tenant may answer them in any order: that must plan as no
change, and a changed item must show as exactly that item, named by its key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from egain_provision.sandbox.testing import ServedSandbox
from tests.support import HEADER_SECRET, SECRET_ENV, Tenant, run_cli, target_env, write_manifest

AUTH_TOKEN = "twilio-auth-token-Qp28"
ENV = {"EGAIN_VAR_AUTH_TOKEN": AUTH_TOKEN}

# Every name/value list of the spec, each with two or more items, in the order the manifest writes them.
MANIFEST = """\
version: 1
authentications:
  - name: bot-callback
    type: oauth2
    oauth2:
      tokenRequestUrl: https://bots.example.com/oauth/token
      method: POST
      headers:
        - {name: Content-Type, value: application/json}
        - {name: Accept, value: application/json}
      payload: ${env:EGAIN_VAR_BOT_TOKEN_PAYLOAD}
      accessTokenPath: $.accessToken
clientApplications:
  - name: bot-app
    roles:
      - name: customer
        version: v3
        callback: https://web.example.com/cb
        notificationEmail: ops@example.com
        headers:
          - {name: X-Site, value: web}
          - {name: X-Region, value: eu}
      - name: custom_bot
        version: v3
        callback: https://bots.example.com/cb
        notificationEmail: ops@example.com
        authentication: bot-callback
        headers:
          - {name: X-Bot-Tenant, value: acme}
          - name: X-Token
            value: ${env:EGAIN_VAR_CALLBACK_TOKEN}
          - {name: X-Team, value: orders}
participants:
  - name: order-bot
    type: custom_bot
    application: bot-app
    options:
      - {name: greeting, value: hello}
      - {name: language, value: en}
channels:
  - type: custom.web
    displayName: Web chat
    icon: iVBORw0KGgo=
    restrictions:
      outbound:
        # Not keyed but a set (the API defines no order either): here for the same tenant answer.
        customerServiceWindow: {durationMinutes: 1440, continueMessageTypes: [template, quickreply]}
    l10nProperties:
      - language: en-US
        properties:
          - {name: welcome, value: Welcome}
          - {name: goodbye, value: Goodbye}
      - language: fr-FR
        properties:
          - {name: welcome, value: Bienvenue}
          - {name: goodbye, value: Au revoir}
orchestrations:
  - name: bot-only
    applications:
      botConfiguration:
        bots: [{application: bot-app, participant: order-bot}]
accounts:
  - name: sms
    address: "+15550100"
    channel: custom.web
    chatConfigurations: {orchestration: bot-only, entryPoint: {id: "1001"}}
    attributes:
      - {name: accountSid, value: AC-visible}
      - name: authToken
        value: ${env:EGAIN_VAR_AUTH_TOKEN}
"""


# MANIFEST's objects as the raw API takes them, with every keyed list, at every depth, in reverse order.
OAUTH2 = {
    "tokenRequestUrl": "https://bots.example.com/oauth/token",
    "method": "POST",
    "headers": [
        {"name": "Accept", "value": "application/json"},
        {"name": "Content-Type", "value": "application/json"},
    ],
    "payload": SECRET_ENV["EGAIN_VAR_BOT_TOKEN_PAYLOAD"],
    "accessTokenPath": "$.accessToken",
}
CUSTOMER_ROLE = {
    "name": "customer",
    "version": "v3",
    "callback": "https://web.example.com/cb",
    "notificationEmail": "ops@example.com",
    "headers": [{"name": "X-Region", "value": "eu"}, {"name": "X-Site", "value": "web"}],
}
BOT_HEADERS = [
    {"name": "X-Team", "value": "orders"},
    {"name": "X-Bot-Tenant", "value": "acme"},
    {"name": "X-Token", "value": HEADER_SECRET},
]
L10N = [
    {
        "language": "fr-FR",
        "properties": [{"name": "goodbye", "value": "Au revoir"}, {"name": "welcome", "value": "Bienvenue"}],
    },
    {
        "language": "en-US",
        "properties": [{"name": "goodbye", "value": "Goodbye"}, {"name": "welcome", "value": "Welcome"}],
    },
]
WINDOW = {"durationMinutes": 1440, "continueMessageTypes": ["quickreply", "template"]}
ATTRIBUTES = [{"name": "authToken", "value": AUTH_TOKEN}, {"name": "accountSid", "value": "AC-visible"}]


def create_in_another_order(tenant: Tenant) -> None:
    """MANIFEST created through the raw API, its keyed lists in reverse order."""
    auth_id = tenant.create("authentications", {"name": "bot-callback", "type": "oauth2", "oauth2": OAUTH2})
    bot_role = {
        "name": "custom_bot",
        "version": "v3",
        "callback": "https://bots.example.com/cb",
        "notificationEmail": "ops@example.com",
        "authentication": {"id": auth_id},
        "headers": BOT_HEADERS,
    }
    app_id = tenant.create("clientApplications", {"name": "bot-app", "roles": [bot_role, CUSTOMER_ROLE]})
    options = [{"name": "language", "value": "en"}, {"name": "greeting", "value": "hello"}]
    participant_id = tenant.create(
        "participants", {"name": "order-bot", "type": "custom_bot", "application": {"id": app_id}, "options": options}
    )
    channel_id = tenant.create(
        "channels",
        {
            "type": "custom.web",
            "displayName": "Web chat",
            "icon": "iVBORw0KGgo=",
            "restrictions": {"outbound": {"customerServiceWindow": WINDOW}},
            "l10nProperties": L10N,
        },
    )
    bots = [{"id": app_id, "participant": {"id": participant_id}}]
    flow_id = tenant.create(
        "orchestrations", {"name": "bot-only", "applications": {"botConfiguration": {"bots": bots}}}
    )
    chat = {"orchestration": {"id": flow_id}, "entryPoint": {"id": "1001"}}
    tenant.create(
        "accounts",
        {
            "name": "sms",
            "address": "+15550100",
            "channel": {"id": channel_id},
            "chatConfigurations": chat,
            "attributes": ATTRIBUTES,
        },
    )


@pytest.fixture
def tenant(clean_sandbox: ServedSandbox) -> Iterator[Tenant]:
    client = Tenant(clean_sandbox)
    create_in_another_order(client)
    yield client
    client.close()


def plan(sandbox: ServedSandbox, manifest: Path, *args: str) -> tuple[int, str, str]:
    result = run_cli(
        ["plan", "--target", sandbox.base_url, str(manifest), "--detailed-exitcode", "--no-color", *args],
        env={**target_env(sandbox), **ENV},
    )
    return result.exit_code, result.stdout, result.stderr


def changed_paths(sandbox: ServedSandbox, manifest: Path) -> dict[str, list[str]]:
    code, out, err = plan(sandbox, manifest, "--format", "json")
    assert code in (0, 2), err
    return {action["natural_key"]: [c["path"] for c in action["changes"]] for action in json.loads(out)["actions"]}


def edit_role_header(tenant: Tenant, header: str, value: str) -> None:
    app = tenant.find("clientApplications", "bot-app")
    for role in app["roles"]:
        for item in role.get("headers", []):
            if item["name"] == header:
                item["value"] = value
    tenant.edit("clientApplications", "bot-app", roles=app["roles"])


def test_every_keyed_list_in_another_order_is_no_change(
    clean_sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    code, out, err = plan(clean_sandbox, write_manifest(tmp_path, MANIFEST))
    assert code == 0, out + err
    assert "No changes." in out


def test_a_changed_header_inside_a_role_shows_as_that_header_by_name(
    clean_sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    edit_role_header(tenant, "X-Team", "returns")
    manifest = write_manifest(tmp_path, MANIFEST)
    assert changed_paths(clean_sandbox, manifest) == {"bot-app": ["roles[custom_bot].headers[X-Team].value"]}
    code, out, _ = plan(clean_sandbox, manifest)
    assert code == 2
    # A header whose name is no credential's (X-Team) is reviewable: both sides shown.
    assert '~ roles[custom_bot].headers[X-Team].value: "returns" -> "orders"' in out


def test_a_changed_secret_header_is_found_by_name_and_stays_masked(
    clean_sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    edit_role_header(tenant, "X-Token", "another-token-Lw55")
    manifest = write_manifest(tmp_path, MANIFEST)
    assert changed_paths(clean_sandbox, manifest) == {"bot-app": ["roles[custom_bot].headers[X-Token].value"]}
    code, out, err = plan(clean_sandbox, manifest)
    assert code == 2
    assert "roles[custom_bot].headers[X-Token].value: (sensitive value)" in out
    for text in (out, err):
        assert HEADER_SECRET not in text and AUTH_TOKEN not in text and "another-token-Lw55" not in text


def test_changed_items_of_each_nested_list_show_by_key(
    clean_sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    auth = tenant.find("authentications", "bot-callback")
    auth["oauth2"]["headers"][0]["value"] = "text/plain"  # Accept, listed first by the tenant
    tenant.edit("authentications", "bot-callback", oauth2=auth["oauth2"])
    participant = tenant.find("participants", "order-bot")
    tenant.edit("participants", "order-bot", options=[participant["options"][0], {"name": "greeting", "value": "hi"}])
    channel = tenant.find("channels", "custom.web")
    channel["l10nProperties"][0]["properties"][1]["value"] = "Salut"  # fr-FR welcome
    tenant.edit("channels", "custom.web", l10nProperties=channel["l10nProperties"])
    assert changed_paths(clean_sandbox, write_manifest(tmp_path, MANIFEST)) == {
        "bot-callback": ["oauth2.headers[Accept].value"],
        "order-bot": ["options[greeting].value"],
        "custom.web": ["l10nProperties[fr-FR].properties[welcome].value"],
    }


def test_a_list_with_a_repeated_name_stays_positional_and_never_shows_the_secret(
    clean_sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    # The tenant answers the secret header twice: names no longer identify items, so the
    # comparison falls back to positions, and every item that may face the secret is masked.
    app = tenant.find("clientApplications", "bot-app")
    bot_role = next(role for role in app["roles"] if role["name"] == "custom_bot")
    bot_role["headers"].append({"name": "X-Token", "value": HEADER_SECRET})
    tenant.edit("clientApplications", "bot-app", roles=app["roles"])
    manifest = write_manifest(tmp_path, MANIFEST)
    outputs = []
    for fmt in ("text", "json", "markdown"):
        code, out, err = plan(clean_sandbox, manifest, "--format", fmt)
        assert code == 2, err
        outputs += [out, err]
    assert "roles[custom_bot].headers[3].name" in outputs[0]
    assert "\x00" not in "".join(outputs)
    for text in outputs:
        assert HEADER_SECRET not in text

"""Helpers for the plan/apply specifications: run the CLI in process, talk to a served sandbox."""

from __future__ import annotations

import builtins
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

from egain_provision.cli import main
from egain_provision.sandbox.testing import ServedSandbox

PAYLOAD_SECRET = "s3cr3t-payload-Zq81"
PASSWORD_SECRET = "pa55-w0rd-Kx42"
HEADER_SECRET = "hdr-t0ken-Jm07"

SECRET_ENV = {
    "EGAIN_VAR_BOT_TOKEN_PAYLOAD": '{"clientId": "bot", "clientSecret": "' + PAYLOAD_SECRET + '"}',
    "EGAIN_VAR_AGENT_PASSWORD": PASSWORD_SECRET,
    "EGAIN_VAR_CALLBACK_TOKEN": HEADER_SECRET,
}
SECRETS = (PAYLOAD_SECRET, PASSWORD_SECRET, HEADER_SECRET)

# Every kind, every reference form; secrets only through ${env:...}.
FULL_SETUP = """\
version: 1
authentications:
  - name: bot-callback
    type: oauth2
    oauth2:
      tokenRequestUrl: https://bots.example.com/oauth/token
      method: POST
      headers: [{name: Content-Type, value: application/json}]
      payload: ${env:EGAIN_VAR_BOT_TOKEN_PAYLOAD}
      accessTokenPath: $.accessToken
  - name: agent-basic
    type: basic
    basicAuth:
      username: egain
      password: ${env:EGAIN_VAR_AGENT_PASSWORD}
clientApplications:
  - name: web-customer
    roles:
      - name: customer
        version: v3
        callback: https://web.example.com/egain/callback
        notificationEmail: ops@example.com
  - name: order-bot-app
    description: Order bot
    roles:
      - name: custom_bot
        version: v3
        callback: https://bots.example.com/egain/callback
        notificationEmail: ops@example.com
        headers: [{name: X-Token, value: "${env:EGAIN_VAR_CALLBACK_TOKEN}"}]
        authentication: bot-callback
  - name: agent-desk
    roles:
      - name: custom_agent
        version: v3
        callback: https://agents.example.com/egain/callback
        notificationEmail: ops@example.com
        authentication: agent-basic
participants:
  - name: order-bot
    type: custom_bot
    application: order-bot-app
    intents:
      intent:
        - {value: order_status, displayValue: Order status}
channels:
  - type: custom.web
    displayName: Web chat
    icon: iVBORw0KGgo=
    restrictions:
      inbound:
        maxTextLength: 800
        features: [typing_events, attachments]
orchestrations:
  - name: bot-first
    applications:
      botConfiguration:
        forwardTranscript: true
        bots:
          - application: order-bot-app
            participant: order-bot
            onEscalation: {agent: agent-desk}
      customerConfiguration: {customer: web-customer}
accounts:
  - name: order-account
    address: "123456789"
    channel: custom.web
    chatConfigurations:
      timeout: 30
      orchestration: bot-first
      entryPoint: {id: "1001"}
"""

FULL_SETUP_ORDER = [
    ("create", "authentications", "agent-basic"),
    ("create", "authentications", "bot-callback"),
    ("create", "clientApplications", "agent-desk"),
    ("create", "clientApplications", "order-bot-app"),
    ("create", "clientApplications", "web-customer"),
    ("create", "participants", "order-bot"),
    ("create", "channels", "custom.web"),
    ("create", "orchestrations", "bot-first"),
    ("create", "accounts", "order-account"),
]

KIND_PATHS = {
    "authentications": ("/authentications", "authentication"),
    "clientApplications": ("/clientapplications", "clientApplication"),
    "participants": ("/participants", "participant"),
    "channels": ("/channels", "channel"),
    "orchestrations": ("/orchestrations", "orchestration"),
    "accounts": ("/accounts", "account"),
}


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(args: Sequence[str], env: Mapping[str, str | None] | None = None, stdin: str | None = None) -> CliResult:
    """Run `egain-provision ARGS` in process, as the console script would, capturing its streams."""
    overrides: dict[str, str | None] = {
        "CI": None,
        "EGAIN_API_URL": None,
        "EGAIN_ACCESS_TOKEN": None,
        "EGAIN_PLAN_KEY": None,
        "NO_COLOR": None,
        **SECRET_ENV,
    }
    overrides.update(env or {})
    runner = CliRunner()
    with runner.isolation(input=stdin, env=overrides) as (out, err, _):
        code = main(list(args))
        sys.stdout.flush()
        sys.stderr.flush()
        return CliResult(code, out.getvalue().decode(), err.getvalue().decode())


def target_env(sandbox: ServedSandbox) -> dict[str, str]:
    """Environment that points the CLI's OAuth client at a served sandbox."""
    return {
        "EGAIN_TOKEN_URL": sandbox.token_url,
        "EGAIN_CLIENT_ID": sandbox.client_id,
        "EGAIN_CLIENT_SECRET": sandbox.client_secret,
    }


def write_manifest(directory: Path, text: str = FULL_SETUP, name: str = "setup.yaml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


class Tenant:
    """Direct HTTP access to a served sandbox, for arranging and inspecting a tenant behind the tool's back."""

    def __init__(self, sandbox: ServedSandbox) -> None:
        self.sandbox = sandbox
        self.http = httpx.Client(
            base_url=sandbox.base_url,
            headers={"Authorization": f"Bearer {sandbox.token()}"},
            timeout=30,
        )

    def close(self) -> None:
        self.http.close()

    def list(self, kind: str) -> list[dict[str, Any]]:
        path, key = KIND_PATHS[kind]
        items: list[dict[str, Any]] = []
        for page in range(1, 1000):
            response = self.http.get(path, params={"$pagenum": page, "$pagesize": 100})
            response.raise_for_status()
            batch = response.json().get(key) or []
            items.extend(batch)
            if len(batch) < 100:
                return items
        raise AssertionError("more pages than a test tenant can have")

    def names(self, kind: str) -> builtins.list[str]:
        field = "type" if kind == "channels" else "name"
        return sorted(item[field] for item in self.list(kind))

    def find(self, kind: str, name: str) -> dict[str, Any]:
        field = "type" if kind == "channels" else "name"
        matches = [item for item in self.list(kind) if item[field] == name]
        assert len(matches) == 1, f"{kind} {name!r}: {len(matches)} live objects"
        return matches[0]

    def create(self, kind: str, body: dict[str, Any]) -> str:
        response = self.http.post(KIND_PATHS[kind][0], json=body)
        assert response.status_code == 201, response.text
        object_id: str = response.json()["id"]
        return object_id

    def update(self, kind: str, object_id: str, body: dict[str, Any]) -> None:
        response = self.http.put(f"{KIND_PATHS[kind][0]}/{object_id}", json=body)
        assert response.status_code == 204, response.text

    def edit(self, kind: str, name: str, **fields: Any) -> None:
        """Change fields of a live object behind the tool's back (drift, or a concurrent edit)."""
        current = self.find(kind, name)
        body = {k: v for k, v in current.items() if k not in ("id", "created", "modified")}
        body.update(fields)
        self.update(kind, current["id"], body)

    def counts(self) -> dict[str, int]:
        return {kind: len(self.list(kind)) for kind in KIND_PATHS}


def create_full_setup(tenant: Tenant) -> dict[str, str]:
    """FULL_SETUP created through the raw HTTP API (not through apply), returning ids by name."""
    ids: dict[str, str] = {}
    payload = SECRET_ENV["EGAIN_VAR_BOT_TOKEN_PAYLOAD"]
    ids["bot-callback"] = tenant.create(
        "authentications",
        {
            "name": "bot-callback",
            "type": "oauth2",
            "oauth2": {
                "tokenRequestUrl": "https://bots.example.com/oauth/token",
                "method": "POST",
                "headers": [{"name": "Content-Type", "value": "application/json"}],
                "payload": payload,
                "accessTokenPath": "$.accessToken",
            },
        },
    )
    ids["agent-basic"] = tenant.create(
        "authentications",
        {"name": "agent-basic", "type": "basic", "basicAuth": {"username": "egain", "password": PASSWORD_SECRET}},
    )

    def role(name: str, host: str, **extra: Any) -> dict[str, Any]:
        return {
            "name": name,
            "version": "v3",
            "callback": f"https://{host}.example.com/egain/callback",
            "notificationEmail": "ops@example.com",
            **extra,
        }

    ids["web-customer"] = tenant.create(
        "clientApplications", {"name": "web-customer", "roles": [role("customer", "web")]}
    )
    ids["order-bot-app"] = tenant.create(
        "clientApplications",
        {
            "name": "order-bot-app",
            "description": "Order bot",
            "active": True,
            "roles": [
                role(
                    "custom_bot",
                    "bots",
                    headers=[{"name": "X-Token", "value": HEADER_SECRET}],
                    authentication={"id": ids["bot-callback"]},
                )
            ],
        },
    )
    ids["agent-desk"] = tenant.create(
        "clientApplications",
        {"name": "agent-desk", "roles": [role("custom_agent", "agents", authentication={"id": ids["agent-basic"]})]},
    )
    ids["order-bot"] = tenant.create(
        "participants",
        {
            "name": "order-bot",
            "type": "custom_bot",
            "application": {"id": ids["order-bot-app"]},
            "intents": {"intent": [{"value": "order_status", "displayValue": "Order status"}]},
        },
    )
    ids["custom.web"] = tenant.create(
        "channels",
        {
            "type": "custom.web",
            "displayName": "Web chat",
            "icon": "iVBORw0KGgo=",
            "restrictions": {"inbound": {"maxTextLength": 800, "features": ["typing_events", "attachments"]}},
        },
    )
    ids["bot-first"] = tenant.create(
        "orchestrations",
        {
            "name": "bot-first",
            "applications": {
                "botConfiguration": {
                    "forwardTranscript": True,
                    "bots": [
                        {
                            "id": ids["order-bot-app"],
                            "participant": {"id": ids["order-bot"]},
                            "onEscalation": {"agent": {"id": ids["agent-desk"]}},
                        }
                    ],
                },
                "customerConfiguration": {"customer": {"id": ids["web-customer"]}},
            },
        },
    )
    ids["order-account"] = tenant.create(
        "accounts",
        {
            "name": "order-account",
            "address": "123456789",
            "channel": {"id": ids["custom.web"]},
            "chatConfigurations": {
                "timeout": 30,
                "orchestration": {"id": ids["bot-first"]},
                "entryPoint": {"id": "1001"},
            },
        },
    )
    return ids


def assert_no_secrets(texts: Iterable[str]) -> None:
    """None of the secret values used by these tests appears in any of `texts`."""
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"secret value leaked: {secret!r}"


def apply_after_an_application_vanished(
    sandbox: ServedSandbox, tenant: Tenant, directory: Path, *options: str
) -> CliResult:
    """A saved plan whose participant names, by literal id, an application deleted after planning.

    The plan checks the objects it changes, not every object it references, so only the server
    can tell: the participant's create fails.
    """
    role = {
        "name": "custom_bot",
        "version": "v3",
        "callback": "https://doomed.example.com/egain/callback",
        "notificationEmail": "ops@example.com",
    }
    doomed = tenant.create("clientApplications", {"name": "doomed-app", "roles": [role]})
    broken = FULL_SETUP.replace("    application: order-bot-app\n", f'    application: {{id: "{doomed}"}}\n')
    saved = str(directory / "broken-plan.json")
    target = ["--target", sandbox.base_url]
    manifest = str(write_manifest(directory / "broken", broken))
    assert run_cli(["plan", *target, manifest, "--out", saved], env=target_env(sandbox)).exit_code == 0
    assert tenant.http.delete(f"/clientapplications/{doomed}").status_code == 204
    return run_cli(["apply", *target, saved, *options], env=target_env(sandbox))

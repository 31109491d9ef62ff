"""eGain's own channel types (from the spec) and "did you mean" hints that show the accepted form."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from egain_provision.manifest.channeltypes import supported_channel_types
from tests.manifest.manifest_support import Workspace

SPEC = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "egain-oas"
    / "published"
    / "conversation"
    / "conversationmgr"
)
SPEC_FILES = (SPEC / "models" / "v3" / "channel.yaml", SPEC / "v3" / "api.yaml")


def _example_channel_types(node: object) -> set[str]:
    """The `type` of every channel body among the spec's examples (a mapping with a displayName and a type)."""
    if isinstance(node, dict):
        found = {node["type"]} if "displayName" in node and isinstance(node.get("type"), str) else set()
        return found.union(*(_example_channel_types(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_example_channel_types(value) for value in node))
    return set()


def test_our_channel_types_are_those_of_the_spec_examples() -> None:
    missing = [str(path) for path in SPEC_FILES if not path.is_file()]
    if missing:
        pytest.skip(f"eGain's spec is not at hand: {', '.join(missing)}")
    in_spec = set().union(*(_example_channel_types(yaml.safe_load(path.read_text("utf-8"))) for path in SPEC_FILES))
    assert set(supported_channel_types()) == in_spec


def _channels(*types: str) -> str:
    rows = "".join(f"  - {{type: {kind}, displayName: C, icon: aWNvbg==}}\n" for kind in types)
    return "version: 1\nchannels:\n" + rows


def test_eGains_types_and_custom_types_are_accepted(ws: Workspace) -> None:
    ws.write("m.yaml", _channels(*supported_channel_types(), "custom.teams", "custom.web"))
    assert ws.diagnostics() == []


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("google-business-messaging", "google_business_messaging"),
        ("WhatsApp", "whatsapp"),
        ("SMS_TWILIO", "sms_twilio"),
        ("sms_twilo", "sms_twilio"),
        ("custom-channel", "custom_channel"),
    ],
)
def test_a_near_miss_of_an_eGain_type_is_an_error_showing_its_spelling(ws: Workspace, given: str, meant: str) -> None:
    ws.write("m.yaml", _channels(given))
    [diagnostic] = ws.load().diagnostics
    assert (diagnostic.severity, diagnostic.path) == ("error", "channels[0].type")
    assert diagnostic.message == f"channel type {given!r} is not eGain's spelling"
    assert diagnostic.hint is not None and diagnostic.hint.startswith(f"did you mean {meant!r}? write type: {meant} (")


def test_another_type_without_the_custom_prefix_is_a_warning_naming_the_custom_form(ws: Workspace) -> None:
    ws.write("m.yaml", _channels("teams"))
    [diagnostic] = ws.load().diagnostics
    assert diagnostic.severity == "warning"
    assert "not one of eGain's (custom_channel, google_business_messaging, sms_twilio, whatsapp)" in diagnostic.message
    assert diagnostic.hint == "name a channel of your own custom.NAME, e.g. type: custom.teams"


HINTED = """\
version: 1
authentications:
  - name: a
    type: oauth2
    oauth2:
      tokenRequestUrl: https://x.example.com/t
      method: post
      headers: {Content-Type: application/json, Authorization: Bearer xyz-secret}
      payload: ${env:EGAIN_VAR_BOT_TOKEN_PAYLOAD}
      accessTokenPath: $.a
clientApplications:
  - name: app
    roles:
      - name: customer
        version: 3
        callback: https://x.example.com/c
        notificationEmail: a@example.com
      - name: custom_agent
        version: V3
        callback: https://x.example.com/c
        notificationEmail: a@example.com
        headers: {X-Tenant: acme}
accounts:
  - name: acc
    address: a@example.com
    channel: custom.web
    chatConfigurations: {orchestration: o, entryPoint: 1001}
"""


def test_each_hint_shows_the_accepted_form(ws: Workspace) -> None:
    ws.write("m.yaml", HINTED)
    hints = {d.path: d.hint for d in ws.load().diagnostics if d.severity == "error"}
    assert hints == {
        "authentications[0].oauth2.method": "did you mean 'POST'? write method: POST",
        # The list form of the mapping given; a credential's value is not repeated.
        "authentications[0].oauth2.headers": "write a list of name/value items: headers: "
        "[{name: Content-Type, value: application/json}, {name: Authorization, value: ...}]",
        "clientApplications[0].roles[0].version": "did you mean 'v3'? write version: v3",
        "clientApplications[0].roles[1].version": "did you mean 'v3'? write version: v3",
        "clientApplications[0].roles[1].headers": (
            "write a list of name/value items: headers: [{name: X-Tenant, value: acme}]"
        ),
        "accounts[0].chatConfigurations.entryPoint": 'write entryPoint: {id: "1001"}',
    }

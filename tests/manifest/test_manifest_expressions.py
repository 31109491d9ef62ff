"""The checked-in schema lets editors accept `${...}` for typed values; the loader checks the interpolated value."""

from __future__ import annotations

import yaml
from jsonschema import Draft202012Validator

from egain_provision.schemas import load_schema
from tests.manifest.manifest_support import Workspace

ACCOUNT = """\
version: 1
accounts:
  - name: shop
    address: www.example.com
    channel: custom.web
    chatConfigurations:
      timeout: {timeout}
      onAgentUnavailability: ${{var:UNAVAILABLE}}
      allowLogoutWithOpenChats: ${{var:LOGOUT}}
      orchestration: flow
      entryPoint: {{id: "1001"}}
"""
VARIABLES = {"UNAVAILABLE": "retain_and_retry", "LOGOUT": "true"}


def test_an_editor_accepts_expressions_for_numbers_booleans_enums_and_patterns() -> None:
    document = yaml.safe_load(ACCOUNT.format(timeout="${var:CHAT_TIMEOUT}"))
    document["authentications"] = [
        {
            "name": "a",
            "type": "oauth2",
            "oauth2": {
                "tokenRequestUrl": "${var:TOKEN_URL}",
                "method": "${var:TOKEN_METHOD}",
                "headers": [{"name": "Accept", "value": "application/json"}],
                "payload": "${env:EGAIN_VAR_PAYLOAD}",
                "accessTokenPath": "$.token",
            },
        }
    ]
    assert list(Draft202012Validator(load_schema("manifest")).iter_errors(document)) == []


def test_an_editor_still_rejects_a_literal_out_of_range() -> None:
    document = yaml.safe_load(ACCOUNT.format(timeout="2"))
    assert not Draft202012Validator(load_schema("manifest")).is_valid(document)


def test_the_loader_accepts_an_interpolated_value_in_range(ws: Workspace) -> None:
    ws.write("m.yaml", ACCOUNT.format(timeout="${var:CHAT_TIMEOUT}"))
    assert ws.load(variables={**VARIABLES, "CHAT_TIMEOUT": "45"}).errors == []


def test_the_loader_checks_the_interpolated_value_not_the_expression(ws: Workspace) -> None:
    ws.write("m.yaml", ACCOUNT.format(timeout="${var:CHAT_TIMEOUT}"))
    [error] = ws.load(variables={**VARIABLES, "CHAT_TIMEOUT": "2"}).errors
    assert (error.path, error.message) == ("accounts[0].chatConfigurations.timeout", "must be >= 3")


def test_a_quoted_expression_stays_text_and_is_not_a_number(ws: Workspace) -> None:
    ws.write("m.yaml", ACCOUNT.format(timeout='"${var:CHAT_TIMEOUT}"'))
    [error] = ws.load(variables={**VARIABLES, "CHAT_TIMEOUT": "45"}).errors
    assert (error.path, error.message) == ("accounts[0].chatConfigurations.timeout", "expected a number, got a string")


def test_an_enum_value_from_a_variable_is_checked_against_the_enum(ws: Workspace) -> None:
    ws.write("m.yaml", ACCOUNT.format(timeout="30"))
    [error] = ws.load(variables={**VARIABLES, "UNAVAILABLE": "later"}).errors
    assert error.message == "'later' is not one of: off_hours, retain_and_retry"

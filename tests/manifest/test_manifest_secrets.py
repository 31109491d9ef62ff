"""Sensitive values (from `${env:...}`, and the secret fields) never appear in any output."""

from __future__ import annotations

import pytest

from tests.manifest.manifest_support import Workspace, run_cli

SECRET = "Zq81-very-secret-value"

# Each sensitive value below is wrong in a way that makes a diagnostic talk about it.
LEAKY = """\
version: 1
authentications:
  - name: a
    type: basic
    basicAuth: {username: u, password: "literal-Zq81-very-secret-value"}
  - name: b
    type: oauth2
    oauth2:
      tokenRequestUrl: ${env:EGAIN_VAR_SECRET}
      method: POST
      headers: [{name: Accept, value: application/json}]
      payload: 12345
      accessTokenPath: $.x
clientApplications:
  - name: ${env:EGAIN_VAR_SECRET}
    roles:
      - name: ${env:EGAIN_VAR_SECRET}
        version: v3
        callback: https://x.example.com
        notificationEmail: a@x.com
        authentication: ${env:EGAIN_VAR_SECRET}
  - name: ${env:EGAIN_VAR_SECRET}
    roles: [{name: customer, version: v3, callback: "https://x.example.com", notificationEmail: a@x.com}]
    previousNames: ["${env:EGAIN_VAR_SECRET}"]
channels:
  - type: custom.web
    displayName: Web
    icon: aWNvbg==
    restrictions:
      inbound:
        maxTextLength: ${env:EGAIN_VAR_SECRET}
        attachmentPolicy: {type: "${env:EGAIN_VAR_SECRET}"}
"""


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_no_sensitive_value_is_echoed_in_any_format(
    capsys: pytest.CaptureFixture[str], ws: Workspace, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.setenv("EGAIN_VAR_SECRET", SECRET)
    path = ws.write("m.yaml", LEAKY)
    result = run_cli(capsys, "validate", "--format", fmt, str(path))
    assert result.code == 1
    assert "Zq81" not in result.out + result.err
    assert "(sensitive value)" in result.out


def test_every_problem_with_a_sensitive_value_is_still_reported(ws: Workspace) -> None:
    ws.write("m.yaml", LEAKY)
    rows = ws.diagnostics(env={"EGAIN_VAR_SECRET": SECRET})
    from_env = (
        "cannot come from ${env:...}: environment values are never shown, and a plan must show which object it names"
    )
    assert [(row[0], row[2], row[3]) for row in rows] == [
        ("warning", "authentications[0].basicAuth.password", "secret field basicAuth.password holds a literal value"),
        ("error", "authentications[1].oauth2.tokenRequestUrl", "value is not a valid http(s) URL"),
        ("error", "authentications[1].oauth2.payload", "expected a string, got an integer"),
        ("error", "clientApplications[0].name", f"name {from_env}"),
        ("error", "clientApplications[0].roles[0].name", f"roles[0].name {from_env}"),
        (
            "error",
            "clientApplications[0].roles[0].name",
            "value is not one of: customer, custom_bot, egain_bot, egain_agent, custom_agent, business_notification",
        ),
        (
            "warning",
            "clientApplications[0].roles[0].authentication",
            "Authentication (sensitive value) is not declared in these manifests; it must exist in the tenant",
        ),
        ("error", "clientApplications[0].roles[0].authentication", f"roles[0].authentication {from_env}"),
        (
            "error",
            "clientApplications[1].name",
            f"Client Application (sensitive value) is declared twice: here and at {ws.root / 'm.yaml'}:15:11",
        ),
        ("error", "clientApplications[1].name", f"name {from_env}"),
        ("error", "clientApplications[1].previousNames[0]", "previousNames lists the object's own name"),
        ("error", "clientApplications[1].previousNames[0]", f"previousNames[0] {from_env}"),
        ("error", "channels[0].restrictions.inbound.maxTextLength", "expected an integer, got a string"),
        ("error", "channels[0].restrictions.inbound.attachmentPolicy.type", "value is not one of: allow, block"),
    ]


def test_did_you_mean_never_quotes_a_sensitive_value(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nparticipants:\n  - name: p\n    type: ${env:EGAIN_VAR_T}\n    application: x\n")
    [error] = ws.load(env={"EGAIN_VAR_T": "custom_bott"}).errors
    assert "custom_bott" not in f"{error.message} {error.hint}"


def test_syntax_error_near_a_secret_does_not_quote_the_line(ws: Workspace) -> None:
    ws.write("m.yaml", 'version: 1\nauthentications:\n  - name: a\n    basicAuth: {password: "Zq81-literal\n')
    [error] = ws.load().errors
    assert "Zq81" not in f"{error.message} {error.hint}"

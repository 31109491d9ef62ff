"""Helpers for the manifest specifications: write manifests, load them, run `validate` in process."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from egain_provision.cli import main
from egain_provision.manifest import ManifestSet, load_manifests
from egain_provision.model import Diagnostic

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

PAYLOAD_SECRET = '{"clientId": "demo", "clientSecret": "Sup3r-S3cret-Payload"}'
PASSWORD_SECRET = "Hunter2-Password-Xy"
# What the examples read from the environment (examples/.env.example documents the same names).
TWILIO_TOKEN_SECRET = "Twilio-Auth-Token-Zq81"
EXAMPLE_ENV = {
    "EGAIN_VAR_BOT_TOKEN_PAYLOAD": PAYLOAD_SECRET,
    "EGAIN_VAR_AGENT_DESK_PASSWORD": PASSWORD_SECRET,
    "EGAIN_VAR_TWILIO_AUTH_TOKEN": TWILIO_TOKEN_SECRET,
}

AUTH = """\
authentications:
  - name: bot-callback
    type: oauth2
    oauth2:
      tokenRequestUrl: https://bots.example.com/oauth/token
      method: POST
      headers: [{name: Content-Type, value: application/json}]
      payload: ${env:EGAIN_VAR_BOT_TOKEN_PAYLOAD}
      accessTokenPath: $.accessToken
"""

APPS = """\
clientApplications:
  - name: web-customer
    roles:
      - {name: customer, version: v3, callback: "https://c.example.com/cb", notificationEmail: ops@example.com}
  - name: bot-app
    roles:
      - name: custom_bot
        version: v3
        callback: https://b.example.com/cb
        notificationEmail: ops@example.com
        authentication: bot-callback
  - name: agent-desk
    roles:
      - {name: custom_agent, version: v3, callback: "https://a.example.com/cb", notificationEmail: ops@example.com}
"""


def dedent(text: str) -> str:
    """Manifests in tests are written indented with the test; YAML wants them flush left."""
    return textwrap.dedent(text).lstrip("\n")


@dataclass
class Workspace:
    """A temporary directory to write manifests into, and ways to check them."""

    root: Path

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text), "utf-8")
        return path

    def at(self, name: str, snippet: str, occurrence: int = 1) -> str:
        """`name:line:col` of the `occurrence`-th appearance of `snippet` in the file (1-based, as in diagnostics)."""
        text = (self.root / name).read_text("utf-8")
        index = -1
        for _ in range(occurrence):
            index = text.index(snippet, index + 1)
        line = text.count("\n", 0, index) + 1
        column = index - (text.rfind("\n", 0, index) + 1) + 1
        return f"{name}:{line}:{column}"

    def load(
        self, *names: str, variables: dict[str, str] | None = None, env: dict[str, str] | None = None
    ) -> ManifestSet:
        return load_manifests(
            [self.root / name for name in names] or [self.root],
            variables=variables,
            environ=EXAMPLE_ENV if env is None else env,
        )

    def diagnostics(self, *names: str, **kwargs: dict[str, str]) -> list[tuple[str, str, str, str]]:
        """(severity, file-relative location, path, message) of every diagnostic, in order."""
        return [self.row(d) for d in self.load(*names, **kwargs).diagnostics]

    def row(self, diagnostic: Diagnostic) -> tuple[str, str, str, str]:
        location = diagnostic.location
        assert location is not None  # every validate finding is located
        where = f"{Path(location.file).relative_to(self.root)}:{location.line}:{location.column}"
        return (diagnostic.severity, where, diagnostic.path, diagnostic.message)


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    """`egain-provision ARGS` in process."""
    code = main(list(args))
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)

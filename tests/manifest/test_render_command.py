"""`egain-provision render`: the merged, interpolated manifests as one document that plans as its sources do."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.support import run_cli, write_manifest

REPO = Path(__file__).resolve().parents[2]
ENVIRONMENTS = REPO / "examples" / "environments"
# Each example setup as render is given it: its directory and the options it needs.
SETUPS = [
    *([str(REPO / "examples" / name)] for name in ("agent-only", "byoc", "sms-twilio", "whatsapp")),
    *(
        ["--var-file", str(ENVIRONMENTS / f"{env}.vars.yaml"), str(ENVIRONMENTS / "base")]
        for env in ("staging", "production")
    ),
]
_ENV_NAME = re.compile(r"\$\{env:(EGAIN_VAR_[A-Za-z0-9_]+)\}")


def _secrets_for(*texts: str) -> dict[str, str]:
    """A made-up secret for every `${env:...}` the texts name."""
    return {name: f"s3cret-{name.lower()}-value" for text in texts for name in _ENV_NAME.findall(text)}


def _planned(args: list[str], env: dict[str, str], database: Path) -> tuple[list[dict[str, object]], object]:
    """The JSON plan of `args` against a fresh sandbox, less where each object is declared."""
    planned = run_cli(
        ["plan", "--format", "json", "--target", "sandbox", *args], env={**env, "EGAIN_SANDBOX_DB": str(database)}
    )
    assert planned.exit_code == 0, planned.stderr
    document = json.loads(planned.stdout)
    actions = [{key: value for key, value in action.items() if key != "location"} for action in document["actions"]]
    return actions, document["summary"]


def _sources_text(args: list[str]) -> str:
    paths = [Path(arg) for arg in args if Path(arg).exists()]
    return "".join(
        file.read_text(encoding="utf-8")
        for path in paths
        for file in ([path] if path.is_file() else sorted(path.glob("*.yaml")))
    )


@pytest.mark.parametrize(
    "args", SETUPS, ids=lambda args: "-".join(Path(arg).name for arg in args if not arg.startswith("-"))
)
def test_every_example_renders_to_a_manifest_that_plans_as_its_sources(args: list[str], tmp_path: Path) -> None:
    secrets = _secrets_for(_sources_text(args))
    rendered = run_cli(["render", *args], env=secrets)
    assert rendered.exit_code == 0, rendered.stderr
    for secret in secrets.values():
        assert secret not in rendered.stdout
    document = yaml.safe_load(rendered.stdout)
    assert document["version"] == 1
    assert "${var:" not in rendered.stdout
    output = write_manifest(tmp_path / "rendered", rendered.stdout, "rendered.yaml")
    validated = run_cli(["validate", str(output)], env=secrets)
    assert validated.exit_code == 0, validated.output
    sources_plan = _planned(args, secrets, tmp_path / "sources.db")
    assert sources_plan[0], "the example plans nothing"
    assert _planned([str(output)], secrets, tmp_path / "rendered.db") == sources_plan


MIXED = """\
version: 1
authentications:
  - name: desk-basic
    type: basic
    basicAuth:
      username: ${var:USER}
      password: literal-password-in-git
clientApplications:
  - name: desk
    description: costs $${HOME} and ${var:COST}
    roles:
      - name: custom_agent
        version: v3
        callback: https://${var:HOST}/egain
        notificationEmail: ops@example.com
        authentication: desk-basic
        headers:
          - {name: Authorization, value: "Bearer ${env:EGAIN_VAR_UNSET_TOKEN}"}
          - {name: X-Api-Key, value: written-in-the-file}
          - {name: Content-Type, value: application/json}
---
version: 1
authentications:
  - name: second
    type: basic
    basicAuth:
      username: two
      password: ${env:EGAIN_VAR_UNSET_PASSWORD}
"""


def test_variables_are_filled_in_escapes_kept_and_secrets_never_printed(tmp_path: Path) -> None:
    write_manifest(tmp_path, MIXED)
    rendered = run_cli(
        ["render", "--var", "USER=egain", "--var", "COST=${5}", "--var", "HOST=desk.example.com", str(tmp_path)]
    )
    assert rendered.exit_code == 0, rendered.stderr
    assert "literal-password-in-git" not in rendered.stdout
    assert "written-in-the-file" not in rendered.stdout
    document = yaml.safe_load(rendered.stdout)
    # Both documents' authentications merged into one list, before the applications (setup order).
    assert [auth["name"] for auth in document["authentications"]] == ["desk-basic", "second"]
    assert list(document)[1:] == ["authentications", "clientApplications"]
    basic = document["authentications"][0]["basicAuth"]
    assert basic == {"username": "egain", "password": "${env:EGAIN_VAR_AUTHENTICATION_DESK_BASIC_BASICAUTH_PASSWORD}"}
    assert document["authentications"][1]["basicAuth"]["password"] == "${env:EGAIN_VAR_UNSET_PASSWORD}"
    application = document["clientApplications"][0]
    # A literal `${` (escaped in the source, or inside a variable's value) stays escaped.
    assert application["description"] == "costs $${HOME} and $${5}"
    role = application["roles"][0]
    assert role["callback"] == "https://desk.example.com/egain"
    assert role["headers"][0]["value"] == "Bearer ${env:EGAIN_VAR_UNSET_TOKEN}"
    assert role["headers"][1]["value"] == "${env:EGAIN_VAR_CLIENTAPPLICATION_DESK_ROLES_0_HEADERS_1_VALUE}"
    assert role["headers"][2]["value"] == "application/json"


TYPED = """\
version: 1
channels:
  - type: custom.web
    displayName: '${var:T}'
    icon: iVBORw0KGgo=
    restrictions:
      inbound:
        maxTextLength: ${var:T}
"""


def test_a_variable_filled_into_a_plain_scalar_keeps_its_type(tmp_path: Path) -> None:
    write_manifest(tmp_path, TYPED)
    rendered = run_cli(["render", "--var", "T=30", str(tmp_path)])
    assert rendered.exit_code == 0, rendered.stderr
    channel = yaml.safe_load(rendered.stdout)["channels"][0]
    assert (channel["displayName"], channel["restrictions"]["inbound"]["maxTextLength"]) == ("30", 30)


def test_invalid_manifests_are_reported_as_validate_reports_them(tmp_path: Path) -> None:
    write_manifest(tmp_path, "version: 1\nclientApplications:\n  - name: x\n    rolez: []\n")
    rendered = run_cli(["render", str(tmp_path)])
    assert rendered.exit_code == 1
    assert rendered.stdout == ""
    assert "setup.yaml:4:5: error: unknown field 'rolez'" in rendered.stderr

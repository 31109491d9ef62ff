"""Callback header values: shown for review unless they can be secret (a credential-like name, or `${env:...}`)."""

from __future__ import annotations

import json
from pathlib import Path

from egain_provision.sandbox.testing import ServedSandbox
from tests.support import FULL_SETUP, SECRET_ENV, Tenant, create_full_setup, run_cli, target_env, write_manifest

LITERAL_CREDENTIAL = "Bearer literal-credential-31d9"
CHANGED = FULL_SETUP.replace(
    "headers: [{name: Content-Type, value: application/json}]",
    "headers: [{name: Content-Type, value: text/plain}, "
    f"{{name: Authorization, value: {LITERAL_CREDENTIAL}}}, {{name: X-Api-Key, value: literal-key-77}}]",
)


def test_a_changed_content_type_is_reviewable_and_credentials_are_not_shown(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    manifest = write_manifest(tmp_path, CHANGED)
    env = {**target_env(sandbox), "EGAIN_VAR_CALLBACK_TOKEN": "changed-callback-token-5b2"}
    outputs = []
    for fmt in ("text", "json", "markdown"):
        result = run_cli(["plan", "--target", sandbox.base_url, "--format", fmt, str(manifest)], env=env)
        assert result.exit_code == 0, result.stderr
        outputs.append(result.stdout)
    text, document, _ = outputs
    assert '"application/json" -> "text/plain"' in text
    # The JSON plan's body keeps a literal value to send (a plan file is private); its changes never show one.
    shown = [text, json.dumps([action["changes"] for action in json.loads(document)["actions"]]), outputs[2]]
    for output in shown:
        assert LITERAL_CREDENTIAL not in output and "literal-key-77" not in output
        assert "changed-callback-token-5b2" not in output
        assert SECRET_ENV["EGAIN_VAR_CALLBACK_TOKEN"] not in output
    changes = {change["path"]: change for action in json.loads(document)["actions"] for change in action["changes"]}
    assert changes["oauth2.headers[Content-Type].value"]["sensitive"] is False
    assert changes["oauth2.headers[Authorization].value"]["sensitive"] is True
    assert changes["oauth2.headers[X-Api-Key].value"]["sensitive"] is True
    assert changes["roles[custom_bot].headers[X-Token].value"]["sensitive"] is True

"""Account attributes named authToken (and any name a manifest marks) are secrets end to end."""

from __future__ import annotations

import json
from pathlib import Path

from egain_provision.sandbox.testing import ServedSandbox
from tests.support import FULL_SETUP, run_cli, target_env, write_manifest

AUTH_TOKEN = "twilio-auth-token-7f3a91"
API_KEY = "partner-api-key-55c1e0"
SID = "AC-visible-account-sid"

WITH_ATTRIBUTES = "sensitive:\n  attributes: [apiKey]\n" + FULL_SETUP.replace(
    '    address: "123456789"\n',
    '    address: "123456789"\n'
    "    attributes:\n"
    f"      - {{name: accountSid, value: {SID}}}\n"
    "      - name: authToken\n        value: ${env:EGAIN_VAR_AUTH_TOKEN}\n"
    "      - name: apiKey\n        value: ${env:EGAIN_VAR_API_KEY}\n",
)
ENV = {"EGAIN_VAR_AUTH_TOKEN": AUTH_TOKEN, "EGAIN_VAR_API_KEY": API_KEY}


def cli(sandbox: ServedSandbox, *args: str, env: dict[str, str | None] | None = None) -> tuple[int, str, str]:
    result = run_cli(
        [args[0], "--target", sandbox.base_url, *args[1:]], env={**target_env(sandbox), **ENV, **(env or {})}
    )
    return result.exit_code, result.stdout, result.stderr


def assert_hidden(*texts: str) -> None:
    for text in texts:
        assert AUTH_TOKEN not in text and API_KEY not in text


def test_plan_shows_neither_an_auth_token_nor_a_marked_attribute(clean_sandbox: ServedSandbox, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, WITH_ATTRIBUTES)
    outputs = []
    for fmt in ("text", "json", "markdown", "github"):
        code, out, err = cli(clean_sandbox, "plan", "--format", fmt, str(manifest), "--out", str(tmp_path / "p.json"))
        assert code == 0, err
        outputs += [out, err]
    assert SID in outputs[0]  # the attribute next to it is not secret
    saved = (tmp_path / "p.json").read_text()
    assert_hidden(*outputs, saved)
    [account] = [a for a in json.loads(saved)["actions"] if a["kind"] == "accounts"]
    assert set(account["sensitive"]) == {"attributes[1].value", "attributes[2].value"}


def test_a_saved_plan_applies_the_tokens_from_the_environment_and_then_converges(
    clean_sandbox: ServedSandbox, tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path, WITH_ATTRIBUTES)
    plan_file = tmp_path / "p.json"
    assert cli(clean_sandbox, "plan", str(manifest), "--out", str(plan_file))[0] == 0
    journal = tmp_path / "journal.jsonl"
    code, out, err = cli(clean_sandbox, "apply", str(plan_file), "--journal", str(journal))
    assert code == 0, out + err
    assert_hidden(out, err, journal.read_text())
    code, out, err = cli(clean_sandbox, "plan", str(manifest), "--detailed-exitcode")
    assert code == 0, out + err
    code, out, err = cli(
        clean_sandbox, "plan", str(manifest), "--detailed-exitcode", env={"EGAIN_VAR_AUTH_TOKEN": "rotated-token-000"}
    )
    assert code == 2
    assert "attributes[authToken].value" in out
    assert_hidden(out, err)


def test_validate_warns_about_a_literal_auth_token_without_printing_it(tmp_path: Path) -> None:
    literal = WITH_ATTRIBUTES.replace("${env:EGAIN_VAR_AUTH_TOKEN}", AUTH_TOKEN)
    result = run_cli(["validate", str(write_manifest(tmp_path, literal))], env=dict(ENV))
    assert result.exit_code == 0
    assert "secret field attributes[1].value holds a literal value" in result.stdout
    assert_hidden(result.stdout, result.stderr)


def test_export_writes_the_auth_token_as_a_placeholder(clean_sandbox: ServedSandbox, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, WITH_ATTRIBUTES)
    assert cli(clean_sandbox, "apply", "--auto-approve", str(manifest), "--journal", str(tmp_path / "j"))[0] == 0
    out_dir = tmp_path / "exported"
    code, out, err = cli(clean_sandbox, "export", "--out", str(out_dir))
    assert code == 0, err
    written = "".join(path.read_text() for path in out_dir.rglob("*") if path.suffix in (".yaml", ".example"))
    assert AUTH_TOKEN not in written + out + err
    assert "${env:EGAIN_VAR_ACCOUNT_ORDER_ACCOUNT_ATTRIBUTES_AUTHTOKEN}" in written
    assert "EGAIN_VAR_ACCOUNT_ORDER_ACCOUNT_ATTRIBUTES_AUTHTOKEN" in (out_dir / ".env.example").read_text()
    assert SID in written

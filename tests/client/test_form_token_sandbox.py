"""Against the sandbox answering its token endpoint form-encoded: plan and apply work, the token never shows."""

from __future__ import annotations

from pathlib import Path

from egain_provision.sandbox.config import TOKEN_PATH
from egain_provision.sandbox.testing import ServedSandbox
from tests.support import FULL_SETUP_ORDER, run_cli, target_env, write_manifest


def test_a_run_against_a_form_encoded_token_endpoint_applies_and_converges(
    clean_sandbox: ServedSandbox, tmp_path: Path
) -> None:
    clean_sandbox.set_options(token_format="form")
    manifest = str(write_manifest(tmp_path))
    target = ["--target", clean_sandbox.base_url]
    journal = ["--journal", str(tmp_path / "journal.jsonl")]
    applied = run_cli(["apply", "--auto-approve", *target, *journal, manifest], env=target_env(clean_sandbox))
    replanned = run_cli(["plan", "--detailed-exitcode", *target, manifest], env=target_env(clean_sandbox))
    log = clean_sandbox.requests()
    assert applied.exit_code == 0, applied.output
    assert f"{len(FULL_SETUP_ORDER)} created" in applied.stdout
    assert replanned.exit_code == 0, replanned.output
    assert [entry["status"] for entry in log if entry["path"] == TOKEN_PATH] == [200, 200]  # one per run
    assert clean_sandbox.client_secret not in applied.output + replanned.output

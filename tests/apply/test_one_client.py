"""One client per apply: the tenant is read and changed over one connection pool with one token.

Each client loads the certificate store and asks for its own token, so the sandbox's request
log (one token request per client) shows how many an apply built.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from egain_provision.sandbox.testing import ServedSandbox
from tests.support import run_cli, target_env, write_manifest


def cli(sandbox: ServedSandbox, *args: str) -> int:
    result = run_cli([args[0], "--target", sandbox.base_url, *args[1:]], env=target_env(sandbox))
    assert result.exit_code in (0, 2), result.output
    return result.exit_code


def token_requests(sandbox: ServedSandbox) -> int:
    token_path = urlsplit(sandbox.token_url).path
    return sum(1 for entry in sandbox.requests() if entry["path"] == token_path)


def api_requests(sandbox: ServedSandbox) -> int:
    token_path = urlsplit(sandbox.token_url).path
    return sum(1 for entry in sandbox.requests() if entry["path"] != token_path)


def test_an_apply_of_manifests_reads_and_writes_with_one_client(clean_sandbox: ServedSandbox, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path)
    cli(clean_sandbox, "apply", "--auto-approve", "--journal", str(tmp_path / "journal.jsonl"), str(manifest))
    assert api_requests(clean_sandbox) > 9  # the reads of every kind and the nine creates
    assert token_requests(clean_sandbox) == 1


def test_an_apply_of_a_saved_plan_checks_and_executes_with_one_client(
    clean_sandbox: ServedSandbox, tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path)
    cli(clean_sandbox, "plan", str(manifest), "--out", str(tmp_path / "plan.json"))
    clean_sandbox.clear_requests()
    cli(clean_sandbox, "apply", "--journal", str(tmp_path / "journal.jsonl"), str(tmp_path / "plan.json"))
    assert api_requests(clean_sandbox) > 9
    assert token_requests(clean_sandbox) == 1

"""An apply that outlasts several token lifetimes renews its token on 401 and completes."""

from __future__ import annotations

from pathlib import Path

from egain_provision.sandbox.config import BASE_PATH, TOKEN_PATH
from tests.resilience.resilience_support import (
    apply_in_process,
    assert_no_secrets_in,
    declared_names,
    generated_tenant,
    live_names,
    open_tenant,
    plan_in_process,
    served,
    write_document,
)

SETUPS = 10  # 80 objects
TOKEN_LIFETIME = 0.3
# 80 actions, two at a time, 25 ms each: the run lasts several token lifetimes.
SLOW = {"latency_ms": 25, "latency_jitter_ms": 5, "seed": 5}


def test_an_apply_outlasting_its_token_renews_it_and_completes(tmp_path: Path) -> None:
    document = generated_tenant(SETUPS)
    manifest = write_document(tmp_path / "tenant.yaml", document)
    journal = tmp_path / "journal.jsonl"
    with served(tmp_path / "sandbox.db", token_lifetime=TOKEN_LIFETIME, **SLOW) as sandbox:
        result = apply_in_process(sandbox, manifest, journal, "--parallelism", "2", "-v")
        log = sandbox.requests()
        sandbox.clear_faults()
        with open_tenant(sandbox) as tenant:
            assert live_names(tenant) == declared_names(document)
        replanned = plan_in_process(sandbox, manifest)
    assert result.exit_code == 0, result.output
    assert "80 created, 0 updated, 0 deleted, 0 failed, 0 skipped" in result.stdout
    api = [(index, entry) for index, entry in enumerate(log) if entry["path"].startswith(BASE_PATH)]
    refused = [(index, entry) for index, entry in api if entry["status"] == 401]
    assert len(refused) >= 2, "the run did not outlast its token"
    for index, entry in refused:
        # The same request, sent again later with a renewed token, succeeded.
        assert any(
            later["method"] == entry["method"] and later["path"] == entry["path"] and later["status"] < 300
            for position, later in api
            if position > index
        ), entry
    assert sum(1 for entry in log if entry["path"] == TOKEN_PATH and entry["status"] == 200) >= 3
    assert replanned.exit_code == 0, replanned.output
    assert_no_secrets_in([result.stdout, result.stderr, replanned.output, journal.read_text()])


def test_tokens_that_expire_during_429_waits_are_renewed_as_often_as_needed(tmp_path: Path) -> None:
    # Every Retry-After outlasts a token: a request throttled twice meets two expired tokens.
    document = generated_tenant(3)
    manifest = write_document(tmp_path / "tenant.yaml", document)
    journal = tmp_path / "journal.jsonl"
    with served(tmp_path / "sandbox.db", token_lifetime=0.3, throttle_rate=0.3, retry_after=0.4, seed=7) as sandbox:
        result = apply_in_process(sandbox, manifest, journal, "--parallelism", "4")
        log = sandbox.requests()
        sandbox.clear_faults()
        with open_tenant(sandbox) as tenant:
            assert live_names(tenant) == declared_names(document)
    assert result.exit_code == 0, result.output
    assert "24 created, 0 updated, 0 deleted, 0 failed, 0 skipped" in result.stdout
    expired = [entry for entry in log if entry["path"].startswith(BASE_PATH) and entry["status"] == 401]
    renewals = [entry for entry in log if entry["path"] == TOKEN_PATH and entry["status"] == 200]
    assert expired and len(renewals) >= 3
    assert_no_secrets_in([result.stdout, result.stderr, journal.read_text()])

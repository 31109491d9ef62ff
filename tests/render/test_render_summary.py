"""`apply --format markdown`: the apply summary as a pull-request comment, from real applies to a served sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from egain_provision.render.summary import MARKER, render_summary_markdown
from egain_provision.sandbox.testing import ServedSandbox
from tests.support import FULL_SETUP, FULL_SETUP_ORDER, CliResult, Tenant, run_cli, target_env, write_manifest


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Apply writes .egain/journal.jsonl under the working directory: keep it in the test's folder."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def tenant(sandbox: ServedSandbox) -> Iterator[Tenant]:
    client = Tenant(sandbox)
    yield client
    client.close()


def cli(sandbox: ServedSandbox, *args: str) -> CliResult:
    return run_cli([args[0], "--target", sandbox.base_url, *args[1:]], env=target_env(sandbox))


def test_the_markdown_summary_names_every_created_object_and_the_plan_goes_to_stderr(
    sandbox: ServedSandbox, tmp_path: Path
) -> None:
    result = cli(sandbox, "apply", "--auto-approve", "--format", "markdown", str(write_manifest(tmp_path)))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(MARKER + "\n")
    assert "applied on" in result.stdout
    assert "**9 created**, 0 updated, 0 deleted, 0 failed, 0 skipped" in result.stdout
    assert "**Created: 9**" in result.stdout
    for _, kind, name in FULL_SETUP_ORDER:
        assert f"- {kind} **{name.replace('.', chr(92) + '.').replace('-', chr(92) + '-')}** (`" in result.stdout
    assert "Plan: 9 to create" in result.stderr
    assert "Plan:" not in result.stdout


def test_a_converged_tenant_has_nothing_to_apply(sandbox: ServedSandbox, tmp_path: Path) -> None:
    manifest = str(write_manifest(tmp_path))
    assert cli(sandbox, "apply", "--auto-approve", manifest).exit_code == 0
    result = cli(sandbox, "apply", "--auto-approve", "--format", "markdown", manifest)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(MARKER + "\n")
    assert "nothing to apply" in result.stdout
    assert "0 created, 0 updated, 0 deleted, 0 failed, 0 skipped" in result.stdout


def test_a_failed_apply_names_what_failed_first_and_why(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    role = {
        "name": "custom_bot",
        "version": "v3",
        "callback": "https://doomed.example.com/egain/callback",
        "notificationEmail": "ops@example.com",
    }
    doomed = tenant.create("clientApplications", {"name": "doomed-app", "roles": [role]})
    broken = FULL_SETUP.replace("    application: order-bot-app\n", f'    application: {{id: "{doomed}"}}\n')
    saved = str(tmp_path / "plan.json")
    assert cli(sandbox, "plan", str(write_manifest(tmp_path / "broken", broken)), "--out", saved).exit_code == 0
    assert tenant.http.delete(f"/clientapplications/{doomed}").status_code == 204
    result = cli(sandbox, "apply", saved, "--format", "markdown")
    assert result.exit_code == 1
    text = result.stdout
    assert "apply incomplete" in text
    assert "6 created**, 0 updated, 0 deleted, **1 failed**, **2 skipped**" in text
    assert text.index("**Failed: 1**") < text.index("**Created: 6**") < text.index("**Skipped (not attempted): 2**")
    failed = text[text.index("**Failed: 1**") : text.index("**Created: 6**")]
    assert "participants **order\\-bot**" in failed
    assert "Run apply again to retry" in text


def big_summary(creates: int, failures: int) -> dict[str, Any]:
    """A summary document as `apply --format json` writes it (data, built directly)."""

    def outcome(action: str, name: str, status: str, message: str | None = None) -> Mapping[str, Any]:
        return {
            "address": f"channels/{name}",
            "action": action,
            "kind": "channels",
            "natural_key": name,
            "id": f"id-{name}",
            "status": status,
            "message": message,
            "code": None,
            "duration_ms": 5.0,
            "adopted": False,
        }

    outcomes = [outcome("create", f"custom.web-{n:04d}", "done") for n in range(creates)]
    outcomes += [outcome("update", f"broken-{n}", "failed", "400 refused `x`") for n in range(failures)]
    totals = {"created": creates, "updated": 0, "deleted": 0, "failed": failures, "skipped": 0}
    return {
        "target": "https://api.example.com/v3",
        "ok": failures == 0,
        "interrupted": False,
        "totals": {**totals, "unknown": 0, "adopted": 0},
        "journal_error": None,
        "wall_time_s": 12.5,
        "requests": creates + failures,
        "throttled": 0,
        "waited_s": 0.0,
        "outcomes": outcomes,
    }


def test_a_large_apply_fits_the_comment_names_every_failure_and_counts_what_it_leaves_out() -> None:
    summary = big_summary(3000, 2)
    text = render_summary_markdown(summary, max_chars=20_000)
    assert len(text) <= 20_000
    assert text.count("broken\\-") == 2
    assert "400 refused \\`x\\`" in text
    named = text.count("custom\\.web\\-")
    assert 100 < named < 3000
    assert f"Not named here, to fit the comment: {3000 - named} created." in text
    whole = render_summary_markdown(summary, max_chars=10**7)
    assert whole.count("custom\\.web\\-") == 3000
    assert "Not named here" not in whole


def test_the_markdown_is_the_json_summary_rendered(sandbox: ServedSandbox, tmp_path: Path) -> None:
    manifest = str(write_manifest(tmp_path))
    document = json.loads(cli(sandbox, "apply", "--auto-approve", "--format", "json", manifest).stdout)
    rendered = render_summary_markdown(document)
    for outcome in document["outcomes"]:
        assert f"(`{outcome['id']}`)" in rendered

"""A saved plan refuses an object that changed since it was made, whatever the tenant's `modified` looks like."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from egain_provision.sandbox.testing import ServedSandbox
from tests.support import FULL_SETUP, Tenant, create_full_setup, run_cli, target_env, write_manifest


@pytest.fixture(autouse=True)
def _journal_in_the_test_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Apply writes .egain/journal.jsonl under the working directory: keep it in the test's folder."""
    monkeypatch.chdir(tmp_path)


def cli(sandbox: ServedSandbox, *args: str) -> tuple[int, str]:
    result = run_cli([args[0], "--target", sandbox.base_url, *args[1:]], env=target_env(sandbox))
    return result.exit_code, result.stdout + result.stderr


def plan_a_change(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> str:
    create_full_setup(tenant)
    saved = str(tmp_path / "plan.json")
    changed = FULL_SETUP.replace("displayName: Web chat", "displayName: Web chat v2")
    code, output = cli(sandbox, "plan", str(write_manifest(tmp_path, changed)), "--out", saved)
    assert code == 0, output
    return saved


def test_without_modified_in_lists_a_saved_plan_still_refuses_a_changed_object(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    sandbox.set_options(no_modified_in_lists=True)
    saved = plan_a_change(sandbox, tenant, tmp_path)
    [action] = json.loads(Path(saved).read_text())["actions"]
    assert action["modified"] is None and action["fingerprint"].startswith("sha256:")
    tenant.edit("channels", "custom.web", displayName="Edited by someone else")
    code, output = cli(sandbox, "apply", saved)
    assert code == 1, output
    assert 'channels "custom.web"' in output and "changed since the plan was made" in output
    assert tenant.find("channels", "custom.web")["displayName"] == "Edited by someone else"


def test_without_modified_in_lists_an_untouched_saved_plan_applies(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    sandbox.set_options(no_modified_in_lists=True)
    saved = plan_a_change(sandbox, tenant, tmp_path)
    code, output = cli(sandbox, "apply", saved)
    assert code == 0, output
    assert tenant.find("channels", "custom.web")["displayName"] == "Web chat v2"


def test_a_tenant_listing_no_modified_is_named_once_per_kind_in_the_plan(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    sandbox.set_options(no_modified_in_lists=True)
    create_full_setup(tenant)
    code, output = cli(sandbox, "plan", str(write_manifest(tmp_path)), "--no-color")
    assert code == 0, output
    assert output.count("channels: the tenant lists these objects without `modified`") == 1
    assert "a change another client makes meanwhile cannot be detected" in output


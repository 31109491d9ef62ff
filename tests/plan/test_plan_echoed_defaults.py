"""Against a sandbox that echoes the spec's defaults, a manifest that omits them converges after one apply."""

from __future__ import annotations

from pathlib import Path

from egain_provision.sandbox.testing import ServedSandbox
from tests.plan.test_plan_spec_defaults import MANIFEST
from tests.support import Tenant, run_cli, target_env, write_manifest


def test_after_an_apply_a_tenant_echoing_the_spec_defaults_plans_as_no_change(tmp_path: Path) -> None:
    manifest = str(write_manifest(tmp_path, MANIFEST))
    with ServedSandbox(db_path=str(tmp_path / "echo.db"), echo_defaults=True) as sandbox:
        journal = str(tmp_path / "journal.jsonl")
        applied = run_cli(
            ["apply", "--target", sandbox.base_url, manifest, "--auto-approve", "--journal", journal],
            env=target_env(sandbox),
        )
        assert applied.exit_code == 0, applied.output
        tenant = Tenant(sandbox)
        try:
            # The tenant answers with values the manifest never wrote.
            assert tenant.find("accounts", "web-account")["chatConfigurations"]["timeout"] == 240
            assert tenant.find("channels", "custom.web")["restrictions"]["outbound"]["midChatAuth"] is False
        finally:
            tenant.close()
        args = ["plan", "--target", sandbox.base_url, manifest, "--detailed-exitcode", "--no-color"]
        planned = run_cli(args, env=target_env(sandbox))
        assert planned.exit_code == 0, planned.output

"""The benchmark's seeded tenant (benchmarks/seed.py) is what an apply of the same manifest would have made."""

from __future__ import annotations

from pathlib import Path

from benchmarks.seed import seed
from benchmarks.tenant import BENCH_ENV, write_tenant
from egain_provision.sandbox.testing import ServedSandbox
from tests.support import Tenant, run_cli, target_env

SETUPS = 3


def test_a_seeded_database_plans_as_converged_for_the_manifest_it_was_seeded_from(tmp_path: Path) -> None:
    assert seed(tmp_path / "sandbox.db", SETUPS) == SETUPS * 8
    manifest = write_tenant(tmp_path, SETUPS)
    with ServedSandbox(db_path=str(tmp_path / "sandbox.db")) as sandbox:
        arguments = ["plan", "--target", sandbox.base_url, "--detailed-exitcode", str(manifest)]
        result = run_cli(arguments, env=target_env(sandbox) | BENCH_ENV)
        assert result.exit_code == 0, result.output  # 0: nothing to change
        assert f"({SETUPS * 8} objects unchanged)" in result.stdout
        tenant = Tenant(sandbox)
        try:
            assert tenant.counts() == {
                "authentications": 3, "clientApplications": 9, "participants": 3,
                "channels": 3, "orchestrations": 3, "accounts": 3,
            }  # fmt: skip
        finally:
            tenant.close()

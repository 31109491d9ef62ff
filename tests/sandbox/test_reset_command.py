"""`egain-provision sandbox reset`: empties a sandbox's database, and refuses any other file."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from egain_provision.sandbox.testing import ServedSandbox
from tests.support import Tenant, create_full_setup, run_cli, write_manifest


def test_reset_empties_the_embedded_sandbox_so_the_next_plan_creates_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    manifest = write_manifest(tmp_path / "manifests")
    env = {"EGAIN_SANDBOX_DB": str(tmp_path / "tenant.db")}
    first = run_cli(["plan", str(manifest)], env=env)
    counted = re.search(r"(\d+) to create", first.stdout)
    assert counted is not None, first.output
    creates = int(counted.group(1))
    assert creates > 0
    assert run_cli(["apply", "--auto-approve", str(manifest)], env=env).exit_code == 0
    assert run_cli(["plan", "--detailed-exitcode", str(manifest)], env=env).exit_code == 0

    reset = run_cli(["sandbox", "reset"], env=env)

    assert reset.exit_code == 0, reset.output
    assert f"deleted {creates} objects" in reset.stderr
    replanned = run_cli(["plan", "--detailed-exitcode", str(manifest)], env=env)
    assert replanned.exit_code == 2
    assert f"{creates} to create" in replanned.stdout


def test_a_served_sandbox_sees_the_reset_of_its_file(tmp_path: Path) -> None:
    db = tmp_path / "served.db"
    with ServedSandbox(db_path=str(db)) as sandbox:
        tenant = Tenant(sandbox)
        try:
            ids = create_full_setup(tenant)
            assert sum(tenant.counts().values()) == len(ids) > 0
            assert run_cli(["sandbox", "reset", "--db", str(db)]).exit_code == 0
            assert sum(tenant.counts().values()) == 0
        finally:
            tenant.close()


def test_reset_refuses_a_file_that_is_not_a_sandbox_database(tmp_path: Path) -> None:
    other = tmp_path / "notes.db"
    other.write_text("my notes\n", encoding="utf-8")

    result = run_cli(["sandbox", "reset", "--db", str(other)])

    assert result.exit_code == 1
    assert "not a sandbox database" in result.stderr and str(other) in result.stderr
    assert "Traceback" not in result.output
    assert other.read_text(encoding="utf-8") == "my notes\n"


def test_reset_of_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "absent.db"

    result = run_cli(["sandbox", "reset", "--db", str(missing)])

    assert result.exit_code == 0
    assert "nothing to reset" in result.stderr
    assert not missing.exists()


def test_reset_refuses_another_applications_database_with_the_same_table_names(tmp_path: Path) -> None:
    other = tmp_path / "app.db"
    db = sqlite3.connect(other)
    db.executescript("CREATE TABLE objects (id TEXT, name TEXT); CREATE TABLE refs (a TEXT);")
    db.execute("INSERT INTO objects VALUES ('1', 'invoice')")
    db.commit()
    db.close()

    result = run_cli(["sandbox", "reset", "--db", str(other)])

    assert result.exit_code == 1 and "not a sandbox database" in result.stderr
    db = sqlite3.connect(other)
    assert db.execute("SELECT name FROM objects").fetchall() == [("invoice",)]
    db.close()


def test_reset_knows_a_sandbox_file_written_before_it_carried_its_application_id(tmp_path: Path) -> None:
    db_path = tmp_path / "old.db"
    with ServedSandbox(db_path=str(db_path)) as sandbox:
        tenant = Tenant(sandbox)
        try:
            create_full_setup(tenant)
        finally:
            tenant.close()
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA application_id = 0")
    db.commit()
    db.close()

    result = run_cli(["sandbox", "reset", "--db", str(db_path)])

    assert result.exit_code == 0, result.output
    db = sqlite3.connect(db_path)
    assert db.execute("SELECT count(*) FROM objects").fetchone() == (0,)
    db.close()

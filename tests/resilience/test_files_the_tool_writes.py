"""Plan files and journals land only in regular files; a full disk or a read-only directory is a clear error."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from egain_provision.errors import StorageError
from egain_provision.journal import Journal
from egain_provision.sandbox.testing import ServedSandbox
from tests.support import Tenant, run_cli, target_env, write_manifest


def plan(sandbox: ServedSandbox, tmp_path: Path, *args: str) -> tuple[int, str]:
    result = run_cli(
        ["plan", "--target", sandbox.base_url, str(write_manifest(tmp_path)), *args], env=target_env(sandbox)
    )
    return result.exit_code, result.stderr


@contextmanager
def tmpfs(path: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted at `path` (as root); the test is skipped, saying why, where mounting is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, text=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip() or 'not root'})")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.mark.parametrize("kind", ["fifo", "symlink"])
def test_plan_out_never_replaces_what_is_not_a_regular_file(
    clean_sandbox: ServedSandbox, tmp_path: Path, kind: str
) -> None:
    target = tmp_path / "plan.json"
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("keep me")
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to(elsewhere)
    code, err = plan(clean_sandbox, tmp_path, "--out", str(target))
    assert code == 1
    assert "refusing to write the plan" in err and "not a regular file" in err
    assert "Traceback" not in err and "internal error" not in err
    mode = os.lstat(target).st_mode
    assert (stat.S_ISFIFO if kind == "fifo" else stat.S_ISLNK)(mode)
    assert elsewhere.read_text() == "keep me"


def test_plan_out_on_a_full_device_is_a_clear_error_and_leaves_it_alone(
    clean_sandbox: ServedSandbox, tmp_path: Path
) -> None:
    code, err = plan(clean_sandbox, tmp_path, "--out", "/dev/full")
    assert code == 1
    assert "a character device, not a regular file" in err
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_plan_out_into_a_read_only_filesystem_is_a_clear_error(clean_sandbox: ServedSandbox, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "ro,size=64k") as read_only:
        code, err = plan(clean_sandbox, tmp_path, "--out", str(read_only / "plan.json"))
    assert code == 1
    assert "cannot write the plan: Read-only file system" in err and "internal error" not in err


def test_apply_in_a_read_only_working_directory_is_a_clear_error_before_anything_is_sent(
    sandbox: ServedSandbox, tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path)
    with tmpfs(tmp_path / "ro", "ro,size=64k") as read_only:
        result = run_cli(
            [
                "apply",
                "--auto-approve",
                "--target",
                sandbox.base_url,
                "--journal",
                str(read_only / ".egain" / "j.jsonl"),
                str(manifest),
            ],
            env=target_env(sandbox),
        )
    assert result.exit_code == 1
    assert "cannot open the journal: Read-only file system" in result.stderr
    assert "internal error" not in result.output
    tenant = Tenant(sandbox)
    try:
        assert sum(tenant.counts().values()) == 0
    finally:
        tenant.close()


def test_a_journal_on_a_full_disk_stops_mutations_and_says_so(sandbox: ServedSandbox, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path)
    with tmpfs(tmp_path / "full", "size=8k") as small:
        (small / "filler").write_bytes(b"x" * 4096)  # one page left: a few journal lines, then ENOSPC
        result = run_cli(
            [
                "apply",
                "--auto-approve",
                "--target",
                sandbox.base_url,
                "--journal",
                str(small / "j.jsonl"),
                "--parallelism",
                "1",
                str(manifest),
            ],
            env=target_env(sandbox),
        )
        journal = (small / "j.jsonl").read_bytes()
    assert result.exit_code == 1
    assert "The journal is incomplete" in result.stdout
    whole, _, torn = journal.rpartition(b"\n")
    assert torn == b"" or not torn.endswith(b"}")  # at most the last, short write is incomplete
    entries = [json.loads(line) for line in whole.split(b"\n") if line]
    intents = sum(1 for entry in entries if entry["event"] == "intent")
    tenant = Tenant(sandbox)
    try:
        assert sum(tenant.counts().values()) <= intents  # nothing went out that was not journalled first
    finally:
        tenant.close()


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_journal_path_that_is_not_a_regular_file_is_refused_before_anything_is_sent(
    sandbox: ServedSandbox, tmp_path: Path, kind: str
) -> None:
    journal = tmp_path / "journal.jsonl"
    if kind == "fifo":
        os.mkfifo(journal)
    else:
        journal = Path("/dev/null")
    result = run_cli(
        [
            "apply",
            "--auto-approve",
            "--target",
            sandbox.base_url,
            "--journal",
            str(journal),
            str(write_manifest(tmp_path)),
        ],
        env=target_env(sandbox),
    )
    assert result.exit_code == 1
    assert "not a regular file" in result.stderr and "Traceback" not in result.output
    tenant = Tenant(sandbox)
    try:
        assert sum(tenant.counts().values()) == 0
    finally:
        tenant.close()


def test_a_short_journal_write_is_a_failure_not_a_torn_entry(tmp_path: Path) -> None:
    # A 1-block filesystem is not available unprivileged; RLIMIT_FSIZE makes write() short the same way.
    script = f"""
import resource, signal, sys
sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
from egain_provision.errors import StorageError
from egain_provision.journal import Journal
journal = Journal({str(tmp_path / "j.jsonl")!r}, run_id="r", target="t")
resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))
try:
    for n in range(100):
        journal.record("intent", natural_key="x" * 40, n=n)
except StorageError as exc:
    print("refused:", exc.message)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "refused: cannot write the journal" in result.stdout
    assert "bytes were written" in result.stdout or "File too large" in result.stdout


def test_journal_refuses_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "real.jsonl").write_text("")
    (tmp_path / "link.jsonl").symlink_to(tmp_path / "real.jsonl")
    with pytest.raises(StorageError, match="a symbolic link, not a regular file"):
        Journal(tmp_path / "link.jsonl", run_id="r", target="t")


def test_an_embedded_sandbox_on_a_full_disk_is_a_clear_error(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "full", "size=64k") as small:
        (small / "filler").write_bytes(b"x" * 60 * 1024)
        result = run_cli(
            ["plan", "--target", "sandbox", str(write_manifest(tmp_path))],
            env={"EGAIN_SANDBOX_DB": str(small / "sandbox.db")},
        )
    assert result.exit_code == 1
    assert "cannot open the embedded sandbox's database" in result.stderr
    assert "disk is full" in result.stderr and "internal error" not in result.stderr

"""Shared by the resilience specifications: served sandboxes, generated tenants, applies in child processes."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from benchmarks.tenant import BENCH_ENV, setup_objects, tenant_manifest
from egain_provision.journal import read_journal
from egain_provision.sandbox.testing import ServedSandbox
from tests.support import KIND_PATHS, SECRET_ENV, SECRETS, CliResult, Tenant, run_cli, target_env

# The served sandboxes' OAuth client secret is a credential too: it must never be printed either.
CLIENT_SECRET = "cl1ent-s3cret-Wd63"
BENCH_SECRET = "bench-secret-value"
ALL_SECRETS = (*SECRETS, BENCH_SECRET, CLIENT_SECRET)
KINDS = tuple(KIND_PATHS)
# What a child process must not inherit from the developer's shell or CI (the same list run_cli clears).
CLEARED_ENV = ("CI", "EGAIN_API_URL", "EGAIN_ACCESS_TOKEN", "EGAIN_PLAN_KEY", "NO_COLOR")
PROCESS_TIMEOUT = 120.0


def served(db_path: Path, **settings: Any) -> ServedSandbox:
    """A sandbox over `db_path` (objects survive a restart on the same file) with our client secret."""
    return ServedSandbox(db_path=str(db_path), client_secret=CLIENT_SECRET, **settings)


def assert_no_secrets_in(texts: Iterable[str]) -> None:
    """No secret value (manifest secrets, the benchmark payload, the client secret) appears in any text."""
    for text in texts:
        for secret in ALL_SECRETS:
            assert secret not in text, f"secret value leaked: {secret!r}"


def natural_key(kind: str, obj: dict[str, Any]) -> str:
    key: str = obj["type"] if kind == "channels" else obj["name"]
    return key


def declared_names(document: dict[str, Any]) -> dict[str, list[str]]:
    """Every kind's natural keys as declared, sorted."""
    return {kind: sorted(natural_key(kind, obj) for obj in document.get(kind, [])) for kind in KINDS}


def live_names(tenant: Tenant) -> dict[str, list[str]]:
    """Every kind's natural keys in the tenant, sorted; a duplicate shows up twice."""
    return {kind: tenant.names(kind) for kind in KINDS}


def live_field(tenant: Tenant, field: str) -> dict[tuple[str, str], Any]:
    """One field of every live object, by (kind, natural key)."""
    return {(kind, natural_key(kind, obj)): obj.get(field) for kind in KINDS for obj in tenant.list(kind)}


def declared_field(document: dict[str, Any], field: str) -> dict[tuple[str, str], Any]:
    """One field of every declared object, by (kind, natural key)."""
    return {(kind, natural_key(kind, obj)): obj.get(field) for kind in KINDS for obj in document.get(kind, [])}


@contextmanager
def open_tenant(sandbox: ServedSandbox) -> Iterator[Tenant]:
    """Raw HTTP access to the sandbox (no retries: turn faults off first)."""
    tenant = Tenant(sandbox)
    try:
        yield tenant
    finally:
        tenant.close()


def write_document(path: Path, document: dict[str, Any]) -> Path:
    """Write a manifest document as YAML; returns its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def revised(document: dict[str, Any]) -> dict[str, Any]:
    """The same objects with a new description each: applying it over `document` updates every object."""
    changed = copy.deepcopy(document)
    for kind in KINDS:
        for obj in changed.get(kind, []):
            obj["description"] = f"revised {natural_key(kind, obj)}"
    return changed


def team_manifest(team: str, setups: int) -> dict[str, Any]:
    """Setups whose authentication and channel every team declares identically; the rest is the team's own.

    The team's client applications, participant, orchestration and account carry a `-<team>` suffix,
    and so do the references to them.
    """
    document: dict[str, Any] = {"version": 1}
    for index in range(setups):
        objects = setup_objects(index)
        own = {
            obj["name"]
            for kind, items in objects.items()
            if kind not in ("authentications", "channels")
            for obj in items
        }
        for kind, items in _renamed(objects, {name: f"{name}-{team}" for name in own}).items():
            document.setdefault(kind, []).extend(items)
    return document


def _renamed(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {key: _renamed(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [_renamed(item, names) for item in value]
    if isinstance(value, str):
        return names.get(value, value)
    return value


def generated_tenant(setups: int) -> dict[str, Any]:
    """The benchmark tenant document: `setups` x 8 objects."""
    return tenant_manifest(setups)


# --- the CLI, in process ---------------------------------------------------------------------------


def cli_env(sandbox: ServedSandbox) -> dict[str, str | None]:
    """OAuth client pointed at the sandbox, plus the benchmark tenant's secret variable."""
    return {**target_env(sandbox), **BENCH_ENV}


def apply_in_process(sandbox: ServedSandbox, manifest: Path, journal: Path, *options: str) -> CliResult:
    """`apply --auto-approve` of one manifest against a served sandbox, with an explicit journal."""
    command = ["apply", "--auto-approve", "--target", sandbox.base_url, str(manifest), "--journal", str(journal)]
    return run_cli([*command, *options], env=cli_env(sandbox))


def plan_in_process(sandbox: ServedSandbox, manifest: Path, *options: str) -> CliResult:
    """`plan --detailed-exitcode` of one manifest against a served sandbox."""
    return run_cli(
        ["plan", "--detailed-exitcode", "--target", sandbox.base_url, str(manifest), *options], env=cli_env(sandbox)
    )


# --- the CLI in a child process ----------------------------------------------------------------------


class ApplyProcess:
    """`python -m egain_provision.cli apply ...` running in a child process, its streams going to files."""

    def __init__(self, sandbox: ServedSandbox, manifest: Path, journal: Path, workdir: Path, *options: str) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.stdout_path = workdir / "stdout.txt"
        self.stderr_path = workdir / "stderr.txt"
        command = [sys.executable, "-m", "egain_provision.cli", "apply", "--auto-approve", "--target", sandbox.base_url]
        command += [str(manifest), "--journal", str(journal), *options]
        env = {key: value for key, value in os.environ.items() if key not in CLEARED_ENV}
        env.update({key: value for key, value in cli_env(sandbox).items() if value is not None})
        env.update(SECRET_ENV)
        with self.stdout_path.open("wb") as stdout, self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(command, stdout=stdout, stderr=stderr, cwd=workdir, env=env)

    def wait(self, timeout: float = PROCESS_TIMEOUT) -> int:
        """Its exit code (negative: killed by that signal); killed if it outlives `timeout`."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(f"apply did not finish within {timeout} s:\n{self.output}") from None

    def stop(self) -> None:
        """Kill it if it still runs, and reap it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(PROCESS_TIMEOUT)

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text("utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text("utf-8", errors="replace")

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@contextmanager
def applying() -> Iterator[list[ApplyProcess]]:
    """A list to start child-process applies into; after the block, whatever happened in it, each one
    still running is killed, and all are reaped."""
    processes: list[ApplyProcess] = []
    try:
        yield processes
    finally:
        for process in processes:
            process.stop()


def assert_done_or_reported_conflict(exit_code: int, stdout: str, stderr: str) -> None:
    """A run either succeeded, or failed saying so: a summary naming what failed, never a traceback."""
    assert "Traceback" not in stdout + stderr, stdout + stderr
    if exit_code == 0:
        assert "Apply complete" in stdout or "Nothing to apply" in stderr, stdout + stderr
        return
    assert exit_code == 1, stdout + stderr
    assert "Apply incomplete" in stdout, stdout + stderr
    assert "\nFailed:\n" in stdout, stdout
    assert "CONFLICT" in stderr or "FAILED" in stderr, stderr


# --- the journal --------------------------------------------------------------------------------------


def journal_lines(path: Path) -> int:
    """How many complete lines the journal holds (0 before it exists)."""
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def assert_journal_readable(path: Path) -> list[dict[str, Any]]:
    """Every complete line is a JSON object and read_journal returns them all; only an unterminated
    last line (torn by a kill) may be left out."""
    complete = path.read_bytes().split(b"\n")[:-1]
    for number, line in enumerate(complete, start=1):
        try:
            entry = json.loads(line)
        except ValueError:
            raise AssertionError(f"{path}:{number} is not JSON: {line[:200]!r}") from None
        assert isinstance(entry, dict), f"{path}:{number} is not an object"
    entries = read_journal(path)
    assert len(entries) == len(complete)
    return entries


def wait_until(condition: Any, *, timeout: float, what: str, interval: float = 0.002) -> None:
    """Poll `condition()` until true; AssertionError naming `what` when `timeout` passes first."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / interval) + 1):
        if condition():
            return
        if time.monotonic() > deadline:
            break
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")

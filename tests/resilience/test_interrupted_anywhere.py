"""Ctrl-C at any moment of plan or apply (stdout a pipe, as in a CI log): exit 130 and one line saying
what was changed, never click's bare `Aborted.`.

The moments are reached by observation, not by sleeping: a GET in the sandbox's request log (so the
tenant is being read, the next listing held in flight by the sandbox's latency), or a full stdout pipe
(so the command is blocked printing the plan).
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from egain_provision.sandbox.testing import ServedSandbox
from tests.resilience.resilience_support import (
    CLEARED_ENV,
    PROCESS_TIMEOUT,
    cli_env,
    generated_tenant,
    served,
    wait_until,
    write_document,
)
from tests.support import SECRET_ENV, run_cli

NOTHING_CHANGED = "Interrupted: nothing was changed."


def start(sandbox: ServedSandbox, workdir: Path, *args: str) -> subprocess.Popen[bytes]:
    """`egain-provision ARGS --target SANDBOX` in a child process, stdout and stderr pipes."""
    env = {key: value for key, value in os.environ.items() if key not in CLEARED_ENV}
    env.update({key: value for key, value in cli_env(sandbox).items() if value is not None})
    env.update(SECRET_ENV)
    command = [sys.executable, "-m", "egain_provision.cli", *args, "--target", sandbox.base_url]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=workdir, env=env)


def interrupted(process: subprocess.Popen[bytes]) -> tuple[int, str, str]:
    """SIGINT, then the exit code and both streams (read to the end, so a full pipe cannot hold it)."""
    process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=PROCESS_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise AssertionError("the interrupted command did not exit") from None
    return process.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def reading(sandbox: ServedSandbox) -> bool:
    return any(entry["method"] == "GET" and entry["status"] == 200 for entry in sandbox.requests())


@pytest.mark.parametrize("command", ["plan", "apply", "apply PLANFILE"])
def test_ctrl_c_while_the_tenant_is_read_changes_nothing_and_says_so(tmp_path: Path, command: str) -> None:
    manifest = write_document(tmp_path / "tenant.yaml", generated_tenant(1))
    with served(tmp_path / "sandbox.db") as sandbox:
        args = [command.split()[0], "--parallelism", "1"]
        if command == "apply PLANFILE":
            planned = run_cli(
                ["plan", "--target", sandbox.base_url, str(manifest), "--out", str(tmp_path / "p.json")],
                env=cli_env(sandbox),
            )
            assert planned.exit_code == 0, planned.stderr
            args.append(str(tmp_path / "p.json"))
        else:
            args += [str(manifest), "--auto-approve"] if command == "apply" else [str(manifest)]
        sandbox.clear_requests()
        sandbox.set_faults(latency_ms=1000)
        process = start(sandbox, tmp_path, *args)
        try:
            wait_until(lambda: reading(sandbox) or process.poll() is not None, timeout=60, what="a GET")
            code, _out, err = interrupted(process)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        writes = [entry for entry in sandbox.requests() if entry["method"] in ("POST", "PUT", "DELETE")]
    assert code == 130, err
    assert err.strip().splitlines()[-1] == NOTHING_CHANGED, err
    assert "Aborted" not in err and "Traceback" not in err
    assert [entry for entry in writes if not entry["path"].startswith("/oauth")] == []


def test_ctrl_c_while_the_plan_is_printed_into_a_full_pipe_says_nothing_was_changed(tmp_path: Path) -> None:
    # Enough objects that the plan's text is larger than a pipe holds: the writer blocks on it.
    manifest = write_document(tmp_path / "tenant.yaml", generated_tenant(40))
    with served(tmp_path / "sandbox.db") as sandbox:
        process = start(sandbox, tmp_path, "plan", str(manifest))
        assert process.stdout is not None
        capacity = fcntl.fcntl(process.stdout.fileno(), 1032)  # F_GETPIPE_SZ

        def pipe_full() -> bool:
            waiting = bytearray(4)
            fcntl.ioctl(process.stdout.fileno(), termios.FIONREAD, waiting)  # type: ignore[union-attr]
            return int.from_bytes(waiting, sys.byteorder) >= capacity or process.poll() is not None

        try:
            wait_until(pipe_full, timeout=120, what="a full stdout pipe", interval=0.01)
            assert process.poll() is None, "the plan was printed in full before the pipe filled"
            code, out, err = interrupted(process)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert len(out) >= capacity
    assert code == 130, err
    assert err.strip().splitlines()[-1] == NOTHING_CHANGED, err
    assert "Aborted" not in err and "Traceback" not in err

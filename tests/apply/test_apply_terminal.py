"""apply on a terminal: it asks before changing anything and shows a live progress bar."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from egain_provision.sandbox.testing import ServedSandbox
from tests.support import SECRET_ENV, Tenant, assert_no_secrets, target_env, write_manifest

DEADLINE = 60.0


def run_on_terminal(args: list[str], env: dict[str, str], answer: str, cwd: Path) -> tuple[int, str]:
    """Run the CLI with a pseudo-terminal as stdin/stdout/stderr; type `answer` at the prompt."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "egain_provision.cli", *args],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        cwd=cwd,
        close_fds=True,
    )
    os.close(terminal)
    screen = b""
    answered = False
    deadline = time.monotonic() + DEADLINE
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                screen += chunk
                if not answered and b"Only 'yes' will be accepted" in screen:
                    os.write(controller, answer.encode() + b"\n")
                    answered = True
            elif process.poll() is not None:
                break
        return process.wait(timeout=DEADLINE), screen.decode("utf-8", "replace")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)


def terminal_env(sandbox: ServedSandbox) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("CI", "EGAIN_API_URL", "NO_COLOR")}
    env.update(SECRET_ENV)
    env.update({key: value for key, value in target_env(sandbox).items() if value is not None})
    return env


def test_apply_on_a_terminal_asks_and_applies_on_yes(sandbox: ServedSandbox, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path)
    code, screen = run_on_terminal(
        ["apply", "--target", sandbox.base_url, str(manifest)], terminal_env(sandbox), "yes", tmp_path
    )
    assert code == 0, screen
    assert f"Apply these changes to {sandbox.base_url}?" in screen
    assert "[" + "#" * 30 + "] 9/9" in screen  # the live bar, drawn in place
    tenant = Tenant(sandbox)
    assert tenant.names("accounts") == ["order-account"]
    tenant.close()
    assert_no_secrets([screen])


def test_apply_on_a_terminal_changes_nothing_without_yes(sandbox: ServedSandbox, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path)
    code, screen = run_on_terminal(
        ["apply", "--target", sandbox.base_url, str(manifest)], terminal_env(sandbox), "no", tmp_path
    )
    assert code == 1
    assert "nothing was changed" in screen
    tenant = Tenant(sandbox)
    assert sum(tenant.counts().values()) == 0
    tenant.close()

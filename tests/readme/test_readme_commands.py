"""Every shell command the README shows runs, in order, as a reader would type it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from egain_provision.sandbox.testing import ServedSandbox

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"

# Commands the README shows that this test does not run, and where they are exercised instead.
NOT_RUN_HERE = {
    "make demo": "run by the fresh-clone check before every release of main",
    "make test": "what CI runs (.ci/run)",
    "egain-provision sandbox serve": "a server that runs until Ctrl-C; tests/sandbox/test_serve.py runs it",
    "python -m build": "tests/packaging/test_distribution.py builds the wheel and the sdist",
    "pip install": "tests/packaging/test_distribution.py installs the wheel into a fresh environment",
    "docker ": "tests/packaging/test_container_image.py, where a Docker daemon runs",
}
# The README's real-tenant placeholders, pointed at a served sandbox instead.
TENANT_PLACEHOLDERS = (
    "https://api.egain.cloud/conversation/conversationmgr/v3",
    "https://ai.egain.cloud/system/auth/TENANT-U/oauth2/token",
    "your-client-id",
    "your-client-secret",
)


def shell_lines() -> list[str]:
    """The command lines of every ```sh block, in README order (comments and blanks dropped)."""
    lines: list[str] = []
    for block in re.findall(r"^```sh\n(.*?)^```", README.read_text("utf-8"), flags=re.S | re.M):
        for line in block.splitlines():
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                lines.append(stripped)
    return lines


def runnable(line: str) -> bool:
    return not any(line.startswith(prefix) for prefix in NOT_RUN_HERE)


def test_every_command_not_run_here_is_still_in_the_readme() -> None:
    lines = shell_lines()
    assert {prefix for prefix in NOT_RUN_HERE if any(line.startswith(prefix) for line in lines)} == set(NOT_RUN_HERE)
    for command in ("validate", "plan", "apply", "export"):
        assert any(line.startswith(f"egain-provision {command} ") for line in lines), command


def test_every_readme_command_runs_in_order(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    shutil.copytree(REPO / "examples", workspace / "examples")
    lines = [line for line in shell_lines() if runnable(line)]
    with ServedSandbox(db_path=str(tmp_path / "tenant.db")) as tenant:
        script = "set -euo pipefail\n"
        for number, line in enumerate(lines):
            for placeholder, value in zip(
                TENANT_PLACEHOLDERS,
                (tenant.base_url, tenant.token_url, tenant.client_id, tenant.client_secret),
                strict=True,
            ):
                line = line.replace(placeholder, value)
            script += f"echo '>>> {number}'\n{line}\n"
        env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR") and not k.startswith("EGAIN_")}
        env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
        result = subprocess.run(
            ["bash", "-c", script], cwd=workspace, env=env, capture_output=True, text=True, timeout=300, check=False
        )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert f">>> {len(lines) - 1}" in result.stdout
    assert "Traceback" not in output
    assert "plan exit code: 2" in result.stdout  # the changed displayName
    assert "plan exit code: 3" in result.stdout  # --prune with deletes
    assert '~ displayName: "Web chat" -> "Website chat"' in result.stdout
    assert "demo-only" not in output  # the secret the tour exports
    # The tour edits a copy: the tracked examples stay as they are.
    for example in (REPO / "examples").rglob("*"):
        if example.is_file():
            copy = workspace / "examples" / example.relative_to(REPO / "examples")
            assert copy.read_bytes() == example.read_bytes(), f"the tour modified {example.relative_to(REPO)}"

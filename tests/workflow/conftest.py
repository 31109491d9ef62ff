"""The CI tests' fixtures: the action installed once for the session, as its own install step does it, with
no package index; and a served sandbox per module as the tenant."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from egain_provision.sandbox.testing import ServedSandbox
from tests.support import Tenant
from tests.workflow.ci_support import CLIENT_SECRET
from tests.workflow.harness import BASH, StepRun, action, build_wheelhouse, copy_checkout, read_outputs


@dataclass(frozen=True)
class Installed:
    """The action's checkout, the wheelhouse standing in for PyPI, and the environment its install step made."""

    action_path: Path
    wheelhouse: Path
    venv: Path
    install: StepRun
    github_path: list[str]


def run_install_step(action_path: Path, wheelhouse: Path, temp: Path, version: str = "") -> tuple[StepRun, list[str]]:
    """action.yml's install step under bash, pip held to the wheelhouse: no index, no pip configuration."""
    step = action()["runs"]["steps"][0]
    assert step["name"] == "Install egain-provision"
    script, github_path, github_output = temp / "install.sh", temp / "github_path", temp / "github_output"
    script.write_text(step["run"], encoding="utf-8")
    github_path.write_text("")
    github_output.write_text("")
    completed = subprocess.run(
        [*BASH, str(script)],
        cwd=temp,
        env={
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": str(temp),
            "RUNNER_TEMP": str(temp),
            "GITHUB_ACTION_PATH": str(action_path),
            "GITHUB_PATH": str(github_path),
            "GITHUB_OUTPUT": str(github_output),
            "VERSION": version,
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": str(wheelhouse),
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_NO_CACHE_DIR": "1",
        },
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )
    run = StepRun(step["name"], completed.returncode, completed.stdout, completed.stderr, read_outputs(github_output))
    return run, github_path.read_text("utf-8").split()


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("action")
    action_path = copy_checkout(root / "egain-provision")
    wheelhouse = build_wheelhouse(root / "wheelhouse")
    temp = root / "runner-temp"
    temp.mkdir()
    install, github_path = run_install_step(action_path, wheelhouse, temp)
    assert install.exit_code == 0, install.output
    return Installed(action_path, wheelhouse, temp / "egain-provision" / "venv", install, github_path)


def refusing_tool(installed: Installed) -> bool:
    """Whether this build's plan has exit code 4 (refused over --max-deletes, rendered in full)."""
    help_text = subprocess.run(
        [str(installed.venv / "bin" / "egain-provision"), "plan", "--help"], capture_output=True, text=True, check=True
    ).stdout
    return re.search(r"\b4\b", " ".join(help_text.split()).split("--detailed-exitcode", 1)[-1][:400]) is not None


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedSandbox]:
    """One sandbox per test module, with a client secret distinctive enough to grep for."""
    db = tmp_path_factory.mktemp("ci-sandbox") / "sandbox.db"
    with ServedSandbox(db_path=str(db), client_secret=CLIENT_SECRET) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(served: ServedSandbox) -> ServedSandbox:
    """The module's sandbox emptied for this test."""
    served.reset()
    return served


@pytest.fixture
def tenant(sandbox: ServedSandbox) -> Iterator[Tenant]:
    """Raw HTTP access to the test's sandbox, behind the tool's back."""
    client = Tenant(sandbox)
    yield client
    client.close()

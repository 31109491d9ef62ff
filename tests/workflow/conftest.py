"""The CI tests' fixtures: the action installed once for the session, as its own install step does it, with
no package index; and a served sandbox per module as the tenant."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from egain_provision.sandbox.testing import ServedSandbox
from tests.support import Tenant
from tests.workflow.ci_support import CLIENT_SECRET
from tests.workflow.harness import Runner, StepRun, action, build_wheelhouse, copy_checkout, evaluate


@dataclass(frozen=True)
class Installed:
    """The action's checkout, the wheelhouse standing in for PyPI, and the environment its install step made."""

    action_path: Path
    wheelhouse: Path
    venv: Path
    install: StepRun
    github_path: list[str]


def run_install_step(runner: Runner, wheelhouse: Path, version: str = "") -> tuple[StepRun, list[str]]:
    """action.yml's install step as `runner` runs it, pip held to the wheelhouse (no index, no pip
    configuration); the step's run and the directories it added to PATH."""
    step = action()["runs"]["steps"][0]
    assert step["name"] == "Install egain-provision"
    offline = {
        "GITHUB_ACTION_PATH": str(runner.action_path),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheelhouse),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_CACHE_DIR": "1",
    }
    inputs = {"version": version}

    def lookup(expression: str) -> str:
        return runner.lookup(expression, inputs)

    env = {name: evaluate(value, lookup) for name, value in step["env"].items()}
    before = len(runner.path)
    run = runner.execute(step["name"], evaluate(step["run"], lookup), {**env, **offline}, timeout=600)
    return run, runner.path[: len(runner.path) - before]


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("action")
    action_path = copy_checkout(root / "egain-provision")
    wheelhouse = build_wheelhouse(root / "wheelhouse")
    runner = Runner(root / "runner", {}, None, action_path=action_path)
    install, github_path = run_install_step(runner, wheelhouse)
    assert install.exit_code == 0, install.output
    return Installed(action_path, wheelhouse, runner.temp / "egain-provision" / "venv", install, github_path)


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

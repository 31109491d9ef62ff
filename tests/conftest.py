"""Shared fixtures: sandboxes served over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from egain_provision.sandbox.testing import ServedSandbox
from egain_provision.sandbox.variants import Variants
from tests.support import Tenant

# No property test has a wall-clock deadline: CI must not depend on how loaded the machine is.
settings.register_profile("egain", deadline=None)
settings.load_profile("egain")

CHECKOUT_STATE = Path(__file__).resolve().parents[1] / ".egain"


def _state_files() -> dict[str, tuple[int, int]]:
    if not CHECKOUT_STATE.is_dir():
        return {}
    return {path.name: (path.stat().st_size, path.stat().st_mtime_ns) for path in CHECKOUT_STATE.iterdir()}


@pytest.fixture(autouse=True)
def _nothing_written_into_the_checkout() -> Iterator[None]:
    """A test's commands keep their journal and sandbox in its temp directory, never in the checkout's .egain/."""
    before = _state_files()
    yield
    after = _state_files()
    assert after == before, f"the test wrote into {CHECKOUT_STATE}: {sorted(set(after.items()) - set(before.items()))}"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[ServedSandbox]:
    """A fresh sandbox with its own database, served for one test."""
    with ServedSandbox(db_path=str(tmp_path / "sandbox.db")) as served:
        yield served


@pytest.fixture
def tenant(sandbox: ServedSandbox) -> Iterator[Tenant]:
    """Raw HTTP access to `sandbox`, for arranging and inspecting the tenant behind the tool's back."""
    client = Tenant(sandbox)
    yield client
    client.close()


@pytest.fixture(scope="session")
def session_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedSandbox]:
    """One sandbox served for the whole session (cheaper than `sandbox`); use it via `clean_sandbox`."""
    with ServedSandbox(db_path=str(tmp_path_factory.mktemp("session-sandbox") / "sandbox.db")) as served:
        yield served


@pytest.fixture
def clean_sandbox(session_sandbox: ServedSandbox) -> ServedSandbox:
    """The session sandbox emptied: no objects, no faults, default options and variants, an empty request log."""
    session_sandbox.reset()
    session_sandbox.clear_faults()
    session_sandbox.set_options(echo_defaults=False, **Variants().as_json())
    session_sandbox.clear_requests()
    return session_sandbox

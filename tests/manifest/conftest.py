"""Fixtures for the manifest specifications."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.manifest.manifest_support import EXAMPLE_ENV, Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """An empty directory for manifests."""
    return Workspace(tmp_path)


@pytest.fixture
def example_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment variables the examples read, set for the CLI."""
    for name, value in EXAMPLE_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def no_hang() -> Iterator[None]:
    """Turn a read that blocks (a FIFO without a writer) into a failure instead of a test run that never ends."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError("blocked reading a file")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(10)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)

"""Fixtures for the manifest specifications."""

from __future__ import annotations

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

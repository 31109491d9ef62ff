"""Fixtures for the sandbox's own specifications."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from egain_provision.sandbox.testing import ServedSandbox
from tests.sandbox.examples import Graph, create_graph


@pytest.fixture
def api(clean_sandbox: ServedSandbox) -> Iterator[httpx.Client]:
    """A client on the (emptied) session sandbox's API base, with a manage-scope token."""
    with clean_sandbox.client() as client:
        yield client


@pytest.fixture
def graph(api: httpx.Client) -> Graph:
    """One documented object of every kind."""
    return create_graph(api)

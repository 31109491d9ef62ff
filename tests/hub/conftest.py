"""A sandbox whose hub gives callbacks half a second (not 5 s), emptied for each test, and a loopback bot."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from egain_provision.sandbox.testing import ServedSandbox
from tests.hub.support import LoopbackBot
from tests.support import Tenant

CALLBACK_LIMIT = 0.5


@pytest.fixture(scope="module")
def hub_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedSandbox]:
    db = tmp_path_factory.mktemp("hub") / "sandbox.db"
    with ServedSandbox(db_path=str(db), callback_timeout=CALLBACK_LIMIT) as served:
        yield served


@pytest.fixture
def hub(hub_sandbox: ServedSandbox) -> ServedSandbox:
    """The module's sandbox with no objects, conversations, deliveries or offline agents."""
    hub_sandbox.reset()
    return hub_sandbox


@pytest.fixture
def tenant(hub: ServedSandbox) -> Iterator[Tenant]:
    client = Tenant(hub)
    yield client
    client.close()


@pytest.fixture
def api(hub: ServedSandbox) -> Iterator[httpx.Client]:
    """The Conversation API with the sandbox client's token (.default: interaction scopes included)."""
    with hub.client() as client:
        yield client


@pytest.fixture
def bot() -> Iterator[LoopbackBot]:
    with LoopbackBot() as served:
        yield served

"""180 orchestrations listed the ways a tenant may page them: the tool reads all of them, or stops before a write.

Orchestration names may repeat, so a list read short would plan (and apply) a duplicate of an
object it missed: the manifest declares the first and the last one created.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from egain_provision.sandbox.testing import ServedSandbox
from egain_provision.sandbox.variants import Variants
from tests.realtenant.realtenant_support import BASE_PATH, ROLE, cli, live_names, manifest, writes
from tests.support import Tenant

COUNT = 180
DECLARED = f"""\
version: 1
clientApplications:
  - name: agent-desk
    roles:
{ROLE}orchestrations:
"""


def _orchestration(name: str) -> str:
    return f"  - name: {name}\n    applications:\n      agentConfiguration:\n        agents: [agent-desk]\n"


PAGINGS: dict[str, dict[str, Any]] = {
    "fixed-25": {"paging": "fixed:25"},
    "cap-75": {"paging": "fixed:75"},
    "pages-of-25-no-info": {"paging": "none"},
    "refuse-params": {"paging": "refuse-params"},
    "exact-pages-no-info-empty-404": {"paging": "fixed:20", "omit_pagination_info": True, "empty_list": 404},
    "fixed-25-plural-204": {"paging": "fixed:25", "list_key": "plural", "empty_list": 204},
}


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedSandbox]:
    """One sandbox holding an agent application and 180 orchestrations using it."""
    with ServedSandbox(db_path=str(tmp_path_factory.mktemp("crowded") / "sandbox.db")) as served:
        tenant = Tenant(served)
        role = {"name": "custom_agent", "version": "v3", "callback": "https://agents.example.com/egain/callback"}
        app = tenant.create(
            "clientApplications", {"name": "agent-desk", "roles": [{**role, "notificationEmail": "ops@example.com"}]}
        )
        for number in range(COUNT):
            body = {"name": f"o{number:03d}", "applications": {"agentConfiguration": {"agents": [{"id": app}]}}}
            tenant.create("orchestrations", body)
        tenant.close()
        yield served


@pytest.mark.parametrize("paging", PAGINGS.values(), ids=PAGINGS.keys())
def test_all_180_are_read_and_one_more_is_created_once(
    crowded: ServedSandbox, tmp_path: Path, paging: dict[str, Any]
) -> None:
    crowded.set_options(**{**Variants().as_json(), **paging})
    crowded.clear_requests()
    known = DECLARED + _orchestration("o000") + _orchestration(f"o{COUNT - 1:03d}")
    planned = cli(crowded, "plan", manifest(tmp_path, known, "known"), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert writes(crowded) == []

    name = "new-" + "-".join(str(value) for value in paging.values()).replace(":", "")
    grown = manifest(tmp_path, known + _orchestration(name), "grown")
    applied = cli(crowded, "apply", grown)
    assert applied.exit_code == 0, applied.output
    assert writes(crowded) == [f"POST {BASE_PATH}/orchestrations"]
    replanned = cli(crowded, "plan", grown, "--detailed-exitcode")
    assert replanned.exit_code == 0, replanned.output
    names = live_names(crowded)["orchestrations"]
    assert (names.count(name), len([found for found in names if found.startswith("o")])) == (1, COUNT)

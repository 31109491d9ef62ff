"""Decisions only on reads that agree: another client writing between our page reads never makes a duplicate.

The tenant pages orchestrations (whose names may repeat) five at a time; a second client writes
to it between two page reads of ours, the way another tool or person would at the wrong moment.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from egain_provision.client import Credentials, EgainClient
from egain_provision.context import RunContext
from egain_provision.kinds import KINDS_BY_NAME, Kind
from egain_provision.listing import IncompleteRead, OwnWrites, Page, read_kind
from egain_provision.planner import PlanOptions
from egain_provision.sandbox.testing import ServedSandbox
from egain_provision.targets import url_target
from egain_provision.workflow import compute_plan, execute, load_valid_manifests, prepare_saved_plan
from tests.realtenant.realtenant_support import BASE_PATH, ROLE, SMALL, cli, manifest, writes
from tests.realtenant.stand_ins import STAND_INS, stand_in
from tests.resilience.resilience_support import (
    apply_in_process,
    declared_names,
    generated_tenant,
    live_names,
    open_tenant,
    served,
    write_document,
)
from tests.support import Tenant

ORCHESTRATIONS = KINDS_BY_NAME["orchestrations"]
LISTED = [f"o{number:02d}" for number in range(12)]


def _orchestration_line(name: str, agent: str = "agent-desk") -> str:
    return f"  - name: {name}\n    applications:\n      agentConfiguration:\n        agents: [{agent}]\n"


DECLARED = f"""\
version: 1
clientApplications:
  - name: agent-desk
    roles:
{ROLE}orchestrations:
""" + "".join(_orchestration_line(name) for name in [*LISTED, "o-new"])
MORE_ORCHESTRATIONS = "".join(_orchestration_line(name, "spare-desk") for name in ("agents-two", "agents-three"))
# Another client's write, made between two of our page reads of one whole read.
Churn = Callable[[Tenant, int], None]


@pytest.fixture
def paged(tmp_path: Path) -> Iterator[tuple[ServedSandbox, Tenant]]:
    """Pages of 5: `x-extra` and `x-spare` (not declared), then the declared orchestrations o00..o11.

    The sandbox's churn replaces the first object of the pages read by a copy at the end: first x-extra, then x-spare.
    """
    with ServedSandbox(db_path=str(tmp_path / "sandbox.db"), paging="fixed:5") as served:
        tenant = Tenant(served)
        app = tenant.create("clientApplications", {"name": "agent-desk", "roles": [_role()]})
        for name in ["x-extra", "x-spare", *LISTED]:
            tenant.create("orchestrations", _orchestration(name, app))
        try:
            yield served, tenant
        finally:
            tenant.close()


def _role() -> dict[str, Any]:
    return {
        "name": "custom_agent",
        "version": "v3",
        "callback": "https://agents.example.com/egain/callback",
        "notificationEmail": "ops@example.com",
    }


def _orchestration(name: str, app: str) -> dict[str, Any]:
    return {"name": name, "applications": {"agentConfiguration": {"agents": [{"id": app}]}}}


class ChurnedClient(EgainClient):
    """Our client, with another client's write to the tenant after page 1 of each of the first `reads` whole reads."""

    def __init__(self, sandbox: ServedSandbox, tenant: Tenant, churn: Churn, reads: int) -> None:
        super().__init__(sandbox.base_url, Credentials(access_token=sandbox.token()))
        self.tenant, self.churn, self.reads, self.whole_reads = tenant, churn, reads, 0

    async def list_page(self, kind: Kind, pagenum: int | None) -> Page:
        page = await super().list_page(kind, pagenum)
        if kind is ORCHESTRATIONS and pagenum == 1:
            self.whole_reads += 1
            if self.whole_reads <= self.reads:
                await asyncio.to_thread(self.churn, self.tenant, self.whole_reads)
        return page


def swap_one(tenant: Tenant, read: int) -> None:
    """Delete the first listed orchestration and create another: the count stays, the pages shift by one."""
    first = tenant.http.get("/orchestrations", params={"$pagenum": 1}).json()["orchestration"][0]
    assert tenant.http.delete(f"/orchestrations/{first['id']}").status_code in (200, 204)
    tenant.create("orchestrations", _orchestration(f"x-other-{read}", _app(tenant)))


def add_one(tenant: Tenant, read: int) -> None:
    """Create one orchestration more: the count moves while the list is read."""
    tenant.create("orchestrations", _orchestration(f"x-added-{read}", _app(tenant)))


def _app(tenant: Tenant) -> str:
    app_id: str = tenant.find("clientApplications", "agent-desk")["id"]
    return app_id


def _context(sandbox: ServedSandbox, client: EgainClient, tmp_path: Path) -> RunContext:
    target = url_target(sandbox.base_url, {"EGAIN_ACCESS_TOKEN": sandbox.token()})
    context = RunContext(target, journal_path=str(tmp_path / "journal.jsonl"))
    object.__setattr__(context, "held", client)  # the churned client serves every stage, as `one_client` does
    return context


def test_a_swap_between_page_reads_plans_and_applies_no_create_of_a_live_object(
    paged: tuple[ServedSandbox, Tenant], tmp_path: Path
) -> None:
    sandbox, tenant = paged
    manifest_set = load_valid_manifests([str(manifest(tmp_path, DECLARED))], {})

    async def plan_and_apply() -> tuple[list[str], list[str]]:
        async with ChurnedClient(sandbox, tenant, swap_one, reads=1) as client:
            context = _context(sandbox, client, tmp_path)
            plan = await compute_plan(manifest_set, context, PlanOptions())
            creates = [action.natural_key for action in plan.actions if action.action == "create"]
            executable = await prepare_saved_plan(plan, context)
            result = await execute(executable, context, lambda outcome: None)
            return creates, [outcome.status for outcome in result.outcomes]

    creates, statuses = asyncio.run(plan_and_apply())
    # The first read missed o04 (shifted onto page 1 after it was read) yet held the count: only o-new is new.
    assert creates == ["o-new"]
    assert statuses == ["done"]
    sandbox.set_options(paging="honour")  # our raw reader takes a short page for the last one
    names = tenant.names("orchestrations")
    assert sorted(set(names)) == names, names  # no name twice
    assert set(names) == {*LISTED, "o-new", "x-spare", "x-other-1"}


def test_a_tenant_that_changes_on_every_read_stops_the_plan_before_any_write(
    paged: tuple[ServedSandbox, Tenant], tmp_path: Path
) -> None:
    sandbox, tenant = paged
    manifest_set = load_valid_manifests([str(manifest(tmp_path, DECLARED))], {})

    async def plan() -> None:
        async with ChurnedClient(sandbox, tenant, swap_one, reads=10) as client:
            await compute_plan(manifest_set, _context(sandbox, client, tmp_path), PlanOptions())

    with pytest.raises(IncompleteRead, match="3 whole reads of the Orchestration list found different objects"):
        asyncio.run(plan())
    sandbox.set_options(paging="honour")
    assert "o-new" not in tenant.names("orchestrations")


def test_a_converged_tenant_is_read_once(paged: tuple[ServedSandbox, Tenant], tmp_path: Path) -> None:
    sandbox, tenant = paged
    converged = DECLARED.replace("  - name: o-new\n", "  - name: x-extra\n") + _orchestration_line("x-spare")
    manifest_set = load_valid_manifests([str(manifest(tmp_path, converged))], {})

    async def plan() -> int:
        client = ChurnedClient(sandbox, tenant, lambda tenant, read: None, reads=0)
        async with client:
            made = await compute_plan(manifest_set, _context(sandbox, client, tmp_path), PlanOptions())
            assert not made.actions
            return client.whole_reads

    assert asyncio.run(plan()) == 1


def _read(sandbox: ServedSandbox, tenant: Tenant, churn: Churn, reads: int) -> tuple[list[str], int]:
    async def go() -> tuple[list[str], int]:
        client = ChurnedClient(sandbox, tenant, churn, reads)
        async with client:
            listing = await read_kind(ORCHESTRATIONS, client.list_page)
            return sorted(item["name"] for item in listing.items), client.whole_reads

    return asyncio.run(go())


def test_a_count_that_moves_during_a_read_is_read_again_whole(paged: tuple[ServedSandbox, Tenant]) -> None:
    sandbox, tenant = paged
    names, reads = _read(sandbox, tenant, add_one, reads=1)
    assert reads == 2
    assert names == sorted(["x-extra", "x-spare", *LISTED, "x-added-1"])


def test_a_count_that_keeps_moving_stops_the_read_saying_the_tenant_kept_changing(
    paged: tuple[ServedSandbox, Tenant],
) -> None:
    sandbox, tenant = paged
    with pytest.raises(IncompleteRead, match="the tenant kept changing its Orchestration list while it was read"):
        _read(sandbox, tenant, add_one, reads=3)


def test_a_lookup_takes_the_runs_own_create_during_its_read_for_what_it_is(paged: tuple[ServedSandbox, Tenant]) -> None:
    sandbox, tenant = paged
    own = OwnWrites()

    def our_create(tenant: Tenant, read: int) -> None:
        with own.writing(ORCHESTRATIONS):
            add_one(tenant, read)

    async def go() -> tuple[list[str], int]:
        client = ChurnedClient(sandbox, tenant, our_create, reads=1)
        async with client:
            listing = await read_kind(ORCHESTRATIONS, client.list_page, own)
            return sorted(item["name"] for item in listing.items), client.whole_reads

    names, reads = asyncio.run(go())
    # Read once: the count moved by exactly the run's own create, which the listing already shows.
    assert reads == 1
    assert names == sorted(["x-extra", "x-spare", *LISTED, "x-added-1"])


LOSSY = {"lost_answer_rate": 0.08, "paging": "fixed:10", "seed": 3}


def test_lost_creates_are_looked_up_while_the_runs_own_creates_change_the_list(tmp_path: Path) -> None:
    document = generated_tenant(10)
    path = write_document(tmp_path / "tenant.yaml", document)
    with served(tmp_path / "sandbox.db", **LOSSY) as sandbox:
        applied = apply_in_process(sandbox, path, tmp_path / "journal.jsonl", "--read-after-write", "0.5")
        lost = [entry for entry in sandbox.requests() if entry["fault"] == "lost_answer"]
        sandbox.clear_faults()
        sandbox.set_options(paging="honour")
        with open_tenant(sandbox) as live:
            assert live_names(live) == declared_names(document)
    assert lost, "no answer was lost: the test did not test anything"
    assert "cannot be read whole" not in applied.output
    assert applied.exit_code == 0, applied.output


# --- the sandbox's churn stand-in: another client deletes and creates before one of our page reads ---


def _planned_creates(sandbox: ServedSandbox, path: Path) -> list[str]:
    out = path.parent / "plan.json"
    planned = cli(sandbox, "plan", path, "--out", str(out))
    assert planned.exit_code == 0, planned.output
    return [action["natural_key"] for action in json.loads(out.read_text())["actions"] if action["action"] == "create"]


def _posts(sandbox: ServedSandbox) -> list[str]:
    return [write.removeprefix(f"POST {BASE_PATH}") for write in writes(sandbox) if write.startswith("POST ")]


def test_churn_between_page_reads_plans_and_applies_no_create_of_a_live_object(
    paged: tuple[ServedSandbox, Tenant], tmp_path: Path
) -> None:
    sandbox, tenant = paged
    path = manifest(tmp_path, DECLARED)
    sandbox.set_options(churn_between_pages=1)
    # The churn replaces x-extra (page 1) by a copy at the end: the pages shift and o04 goes unseen once.
    assert _planned_creates(sandbox, path) == ["o-new"]
    assert sandbox.set_options()["churn_between_pages"] == 0, "the plan's reads met no churn"
    sandbox.set_options(churn_between_pages=1)
    sandbox.clear_requests()
    applied = cli(sandbox, "apply", path)
    assert applied.exit_code == 0, applied.output
    assert sandbox.set_options()["churn_between_pages"] == 0, "the apply's reads met no churn"
    assert _posts(sandbox) == ["/orchestrations"]
    sandbox.set_options(paging="honour")
    names = tenant.names("orchestrations")
    assert sorted(set(names)) == names, names
    assert set(LISTED) | {"o-new"} <= set(names)


def test_a_tenant_that_churns_at_every_page_read_stops_plan_and_apply_before_any_write(
    paged: tuple[ServedSandbox, Tenant], tmp_path: Path
) -> None:
    sandbox, _ = paged
    path = manifest(tmp_path, DECLARED)
    sandbox.set_options(churn_between_pages=1000)
    planned = cli(sandbox, "plan", path)
    assert planned.exit_code == 1, planned.output
    assert "another client is changing it while it is read" in planned.output
    sandbox.clear_requests()
    applied = cli(sandbox, "apply", path)
    assert applied.exit_code == 1, applied.output
    assert writes(sandbox) == []


def test_the_churn_stand_in_is_refused_loudly_or_converged_never_duplicated(tmp_path: Path) -> None:
    path = manifest(tmp_path, SMALL + MORE_ORCHESTRATIONS)
    with stand_in(tmp_path, "churn", churn_between_pages=0) as sandbox:
        arranged = cli(sandbox, "apply", manifest(tmp_path, SMALL + MORE_ORCHESTRATIONS, name="arranged"))
        assert arranged.exit_code == 0, arranged.output
        sandbox.set_options(**STAND_INS["churn"])
        outcomes = []
        for _ in range(4):  # each refused run uses up churns: the stand-in's are counted
            sandbox.clear_requests()
            applied = cli(sandbox, "apply", path)
            outcomes.append(applied.exit_code)
            if applied.exit_code == 0:
                break
            assert "another client is changing it while it is read" in applied.output, applied.output
            assert writes(sandbox) == []
        sandbox.set_options(paging="honour")
        with open_tenant(sandbox) as tenant:
            names = tenant.names("orchestrations")
    assert outcomes[-1] == 0, outcomes
    assert sorted(set(names)) == names, names
    assert {"agents-only", "agents-two", "agents-three"} <= set(names)

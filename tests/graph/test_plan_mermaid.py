"""`plan_mermaid`: the part of the routing a plan touches, for the Markdown plan, within its budget.

The plan is computed by `plan --out` against a fresh embedded sandbox that holds FULL_SETUP and
one more account; the manifests then add an agent desk and an account, point the escalation at
the new desk and drop the extra account (`--prune`): two creates, one update, one delete.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from egain_provision.graph import MERMAID_MAX_EDGES, STYLES, plan_mermaid
from egain_provision.model import Ref
from egain_provision.plan import Action, Plan
from tests.graph.diagrams import Diagram, parse_mermaid
from tests.support import FULL_SETUP, assert_no_secrets, run_cli, write_manifest

OLD_ACCOUNT = """\
  - name: old-account
    address: "555"
    channel: custom.web
    chatConfigurations: {orchestration: bot-first, entryPoint: {id: "1002"}}
"""
NIGHT_DESK = """\
  - name: night-desk
    roles:
      - name: custom_agent
        version: v3
        callback: https://night.example.com/egain/callback
        notificationEmail: ops@example.com
        authentication: agent-basic
"""
NIGHT_ACCOUNT = """\
  - name: night-account
    address: "777"
    channel: custom.web
    chatConfigurations: {orchestration: bot-first, entryPoint: {id: "1003"}}
"""
CHANGED = (
    FULL_SETUP.replace("onEscalation: {agent: agent-desk}", "onEscalation: {agent: night-desk}").replace(
        "participants:\n", NIGHT_DESK + "participants:\n"
    )
    + NIGHT_ACCOUNT
)
MARKS = {action: STYLES[action].mark for action in ("create", "update", "delete")}


def cli(db: Path, *args: str) -> str:
    """Run the CLI on the embedded sandbox in `db`; apply's journal goes beside it, not under the working directory."""
    if args[0] == "apply":
        args = (*args, "--journal", str(db.with_name("journal.jsonl")))
    result = run_cli([*args], env={"EGAIN_SANDBOX_DB": str(db)})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, Path]:
    """The plan of CHANGED against a tenant holding FULL_SETUP and old-account, and the sandbox's database."""
    root = tmp_path_factory.mktemp("plan-mermaid")
    db = root / "sandbox.db"
    before = write_manifest(root / "v1", FULL_SETUP + OLD_ACCOUNT)
    cli(db, "apply", "--target", "sandbox", "--auto-approve", str(before))
    saved = root / "plan.json"
    cli(db, "plan", "--target", "sandbox", "--prune", "--out", str(saved), str(write_manifest(root / "v2", CHANGED)))
    return Plan.from_json(json.loads(saved.read_text())), db


def diagram_of(block: str) -> Diagram:
    assert block.startswith("```mermaid\n") and block.endswith("\n```\n")
    return parse_mermaid(block.removeprefix("```mermaid\n").removesuffix("```\n"))


def name_of(text: str) -> str:
    for mark in MARKS.values():
        text = text.removeprefix(mark)
    return text


def test_the_plan_is_two_creates_an_update_and_a_delete(planned: tuple[Plan, Path]) -> None:
    plan, _ = planned
    assert sorted((a.action, a.natural_key) for a in plan.actions) == [
        ("create", "night-account"),
        ("create", "night-desk"),
        ("delete", "old-account"),
        ("update", "bot-first"),
    ]


def test_each_changed_object_is_one_node_marked_by_its_action(planned: tuple[Plan, Path]) -> None:
    plan, _ = planned
    block = plan_mermaid(plan, 60_000)
    assert block is not None
    nodes = diagram_of(block).routing_nodes().values()
    changed = sorted((cls, text) for text, cls, _ in nodes if cls in MARKS)
    assert changed == sorted((a.action, MARKS[a.action] + a.natural_key) for a in plan.actions)
    assert ("delete", "accounts") in {(cls, group) for _, cls, group in nodes}


def test_edges_come_from_the_bodies_with_live_references_named_where_the_plan_knows_them(
    planned: tuple[Plan, Path],
) -> None:
    plan, _ = planned
    block = plan_mermaid(plan, 60_000)
    assert block is not None
    diagram = diagram_of(block)
    edges = {(name_of(source), label, name_of(target)) for source, label, target in diagram.edge_texts()}
    assert {
        ("night-account", "channel", "custom.web"),
        ("night-account", "orchestration", "bot-first"),
        ("bot-first", "escalates to", "night-desk"),
        ("night-desk", "custom_agent calls back with", "agent-basic"),
    } <= edges
    classes = {name_of(text): cls for text, cls, _ in diagram.routing_nodes().values()}
    assert classes["custom.web"] == classes["agent-basic"] == "unchanged"
    # The update's unchanged references are ids only; the plan holds no name for them.
    by_id = [text for text, cls, _ in diagram.routing_nodes().values() if cls == "by_id"]
    assert len(by_id) == 3 and all(text.startswith("id ") for text in by_id)
    assert not any("old-account" in (source, target) for source, _, target in edges)  # a delete has no body
    assert_no_secrets([block])


def test_the_legend_names_exactly_the_styles_drawn(planned: tuple[Plan, Path]) -> None:
    plan, _ = planned
    block = plan_mermaid(plan, 60_000)
    assert block is not None
    diagram = diagram_of(block)
    legend = [(cls, text) for text, cls, group in diagram.nodes.values() if group == "legend"]
    drawn = {cls for _, cls, _ in diagram.routing_nodes().values()}
    assert [cls for cls, _ in legend] == [role for role in STYLES if role in drawn]
    assert ("update", MARKS["update"] + "updated") in legend


def test_a_diagram_over_the_budget_is_left_out_whole(planned: tuple[Plan, Path]) -> None:
    plan, _ = planned
    block = plan_mermaid(plan, 60_000)
    assert block is not None
    assert plan_mermaid(plan, len(block)) == block
    assert plan_mermaid(plan, len(block) - 1) is None


def test_a_plan_without_changes_draws_nothing(planned: tuple[Plan, Path], tmp_path: Path) -> None:
    _, db = planned
    manifest = str(write_manifest(tmp_path, CHANGED))
    cli(db, "apply", "--target", "sandbox", "--auto-approve", "--prune", manifest)
    saved = tmp_path / "plan.json"
    cli(db, "plan", "--target", "sandbox", "--prune", "--out", str(saved), manifest)
    assert plan_mermaid(Plan.from_json(json.loads(saved.read_text())), 60_000) is None


def test_more_edges_than_mermaid_draws_is_left_out_whatever_the_budget() -> None:
    def account(index: int) -> Action:
        body = {"name": f"a{index}", "channel": Ref("channels", "custom.web")}
        return Action("create", "accounts", f"a{index}", body=body)

    fits = Plan("t", "t", actions=[account(index) for index in range(MERMAID_MAX_EDGES)])
    block = plan_mermaid(fits, 10**6)
    assert block is not None and len(diagram_of(block).edges) == MERMAID_MAX_EDGES
    over = Plan("t", "t", actions=[account(index) for index in range(MERMAID_MAX_EDGES + 1)])
    assert plan_mermaid(over, 10**6) is None

"""`plan_mermaid`: the part of the routing a plan touches, for the Markdown plan, within its budget.

The plan is computed by `plan --out` against a fresh embedded sandbox that holds FULL_SETUP and
one more account; the manifests then add an agent desk and an account, point the escalation at
the new desk and drop the extra account (`--prune`): two creates, one update, one delete.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from egain_provision.graph import MERMAID_MAX_EDGES, NEIGHBOURHOOD_NOTE, STYLES, plan_mermaid
from egain_provision.manifest import load_manifests
from egain_provision.model import Ref
from egain_provision.plan import Action, Plan
from egain_provision.render.markdown import DIAGRAM_MAX_CHARS, Layout, render_markdown
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
    # The update's unchanged references are named too: the plan carries the names of what it leaves unchanged.
    assert [text for text, cls, _ in diagram.routing_nodes().values() if cls == "by_id" or text.startswith("id ")] == []
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


def test_every_declared_object_is_drawn_by_name_changed_or_not(planned: tuple[Plan, Path], tmp_path: Path) -> None:
    plan, _ = planned
    block = plan_mermaid(plan, 60_000)
    assert block is not None
    drawn = {(group, name_of(text)) for text, _, group in diagram_of(block).routing_nodes().values()}
    declared = load_manifests([write_manifest(tmp_path, CHANGED)]).objects
    assert {(obj.kind, obj.natural_key) for obj in declared} | {("accounts", "old-account")} == drawn


def test_a_diagram_over_the_budget_draws_the_neighbourhood_of_what_changed(planned: tuple[Plan, Path]) -> None:
    plan, _ = planned
    block = plan_mermaid(plan, 60_000)
    assert block is not None
    assert plan_mermaid(plan, len(block)) == block
    near = plan_mermaid(plan, len(block) - 1)
    assert near is not None and near.startswith(NEIGHBOURHOOD_NOTE)
    whole, part = diagram_of(block), diagram_of(near.removeprefix(NEIGHBOURHOOD_NOTE))
    changed = {text for text, cls, _ in whole.routing_nodes().values() if cls in MARKS}
    neighbours = {
        end for source, _, target in whole.edge_texts() if {source, target} & changed for end in (source, target)
    }
    assert {text for text, _, _ in part.routing_nodes().values()} == changed | neighbours
    assert len(part.routing_nodes()) < len(whole.routing_nodes())
    assert set(part.edge_texts()) == {edge for edge in whole.edge_texts() if {edge[0], edge[2]} & changed}
    assert plan_mermaid(plan, len(near) - 1) is None


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


def mermaid_fences(markdown: str) -> list[str]:
    """The ```mermaid blocks of a Markdown plan, as markdown-it reads them."""
    tokens = MarkdownIt().parse(markdown)
    return [token.content for token in tokens if token.type == "fence" and token.info == "mermaid"]


def test_the_markdown_plan_draws_the_routing_it_touches_before_the_changes(planned: tuple[Plan, Path]) -> None:
    plan, _ = planned
    markdown = render_markdown(plan)
    fences = mermaid_fences(markdown)
    assert len(fences) == 1
    block = plan_mermaid(plan, DIAGRAM_MAX_CHARS)
    assert block is not None and diagram_of(block) == parse_mermaid(fences[0])
    heading, fence, changes = (markdown.index(text) for text in ("#### Routing this", "```mermaid", "#### Changes"))
    assert heading < fence < changes
    assert_no_secrets([markdown])


def test_a_markdown_plan_too_large_to_draw_says_so_instead(planned: tuple[Plan, Path]) -> None:
    plan, _ = planned
    creates = [
        Action("create", "channels", f"custom.c{index}", body={"type": f"custom.c{index}"}) for index in range(600)
    ]
    many = Plan(plan.target, plan.target_identity, actions=[*plan.actions, *creates])
    assert plan_mermaid(many, DIAGRAM_MAX_CHARS) is None
    markdown = render_markdown(many)
    assert mermaid_fences(markdown) == []
    assert "Too large to draw in this comment; `egain-provision graph PATHS`" in markdown


def test_the_diagram_gives_way_to_the_names_when_both_do_not_fit(planned: tuple[Plan, Path]) -> None:
    plan, _ = planned
    block = plan_mermaid(plan, DIAGRAM_MAX_CHARS)
    near = plan_mermaid(plan, DIAGRAM_MAX_CHARS, whole=False)
    assert block is not None and near is not None and len(near) < len(block)
    layout = Layout(plan)
    names = len(layout.name_order)
    layout.diagram = near
    names_and_near = len(layout.compose(names, 0))
    # Room for the names and the neighbourhood of what changed, not the whole diagram: the neighbourhood is drawn.
    with_near = render_markdown(plan, max_chars=names_and_near)
    assert near in with_near and block not in with_near
    assert [action.natural_key for action in plan.actions if action.natural_key not in with_near] == []
    # Room for neither: a note replaces the drawing, the names stay.
    markdown = render_markdown(plan, max_chars=names_and_near - 1)
    assert len(markdown) < names_and_near and mermaid_fences(markdown) == []
    assert "Too large to draw in this comment" in markdown
    for action in plan.actions:
        assert action.natural_key in markdown

"""No name breaks a diagram: quotes, brackets, pipes, arrows, HTML and line breaks are escaped.

Names come from manifests (and, in a plan, from the tenant): user text. The diagrams are parsed
strictly, so an unescaped character that would end a label or start an edge fails the parse or the counts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from egain_provision.graph import manifest_graph, mermaid_text, render_dot, render_mermaid
from egain_provision.manifest import load_manifests
from tests.graph.diagrams import decode_mermaid, parse_dot, parse_mermaid, read_routing
from tests.support import SECRET_ENV, run_cli, write_manifest

HOSTILE_APP = 'say "hi" ]) |x| --> end <script>alert(1)</script> #35; `x` &amp; A-->B'
HOSTILE_AUTH = 'live "auth" ]|-->\nnext line'
HOSTILE_BOT = "bot\nline2 \u202e rev ; {x} (y) [[z]] x--o y"
HOSTILE_ID = 'id"]|x--> <b>00000000000000000000000'
MANIFEST = f"""\
version: 1
clientApplications:
  - name: {json.dumps(HOSTILE_APP)}
    roles:
      - name: custom_agent
        version: v3
        callback: https://desk.example.com/cb
        notificationEmail: ops@example.com
        authentication: {json.dumps(HOSTILE_AUTH)}
participants:
  - name: {json.dumps(HOSTILE_BOT)}
    type: custom_bot
    application: {json.dumps(HOSTILE_APP)}
orchestrations:
  - name: end
    applications:
      botConfiguration:
        bots:
          - application: {json.dumps(HOSTILE_APP)}
            participant: {json.dumps(HOSTILE_BOT)}
            onEscalation: {{agent: {{id: {json.dumps(HOSTILE_ID)}}}}}
  - name: subgraph
    applications:
      agentConfiguration: {{agents: ['classDef x fill:red']}}
"""
HOSTILE = (HOSTILE_APP, HOSTILE_AUTH, HOSTILE_BOT, HOSTILE_ID)


def shown(text: str) -> str:
    """How a diagram shows a name: line breaks and bidi controls as visible `\\uXXXX`."""
    return text.replace("\n", "\\u000a").replace("\u202e", "\\u202e")


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    return write_manifest(tmp_path, MANIFEST)


def test_the_hostile_manifest_is_valid(manifest: Path) -> None:
    loaded = load_manifests([str(manifest)], environ=SECRET_ENV)
    assert not loaded.errors, loaded.errors
    assert {obj.natural_key for obj in loaded.objects} >= {HOSTILE_APP, HOSTILE_BOT}


def test_hostile_names_keep_the_mermaid_counts_and_come_back_whole(manifest: Path) -> None:
    result = run_cli(["graph", str(manifest)])
    assert result.exit_code == 0, result.output
    diagram, expected = parse_mermaid(result.stdout), read_routing(manifest)
    assert len(diagram.routing_nodes()) == len(expected.nodes) == 7
    assert len(diagram.edges) == len(expected.references) == 6
    texts = {text for text, _, _ in diagram.routing_nodes().values()}
    assert {shown(HOSTILE_APP), shown(HOSTILE_AUTH), shown(HOSTILE_BOT), f"id {HOSTILE_ID}", "end"} <= texts


def test_hostile_names_keep_the_dot_counts_and_come_back_whole(manifest: Path) -> None:
    result = run_cli(["graph", "--format", "dot", str(manifest)])
    assert result.exit_code == 0, result.output
    diagram, expected = parse_dot(result.stdout), read_routing(manifest)
    assert len(diagram.routing_nodes()) == len(expected.nodes)
    assert len(diagram.edges) == len(expected.references)
    texts = {text for text, _, _ in diagram.routing_nodes().values()}
    assert {shown(HOSTILE_APP), shown(HOSTILE_AUTH), shown(HOSTILE_BOT), f"id {HOSTILE_ID}"} <= texts


@pytest.mark.parametrize("name", HOSTILE)
def test_an_escaped_mermaid_label_holds_no_character_of_the_syntax(name: str) -> None:
    escaped = mermaid_text(name)
    assert not set(re.sub(r"#\d+;", "", escaped)) & set('"[]|<>`\n(){};&#\u202e')
    assert decode_mermaid(escaped) == shown(name)


def test_undeclared_references_are_external_nodes_of_their_own(tmp_path: Path) -> None:
    manifest = write_manifest(
        tmp_path,
        """\
version: 1
orchestrations:
  - name: flow
    applications:
      botConfiguration:
        bots:
          - application: live-bot
            participant: {id: 0c4f2a8e-1b9d-4c3e-9f70-5a6b7c8d9e0f}
            onEscalation: {agent: live-desk}
          - {application: live-bot, onEscalation: {agent: live-desk}}
      agentConfiguration: {agents: [live-desk]}
""",
    )
    loaded = load_manifests([str(manifest)], environ=SECRET_ENV)
    diagram = parse_mermaid(render_mermaid(manifest_graph(loaded.objects)))
    nodes = diagram.routing_nodes()
    assert sorted((text, cls) for text, cls, _ in nodes.values()) == [
        ("flow", None),
        ("id 0c4f2a8e-1b9d-4c3e-9f70-5a6b7c8d9e0f", "external"),
        ("live-bot", "external"),
        ("live-desk", "external"),
    ]
    # Two bots escalating to one desk are one edge; the same desk as the agent is a second one.
    assert sorted(diagram.edge_texts()) == [
        ("flow", "agent", "live-desk"),
        ("flow", "bot", "live-bot"),
        ("flow", "bot participant", "id 0c4f2a8e-1b9d-4c3e-9f70-5a6b7c8d9e0f"),
        ("flow", "escalates to", "live-desk"),
    ]
    assert [text for text, _, group in diagram.nodes.values() if group == "legend"] == [
        "not declared: must exist in the tenant"
    ]
    dot = parse_dot(render_dot(manifest_graph(loaded.objects)))
    assert sum(1 for _, style, _ in dot.routing_nodes().values() if style and "dashed" in style) == 3

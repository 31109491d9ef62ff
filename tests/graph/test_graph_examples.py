"""`egain-provision graph` on every example draws each declared object once and each reference once.

The expected nodes and edges are counted from the examples' YAML by `tests/graph/diagrams.py`,
not from the package, so a renderer that drops, doubles or misplaces one fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from egain_provision.kinds import SETUP_ORDER
from tests.graph.diagrams import Diagram, Routing, parse_dot, parse_mermaid, read_routing
from tests.support import run_cli

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
VAR_FILE = EXAMPLES / "environments" / "staging.vars.yaml"
# The secrets the examples read; the graph shows none of them, but the manifests must be valid.
ENV = {"EGAIN_VAR_AGENT_DESK_PASSWORD": "desk-pass-Hq3", "EGAIN_VAR_TWILIO_AUTH_TOKEN": "twilio-Lw81"}
CASES = {
    "byoc": (EXAMPLES / "byoc", ()),
    "whatsapp": (EXAMPLES / "whatsapp", ()),
    "sms-twilio": (EXAMPLES / "sms-twilio", ()),
    "agent-only": (EXAMPLES / "agent-only", ()),
    "environments": (EXAMPLES / "environments" / "base", ("--var-file", str(VAR_FILE))),
}


def graph(name: str, *extra: str) -> str:
    path, options = CASES[name]
    result = run_cli(["graph", str(path), *options, *extra], env=ENV)
    assert result.exit_code == 0, result.output
    return result.stdout


def routing(name: str) -> Routing:
    path, options = CASES[name]
    variables = yaml.safe_load(VAR_FILE.read_text()) if options else None
    return read_routing(path, {key: str(value) for key, value in (variables or {}).items()})


def assert_draws(diagram: Diagram, expected: Routing) -> None:
    nodes = diagram.routing_nodes()
    assert len(nodes) == len(expected.nodes)
    assert sorted((group, text) for text, _, group in nodes.values()) == sorted(
        (kind, name) for kind, name in expected.nodes
    )
    assert len(diagram.edges) == len(expected.references)
    assert sorted((source, target) for source, _, target in diagram.edge_texts()) == expected.endpoint_texts()


@pytest.mark.parametrize("name", list(CASES))
def test_the_mermaid_graph_has_a_node_per_object_and_an_edge_per_reference(name: str) -> None:
    expected = routing(name)
    assert len(expected.references) >= 3  # every example routes something
    assert_draws(parse_mermaid(graph(name)), expected)


@pytest.mark.parametrize("name", list(CASES))
def test_the_dot_graph_has_a_node_per_object_and_an_edge_per_reference(name: str) -> None:
    assert_draws(parse_dot(graph(name, "--format", "dot")), routing(name))


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_kinds_are_grouped_in_setup_order(fmt: str) -> None:
    text = graph("byoc", "--format", fmt)
    diagram = parse_mermaid(text) if fmt == "mermaid" else parse_dot(text)
    assert diagram.groups == list(SETUP_ORDER)


def test_edges_say_what_each_reference_means() -> None:
    edges = set(parse_mermaid(graph("byoc")).edge_texts())
    assert edges == {
        ("byoc-web-account", "channel", "custom.web"),
        ("byoc-web-account", "orchestration", "byoc-bot-first"),
        ("byoc-bot-first", "bot", "byoc-order-bot-app"),
        ("byoc-bot-first", "bot participant", "byoc-order-bot"),
        ("byoc-bot-first", "escalates to", "byoc-agent-desk"),
        ("byoc-bot-first", "customer", "byoc-web-customer"),
        ("byoc-order-bot", "application", "byoc-order-bot-app"),
        ("byoc-order-bot-app", "custom_bot calls back with", "byoc-bot-callback"),
        ("byoc-agent-desk", "custom_agent calls back with", "byoc-bot-callback"),
    }


def test_each_role_of_an_application_calls_back_on_its_own_edge() -> None:
    edges = parse_mermaid(graph("agent-only")).edge_texts()
    assert sorted(label for source, label, _ in edges if source == "ao-agent-desk") == [
        "business_notification calls back with",
        "custom_agent calls back with",
    ]
    assert ("ao-agents-only", "agent", "ao-agent-desk") in edges


def test_the_environments_graph_names_the_objects_of_the_chosen_environment() -> None:
    texts = {text for text, _, _ in parse_mermaid(graph("environments")).nodes.values()}
    assert {"shop-staging-flow", "custom.shop-staging", "shop-staging-web"} <= texts
    assert not any("production" in text or "${" in text for text in texts)

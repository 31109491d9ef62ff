"""Strict little parsers for the Mermaid and DOT subsets `graph` emits, and the routing a manifest's YAML holds.

The parsers refuse any line they do not know, so output that a renderer would misread fails here;
the YAML reading counts references on its own, from the files, without the package's loader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# Mermaid: every label is quoted; inside it no quote, bracket or pipe may stand unescaped.
_ID = r"[A-Za-z][A-Za-z0-9_]*"
_MERMAID_TEXT = r'[^"\[\]|<>`\n]*'
_MERMAID_LINES = {
    "header": re.compile(r"flowchart LR"),
    "subgraph": re.compile(rf'  subgraph ({_ID})\["({_MERMAID_TEXT})"\]'),
    "end": re.compile(r"  end"),
    "node": re.compile(rf'    ({_ID})\["({_MERMAID_TEXT})"\](?::::({_ID}))?'),
    "edge": re.compile(rf"  ({_ID}) -->\|([^|\"\[\]<>`\n]*)\| ({_ID})"),
    "classdef": re.compile(rf"  classDef ({_ID}) [^\n]+"),
}
_ENTITY = re.compile(r"#(\d+);")


@dataclass
class Diagram:
    """What a diagram says: nodes by id (text, class, group), edges (source, label, target) by id."""

    nodes: dict[str, tuple[str, str | None, str]] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    edges: list[tuple[str, str, str]] = field(default_factory=list)
    classes: set[str] = field(default_factory=set)

    def routing_nodes(self) -> dict[str, tuple[str, str | None, str]]:
        """The nodes without the legend's."""
        return {ident: node for ident, node in self.nodes.items() if node[2] != "legend"}

    def text(self, ident: str) -> str:
        return self.nodes[ident][0]

    def edge_texts(self) -> list[tuple[str, str, str]]:
        return [(self.text(source), label, self.text(target)) for source, label, target in self.edges]


def decode_mermaid(text: str) -> str:
    return _ENTITY.sub(lambda match: chr(int(match.group(1))), text)


def parse_mermaid(source: str) -> Diagram:
    """Every line must be one the renderer emits; node texts and labels come back decoded."""
    diagram, group = Diagram(), None
    lines = source.split("\n")
    assert lines[-1] == "", "the diagram ends with a newline"
    for number, line in enumerate(lines[:-1], 1):
        kind, match = _match_line(line, number)
        if kind == "header":
            assert number == 1
        elif kind == "subgraph":
            assert group is None, f"line {number}: nested subgraph"
            group = decode_mermaid(match.group(2)) if match.group(1) != "legend" else "legend"
            diagram.groups.append(group)
        elif kind == "end":
            assert group is not None, f"line {number}: end outside a subgraph"
            group = None
        elif kind == "node":
            assert group is not None, f"line {number}: a node outside a subgraph"
            assert match.group(1) not in diagram.nodes, f"line {number}: node {match.group(1)} defined twice"
            diagram.nodes[match.group(1)] = (decode_mermaid(match.group(2)), match.group(3), group)
        elif kind == "edge":
            source, label, target = match.groups()
            assert source in diagram.nodes and target in diagram.nodes, f"line {number}: edge to an undefined node"
            diagram.edges.append((source, decode_mermaid(label), target))
        else:
            diagram.classes.add(match.group(1))
    assert group is None, "a subgraph is not closed"
    used = {node[1] for node in diagram.nodes.values() if node[1] is not None}
    assert used <= diagram.classes, f"classes used but not defined: {used - diagram.classes}"
    return diagram


def _match_line(line: str, number: int) -> tuple[str, re.Match[str]]:
    for kind, pattern in _MERMAID_LINES.items():
        match = pattern.fullmatch(line)
        if match:
            return kind, match
    raise AssertionError(f"line {number} is not in the flowchart subset: {line!r}")


_DOT_STRING = r'"((?:[^"\\\n]|\\.)*)"'
_DOT_LINES = {
    "open": re.compile(r"digraph routing \{"),
    "setting": re.compile(r"  (rankdir=LR|node \[[^\n]*\]);"),
    "cluster": re.compile(rf"  subgraph cluster_({_ID}) \{{"),
    "label": re.compile(rf"    label={_DOT_STRING};"),
    "node": re.compile(rf'    ({_ID}) \[label={_DOT_STRING}((?:, [a-z]+="[^"\n]*")*)\];'),
    "edge": re.compile(rf"  ({_ID}) -> ({_ID}) \[label={_DOT_STRING}\];"),
    "close": re.compile(r"(?:  )?\}"),
}


def decode_dot(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def parse_dot(source: str) -> Diagram:
    """The DOT subset the renderer emits, line by line; strings come back unescaped."""
    diagram, cluster, group, depth = Diagram(), "", "", 0
    for number, line in enumerate(source.rstrip("\n").split("\n"), 1):
        found = [(kind, match) for kind, pattern in _DOT_LINES.items() if (match := pattern.fullmatch(line))]
        assert found, f"line {number} is not in the DOT subset: {line!r}"
        kind, match = found[0]
        if kind in ("open", "cluster"):
            depth += 1
            assert depth <= 2, f"line {number}: nested cluster"
            cluster = match.group(1) if kind == "cluster" else ""
        elif kind == "close":
            depth -= 1
        elif kind == "label":
            group = "legend" if cluster == "legend" else decode_dot(match.group(1))
            diagram.groups.append(group)
        elif kind == "node":
            assert depth == 2, f"line {number}: a node outside a cluster"
            diagram.nodes[match.group(1)] = (decode_dot(match.group(2)), match.group(3) or None, group)
        elif kind == "edge":
            source, target, label = match.groups()
            assert source in diagram.nodes and target in diagram.nodes, f"line {number}: edge to an undefined node"
            diagram.edges.append((source, decode_dot(label), target))
    assert depth == 0, "a brace is not closed"
    return diagram


# The references of each kind, as a manifest writes them: (path pattern, target kind).
REFERENCES: dict[str, list[tuple[str, str]]] = {
    "clientApplications": [("roles[].authentication", "authentications")],
    "participants": [("application", "clientApplications")],
    "orchestrations": [
        ("applications.botConfiguration.bots[].application", "clientApplications"),
        ("applications.botConfiguration.bots[].participant", "participants"),
        ("applications.botConfiguration.bots[].onEscalation.agent", "clientApplications"),
        ("applications.customerConfiguration.customer", "clientApplications"),
        ("applications.agentConfiguration.agents[]", "clientApplications"),
    ],
    "accounts": [("channel", "channels"), ("chatConfigurations.orchestration", "orchestrations")],
}
KEY_FIELD = {"channels": "type"}


@dataclass
class Routing:
    """What the YAML declares: (kind, name) of every object, and distinct references between them."""

    declared: set[tuple[str, str]]
    targets: set[tuple[str, str]]
    references: set[tuple[tuple[str, str], str, str, tuple[str, str]]]

    @property
    def nodes(self) -> set[tuple[str, str]]:
        return self.declared | self.targets

    def endpoint_texts(self) -> list[tuple[str, str]]:
        return sorted((source[1], target[1]) for source, _, _, target in self.references)


def read_routing(path: Path, variables: dict[str, str] | None = None) -> Routing:
    """The routing of a manifest file or directory, read from the YAML with `${var:NAME}` substituted."""
    files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")]) if path.is_dir() else [path]
    documents = []
    for file in files:
        text = re.sub(r"\$\{var:([A-Za-z0-9_]+)\}", lambda m: (variables or {})[m.group(1)], file.read_text("utf-8"))
        documents.append(yaml.safe_load(text))
    declared = {
        (kind, str(item[KEY_FIELD.get(kind, "name")]))
        for document in documents
        for kind, items in document.items()
        if isinstance(items, list) and kind != "ignore"
        for item in items
    }
    references, targets = set(), set()
    for document in documents:
        for kind, patterns in REFERENCES.items():
            for item in document.get(kind) or []:
                source = (kind, str(item[KEY_FIELD.get(kind, "name")]))
                for pattern, target_kind in patterns:
                    for holder, value in _values(item, pattern.split(".")):
                        # A literal {id: X} is its own node, apart from any object named X.
                        target = (target_kind, f"id {value['id']}") if isinstance(value, dict) else (target_kind, value)
                        role = holder.get("name", "") if pattern.startswith("roles[]") else ""
                        references.add((source, pattern, role, target))
                        targets.add(target)
    return Routing(declared, targets, references)


def _values(node: Any, parts: list[str], holder: Any = None) -> list[tuple[Any, Any]]:
    """(the mapping holding it, value) for each value at the path parts; `name[]` steps into every item."""
    if not parts:
        return [(holder, node)]
    head, rest = parts[0], parts[1:]
    if not isinstance(node, dict) or head.removesuffix("[]") not in node:
        return []
    child = node[head.removesuffix("[]")]
    if head.endswith("[]"):
        found: list[tuple[Any, Any]] = []
        for item in child:
            found += _values(item, rest, item) if rest else [(node, item)]
        return found
    return _values(child, rest, node)

"""The routing as a graph: objects as nodes, references as labelled edges, drawn as Mermaid or Graphviz DOT.

Pure: a graph is built from the manifests' desired objects (`manifest_graph`) or from a plan's
actions (`plan_mermaid`), never from the tenant. Every reference the kind table declares is an
edge, so a new kind draws with no change here; `EDGE_LABELS` only words the known ones better.
User text (names, ids) is escaped for each syntax, so no name can break a diagram.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from egain_provision.kinds import KINDS_BY_NAME, SETUP_ORDER, Kind, Reference
from egain_provision.model import DesiredObject, Ref
from egain_provision.paths import Slot, join_path
from egain_provision.plan import Action, Plan
from egain_provision.references import iter_references

Role = Literal["declared", "external", "create", "update", "delete", "unchanged", "by_id"]

# What a reference means, by its manifest path; any other reference is named after its field.
EDGE_LABELS: dict[str, str] = {
    "channel": "channel",
    "chatConfigurations.orchestration": "orchestration",
    "applications.botConfiguration.bots[].application": "bot",
    "applications.botConfiguration.bots[].participant": "bot participant",
    "applications.botConfiguration.bots[].onEscalation.agent": "escalates to",
    "applications.customerConfiguration.customer": "customer",
    "applications.agentConfiguration.agents[]": "agent",
    "application": "application",
    "roles[].authentication": "calls back with",
}

# Mermaid's defaults (maxTextSize, maxEdges): beyond them GitHub shows an error instead of the diagram.
MERMAID_MAX_TEXT = 50_000
MERMAID_MAX_EDGES = 500


def _filled(color: str) -> str:
    return f'style="rounded,filled", fillcolor="{color}"'


@dataclass(frozen=True)
class Style:
    """How a node of one role looks, and what the legend says of it."""

    legend: str
    mermaid: str
    dot: str
    mark: str = ""


_DASHED = "stroke-dasharray: 5 5"
STYLES: dict[Role, Style] = {
    "external": Style("not declared: must exist in the tenant", _DASHED, 'style="rounded,dashed"'),
    "create": Style("created", "fill:#dafbe1,stroke:#1a7f37,color:#000", _filled("#dafbe1"), "\u2795 "),
    "update": Style("updated", "fill:#fff8c5,stroke:#9a6700,color:#000", _filled("#fff8c5"), "\u270f\ufe0f "),
    "delete": Style("deleted", "fill:#ffebe9,stroke:#cf222e,color:#000", _filled("#ffebe9"), "\U0001f5d1\ufe0f "),
    "unchanged": Style("unchanged", "fill:#f6f8fa,stroke:#8c959f,color:#57606a", 'color="#8c959f"'),
    "by_id": Style("unchanged, known only by id", f"fill:#f6f8fa,stroke:#8c959f,{_DASHED}", 'style="rounded,dashed"'),
}


@dataclass(frozen=True)
class Node:
    """One object: `ident` is unique in its graph, `text` is what the diagram shows."""

    ident: str
    kind: str
    text: str
    role: Role = "declared"


@dataclass(frozen=True)
class Edge:
    """A reference from one node to another, labelled by what it means."""

    source: str
    target: str
    label: str


@dataclass
class RoutingGraph:
    """Nodes and edges, each kept once (the first node added for an ident wins)."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[tuple[str, str, str], Edge] = field(default_factory=dict)

    def add_node(self, node: Node) -> str:
        return self.nodes.setdefault(node.ident, node).ident

    def add_edge(self, source: str, target: str, label: str) -> None:
        self.edges.setdefault((source, target, label), Edge(source, target, label))

    def groups(self) -> Iterator[tuple[str, list[Node]]]:
        """The nodes of each kind, kinds in setup order; within one, by role (declared first) and text."""
        order = {role: index for index, role in enumerate(("declared", *STYLES))}
        kinds = [*SETUP_ORDER, *sorted({node.kind for node in self.nodes.values()} - set(SETUP_ORDER))]
        for kind in kinds:
            members = [node for node in self.nodes.values() if node.kind == kind]
            if members:
                yield kind, sorted(members, key=lambda node: (order[node.role], node.text, node.ident))

    def routes(self) -> list[Edge]:
        """The edges, those leaving the kinds set up last first: account -> orchestration -> bot -> authentication."""
        rank = {kind: index for index, kind in enumerate(SETUP_ORDER)}
        return sorted(self.edges.values(), key=lambda edge: -rank.get(self.nodes[edge.source].kind, len(rank)))

    def roles(self) -> list[Role]:
        """The styled roles present, in the legend's order."""
        present = {node.role for node in self.nodes.values()}
        return [role for role in STYLES if role in present]


def name_ident(kind: str, name: str) -> str:
    return f"{kind}/{name}"


def id_ident(kind: str, object_id: str) -> str:
    return f"{kind}#{object_id}"


def edge_label(kind: Kind, reference: Reference, slot: Slot) -> str:
    """What a reference means (`EDGE_LABELS`, else its field in words), after the keyed item that holds it:
    `custom_agent calls back with` for the authentication of a client application's custom_agent role.
    """
    label = EDGE_LABELS.get(reference.path)
    if label is None:
        field_name = reference.path.rsplit(".", 1)[-1].removesuffix("[]")
        label = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", field_name).lower()
    holder, _, _ = reference.path.rpartition(".")
    key_field = kind.keyed_lists.get(holder.removesuffix("[]")) if holder.endswith("[]") else None
    key = slot.container.get(key_field) if key_field and isinstance(slot.container, dict) else None
    return f"{key} {label}" if isinstance(key, str) else label


def manifest_graph(objects: Iterable[DesiredObject]) -> RoutingGraph:
    """The routing the manifests declare: each desired object a node, each reference an edge.

    A reference to an object the manifests do not declare (a live-only name, or a literal
    `{id: X}`) points at an `external` node of its own.
    """
    objects = list(objects)
    graph = RoutingGraph()
    for obj in objects:
        graph.add_node(Node(name_ident(obj.kind, obj.natural_key), obj.kind, obj.natural_key))
    for obj in objects:
        kind = KINDS_BY_NAME[obj.kind]
        for reference, slot in iter_references(kind, obj.body, "api"):
            target = _manifest_target(graph, reference, slot.value)
            if target is not None:
                graph.add_edge(name_ident(obj.kind, obj.natural_key), target, edge_label(kind, reference, slot))
    return graph


def _manifest_target(graph: RoutingGraph, reference: Reference, value: Any) -> str | None:
    if isinstance(value, Ref):
        return graph.add_node(Node(name_ident(value.kind, value.name), value.kind, value.name, "external"))
    object_id = reference.id_in(value)
    if object_id is None:
        return None
    return graph.add_node(Node(id_ident(reference.target, object_id), reference.target, f"id {object_id}", "external"))


def plan_mermaid(plan: Plan, max_chars: int, *, whole: bool = True) -> str | None:
    """The routing of the declared objects `plan` speaks of, as one whole ```mermaid fenced block ending in a newline.

    Nodes: every object the plan creates, updates or deletes (styled and marked by action, with
    a legend), every declared object it leaves unchanged, and the objects the actions' bodies
    reference, each by name where the plan knows it (an action's own id, a declared unchanged
    object's, or the change that sets the reference), else by id. Edges: the references of the
    create and update bodies (a delete has no body; it is a node alone). When the whole diagram
    is longer than `max_chars` or than Mermaid draws (50,000 characters, 500 edges), the
    neighbourhood of what changed (the changed objects and their direct neighbours) is drawn
    instead, and said so (`whole=False`: only that). Returns None when the plan changes nothing or
    even that is too large: the caller then says in a note that it was left out.
    """
    if not plan.actions:
        return None
    every = _plan_graph(plan)
    for graph, note in ((every, ""), (_neighbourhood(every), NEIGHBOURHOOD_NOTE))[0 if whole else 1 :]:
        if len(graph.edges) > MERMAID_MAX_EDGES:
            continue
        diagram = render_mermaid(graph)
        block = f"{note}```mermaid\n{diagram}```\n"
        if len(diagram) <= MERMAID_MAX_TEXT and len(block) <= max_chars:
            return block
    return None


# Above a diagram that leaves out the unchanged objects no change touches.
NEIGHBOURHOOD_NOTE = "_What changed and the objects it references or is referenced by; the rest is unchanged._\n\n"
CHANGED_ROLES: frozenset[Role] = frozenset({"create", "update", "delete"})


def _neighbourhood(graph: RoutingGraph) -> RoutingGraph:
    """The changed nodes of `graph`, the nodes one edge away from them, and those edges."""
    changed = {ident for ident, node in graph.nodes.items() if node.role in CHANGED_ROLES}
    near = RoutingGraph()
    for ident in changed:
        near.add_node(graph.nodes[ident])
    for edge in graph.edges.values():
        if edge.source in changed or edge.target in changed:
            near.add_node(graph.nodes[edge.source])
            near.add_node(graph.nodes[edge.target])
            near.add_edge(edge.source, edge.target, edge.label)
    return near


def _plan_graph(plan: Plan) -> RoutingGraph:
    graph = RoutingGraph()
    for action in plan.actions:
        graph.add_node(_action_node(action))
    for kind_name, names in plan.unchanged_names.items():
        for key in names.values():
            graph.add_node(Node(name_ident(kind_name, key), kind_name, key, "unchanged"))
    known = _idents_of_ids(plan)
    for action in plan.actions:
        if action.body is None:
            continue
        kind = KINDS_BY_NAME[action.kind]
        source = name_ident(action.kind, action.natural_key)
        for reference, slot in iter_references(kind, action.body, "api"):
            target = _plan_target(graph, known, reference, slot.value)
            if target is not None:
                graph.add_edge(source, target, edge_label(kind, reference, slot))
    return graph


def _action_node(action: Action) -> Node:
    text = STYLES[action.action].mark + action.natural_key
    if action.previous_key is not None:
        text += f" (was {action.previous_key})"
    # A delete's address carries its id: two live objects of one name may both be deleted.
    ident = action.address if action.action == "delete" else name_ident(action.kind, action.natural_key)
    return Node(ident, action.kind, text, action.action)


def _plan_target(
    graph: RoutingGraph, known: dict[tuple[str, str], str], reference: Reference, value: Any
) -> str | None:
    if isinstance(value, Ref):
        return graph.add_node(Node(name_ident(value.kind, value.name), value.kind, value.name, "unchanged"))
    object_id = reference.id_in(value)
    if object_id is None:
        return None
    ident = known.get((reference.target, object_id))
    if ident is None:
        return graph.add_node(Node(id_ident(reference.target, object_id), reference.target, f"id {object_id}", "by_id"))
    if ident not in graph.nodes:
        graph.add_node(Node(ident, reference.target, ident.split("/", 1)[1], "unchanged"))
    return ident


def _idents_of_ids(plan: Plan) -> dict[tuple[str, str], str]:
    """(kind, id) -> node ident, for every id the plan names: its actions' own, and each reference
    whose change (a create's fields, an update's changed reference) gives the name.
    """
    known: dict[tuple[str, str], str] = {
        (kind, object_id): name_ident(kind, key)
        for kind, names in plan.unchanged_names.items()
        for object_id, key in names.items()
    }
    for action in plan.actions:
        if action.body is None:
            continue
        kind = KINDS_BY_NAME[action.kind]
        names = {change.path: change.after for change in action.changes}
        for reference, slot in iter_references(kind, action.body, "api"):
            object_id = reference.id_in(slot.value)
            name = _name_in_changes(names, reference.manifest_path_of(keyed_path(kind, action.body, slot.path)))
            if object_id is not None and name is not None:
                known[(reference.target, object_id)] = name_ident(reference.target, name)
    for action in plan.actions:
        if action.id is not None:
            ident = action.address if action.action == "delete" else name_ident(action.kind, action.natural_key)
            known[(action.kind, action.id)] = ident
    return known


def _name_in_changes(after_by_path: dict[str, Any], path: str) -> str | None:
    """The name a change sets at `path`, or in the list of names it sets whole (`agents: [a, b]`)."""
    value = after_by_path.get(path)
    if isinstance(value, str):
        return value
    head, _, index = path.rpartition("[")
    listed = after_by_path.get(head)
    if index.endswith("]") and index[:-1].isdigit() and isinstance(listed, list) and int(index[:-1]) < len(listed):
        item = listed[int(index[:-1])]
        return item if isinstance(item, str) else None
    return None


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def keyed_path(kind: Kind, body: Any, concrete: str) -> str:
    """A concrete path as plan changes write it: items of keyed lists by key (`roles[0]` -> `roles[customer]`)."""
    node, pattern, path = body, "", ""
    for name, index in _PATH_PART.findall(concrete):
        if name:
            node = node.get(name) if isinstance(node, dict) else None
            pattern, path = join_path(pattern, name), join_path(path, name)
            continue
        position = int(index)
        item = node[position] if isinstance(node, list) and position < len(node) else None
        key_field = kind.keyed_lists.get(pattern)
        key = item.get(key_field) if key_field and isinstance(item, dict) else None
        path = join_path(path, f"[{key}]" if isinstance(key, str) else position)
        pattern, node = pattern + "[]", item
    return path


# C0/C1 controls, DEL, line/paragraph separators and bidi overrides: shown as \uXXXX, never acted on.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# ASCII a Mermaid label may hold as it is; any other ASCII is written as an entity code (#35;).
_MERMAID_PLAIN = re.compile(r"[A-Za-z0-9 .,:/@+=_-]")


def _visible(text: str) -> str:
    return _INVISIBLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def mermaid_text(text: str) -> str:
    """`text` safe inside a Mermaid label: quotes, brackets, pipes, `#`, `;`, HTML and line breaks as entity codes."""
    return "".join(
        char if ord(char) > 127 or _MERMAID_PLAIN.fullmatch(char) else f"#{ord(char)};" for char in _visible(text)
    )


def _legend_text(role: Role) -> str:
    return STYLES[role].mark + STYLES[role].legend


def render_mermaid(graph: RoutingGraph) -> str:
    """A `flowchart LR`: one subgraph per kind (setup order), a legend for styled nodes, then the edges."""
    ids: dict[str, str] = {}
    lines = ["flowchart LR"]
    for number, (kind, members) in enumerate(graph.groups(), 1):
        lines.append(f'  subgraph kind{number}["{mermaid_text(kind)}"]')
        for node in members:
            ids[node.ident] = f"n{len(ids) + 1}"
            style = "" if node.role == "declared" else f":::{node.role}"
            lines.append(f'    {ids[node.ident]}["{mermaid_text(node.text)}"]{style}')
        lines.append("  end")
    roles = graph.roles()
    if roles:
        lines.append('  subgraph legend["legend"]')
        lines += [f'    legend_{role}["{mermaid_text(_legend_text(role))}"]:::{role}' for role in roles]
        lines.append("  end")
    lines += [f"  {ids[edge.source]} -->|{mermaid_text(edge.label)}| {ids[edge.target]}" for edge in graph.routes()]
    lines += [f"  classDef {role} {STYLES[role].mermaid}" for role in roles]
    return "\n".join(lines) + "\n"


def dot_text(text: str) -> str:
    """`text` as a DOT quoted string, quotes included: backslashes and quotes escaped, controls shown as \\uXXXX."""
    return '"' + _visible(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_dot(graph: RoutingGraph) -> str:
    """A Graphviz `digraph`: one cluster per kind (setup order), a legend cluster for styled nodes, the edges."""
    ids: dict[str, str] = {}
    lines = ["digraph routing {", "  rankdir=LR;", '  node [shape=box, style=rounded, fontname="Helvetica"];']
    for number, (kind, members) in enumerate(graph.groups(), 1):
        lines.append(f"  subgraph cluster_kind{number} {{")
        lines.append(f"    label={dot_text(kind)};")
        for node in members:
            ids[node.ident] = f"n{len(ids) + 1}"
            style = "" if node.role == "declared" else f", {STYLES[node.role].dot}"
            lines.append(f"    {ids[node.ident]} [label={dot_text(node.text)}{style}];")
        lines.append("  }")
    roles = graph.roles()
    if roles:
        lines.append('  subgraph cluster_legend {\n    label="legend";')
        lines += [f"    legend_{role} [label={dot_text(_legend_text(role))}, {STYLES[role].dot}];" for role in roles]
        lines.append("  }")
    lines += [f"  {ids[e.source]} -> {ids[e.target]} [label={dot_text(e.label)}];" for e in graph.routes()]
    return "\n".join(lines) + "\n}\n"

"""The manifest schema says what eGain's spec says about every request field, in manifest terms.

Walks the facts file (every field of each kind's create and update bodies) and the manifest
schema as the loader applies it. A reference's `{id}` object is the manifest's reference (a
name or a literal `{id}`); the bare `bots[].id` is `bots[].application`; server-set fields are
not declared. Any other difference, either way, fails, unless `DELIBERATE` names it with why.
"""

from __future__ import annotations

from typing import Any

from egain_provision.kinds import KINDS, Kind
from egain_provision.manifest.validation import manifest_rules
from tests.contract.spec_support import facts

# `format` is left out: JSON Schema 2020-12 only annotates with it, and the spec uses it only on `modified`.
KEYWORDS = (
    "type",
    "required",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "enum",
    "pattern",
    "default",
    "uniqueItems",
)
MANIFEST_ONLY = ("previousNames",)

# (kind, manifest path, keyword) -> why the manifest deliberately differs from the spec.
DELIBERATE: dict[tuple[str, str, str], str] = {
    ("authentications", "oauth2.tokenRequestUrl", "pattern"): "the Hub calls it over HTTP: catch a typo offline",
    ("clientApplications", "roles[].callback", "pattern"): "the Hub POSTs to it: catch a typo offline",
    ("clientApplications", "roles[].notificationEmail", "pattern"): "the Hub emails it: catch a non-address offline",
    ("clientApplications", "roles[].name", "uniqueItems"): (
        "uniqueItems on a string asserts nothing; validate checks role names are unique (checks.py)"
    ),
    ("orchestrations", "name", "minLength"): "the natural key that identifies the object: never empty",
}


def _parts(path: str) -> list[str]:
    return [piece for part in path.split(".") for piece in ([part[:-2], "[]"] if part.endswith("[]") else [part])]


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    """A `$ref` replaced by its target; the referring node's own keys (its description) stay on top."""
    defs = manifest_rules()["$defs"]
    while "$ref" in node:
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        node = {**defs[node["$ref"].rsplit("/", 1)[-1]], **siblings}
    return node


def _reference_target(node: dict[str, Any]) -> str | None:
    ref = node.get("$ref", "")
    return ref.rsplit("/", 1)[-1].removesuffix("Reference") if ref.endswith("Reference") else None


class Walk:
    """The manifest schema of one kind, optionally specialised to one value of a discriminating field."""

    def __init__(self, kind: Kind, discriminator: tuple[str, Any] | None = None) -> None:
        self.kind = kind
        self.root = self._specialised(_resolve(manifest_rules()["$defs"][kind.singular]), discriminator)

    @staticmethod
    def _specialised(node: dict[str, Any], discriminator: tuple[str, Any] | None) -> dict[str, Any]:
        """The object with the `if {field: const value} then ...` parts that apply folded in."""
        if discriminator is None:
            return node
        field, value = discriminator
        out = {**node, "properties": dict(node["properties"]), "required": list(node.get("required", []))}
        for part in node.get("allOf", []):
            if part.get("if", {}).get("properties", {}).get(field, {}).get("const") == value:
                out["required"] += part["then"].get("required", [])
                for name, sub in part["then"].get("properties", {}).items():
                    if "not" in sub:
                        out["properties"].pop(name, None)
        out["properties"][field] = {**_resolve(out["properties"][field]), "enum": [value]}
        return out

    def node(self, path: str) -> tuple[dict[str, Any] | None, bool]:
        """The raw schema at a manifest path (None when absent) and whether its parent requires it."""
        node: dict[str, Any] | None = self.root
        required = False
        for part in _parts(path):
            parent = _resolve(node) if node is not None else {}
            if part == "[]":
                node, required = parent.get("items"), False
            else:
                node, required = parent.get("properties", {}).get(part), part in parent.get("required", [])
            if node is None:
                return None, False
        return node, required

    def paths(self) -> set[str]:
        """Every field path of the manifest object, references as leaves."""
        found: set[str] = set()

        def walk(node: dict[str, Any], prefix: str) -> None:
            if _reference_target(node):
                return
            node = _resolve(node)
            if "items" in node:
                found.add(f"{prefix}[]")
                walk(node["items"], f"{prefix}[]")
            for name, sub in node.get("properties", {}).items():
                if "not" not in sub and name not in MANIFEST_ONLY:
                    path = f"{prefix}.{name}" if prefix else name
                    found.add(path)
                    walk(sub, path)

        walk(self.root, "")
        return found


def _manifest_facts(node: dict[str, Any], required: bool | None) -> dict[str, Any]:
    resolved = _resolve(node)
    # An object's own `required` lists its children; a field's required-ness is its parent's to say.
    out = {key: resolved[key] for key in KEYWORDS if key in resolved and key != "required"}
    if required is not None:
        out["required"] = required
    return out


def _translated(kind: Kind, spec_path: str) -> tuple[str, str]:
    """(manifest path, how to compare): `field`, `reference` (the `{id}` object) or `id` (the id inside)."""
    for reference in kind.references:
        wire = reference.wire_path
        if reference.bare and spec_path == wire:
            return reference.path, "bare"
        if not reference.bare and spec_path == wire:
            return reference.path, "reference"
        if not reference.bare and spec_path == f"{wire}.id":
            return reference.path, "id"
    return spec_path, "field"


Disagreement = tuple[str, str, str, Any, Any]


def _compare_field(walk: Walk, spec_path: str, spec: dict[str, Any]) -> list[Disagreement]:
    kind = walk.kind
    path, how = _translated(kind, spec_path)
    node, required = walk.node(path)
    if node is None:
        return [(kind.name, path, "present", True, False)]
    if how in ("reference", "bare", "id"):
        target = _reference_target(node)
        if target is None:
            return [(kind.name, path, "reference", True, False)]
        literal_id = _resolve({"$ref": "#/$defs/literalId"})["properties"]["id"]
        pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
        if how in ("reference", "bare"):
            pairs.append(({"required": spec.get("required")}, {"required": required if "required" in spec else None}))
        if how in ("bare", "id"):
            pairs.append(({k: v for k, v in spec.items() if k != "required"}, _manifest_facts(literal_id, None)))
    else:
        pairs = [(spec, _manifest_facts(node, required if "required" in spec else None))]
    out = []
    for theirs, ours in pairs:
        for keyword in KEYWORDS:
            if theirs.get(keyword) != ours.get(keyword):
                out.append((kind.name, path, keyword, theirs.get(keyword), ours.get(keyword)))
    return out


def _compare_shape(kind: Kind, shape: dict[str, Any], inherited: dict[str, Any]) -> list[Disagreement]:
    fields = {**inherited, **shape["fields"]}
    if "oneOf" in shape:
        return [found for branch in shape["oneOf"] for found in _compare_shape(kind, branch, fields)]
    discriminator = next(
        (
            (path, spec["enum"][0])
            for path, spec in fields.items()
            if "." not in path and len(spec.get("enum", [])) == 1
        ),
        None,
    )
    walk = Walk(kind, discriminator)
    fields = {path: spec for path, spec in fields.items() if path.split(".")[0] not in kind.server_fields}
    out = [found for path, spec in fields.items() for found in _compare_field(walk, path, spec)]
    declared = {_translated(kind, path)[0] for path in fields}
    out += [(kind.name, path, "present", False, True) for path in walk.paths() - declared]
    return out


def disagreements() -> dict[tuple[str, str, str], tuple[Any, Any]]:
    """(kind, manifest path, keyword) -> (the spec's value, the manifest's) over every create and update body."""
    operations = facts()["operations"]
    found: dict[tuple[str, str, str], tuple[Any, Any]] = {}
    for kind in KINDS:
        for key in (f"POST {kind.api_path}", f"PUT {kind.api_path}/{{id}}"):
            for name, path, keyword, theirs, ours in _compare_shape(kind, operations[key]["requestBody"], {}):
                found[(name, path, keyword)] = (theirs, ours)
    return found


def test_manifest_schema_agrees_with_the_spec_on_every_request_field() -> None:
    unexplained = {key: values for key, values in disagreements().items() if key not in DELIBERATE}
    assert unexplained == {}, "(kind, path, keyword): (spec, manifest)"


def test_every_deliberate_difference_is_still_a_difference() -> None:
    assert set(DELIBERATE) - set(disagreements()) == set()


def test_the_walk_sees_the_fields_the_spec_forces() -> None:
    paths = Walk(next(kind for kind in KINDS if kind.name == "channels")).paths()
    assert "restrictions.outbound.customerServiceWindow.durationMinutes" in paths
    assert _translated(KINDS[4], "applications.botConfiguration.bots[].id") == (
        "applications.botConfiguration.bots[].application",
        "bare",
    )

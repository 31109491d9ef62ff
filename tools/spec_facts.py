"""Facts of eGain's OpenAPI source for the six setup resources, as `tests/contract/egain-spec-facts.json`.

Reads `../shared/egain-oas/` (resolving `$ref`s across its files) and keeps only facts: per
operation its method and path, permissions and scopes, documented status codes and the eGain
error codes of their examples, and every request-body field (dotted path, `[]` for list items)
with its type and constraints; plus the rate-limit plans of `sla.yaml`. No description or
example text is carried over. `--check` exits 1 when the checked-in file differs.

    python tools/spec_facts.py [--spec DIR] [--out FILE] [--check]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO.parent / "shared" / "egain-oas"
OUT = REPO / "tests" / "contract" / "egain-spec-facts.json"
API = Path("published/conversation/conversationmgr/v3/api.yaml")
SLA = Path("published/conversation/conversationmgr/v3/sla.yaml")
RESOURCES = ("authentications", "clientapplications", "participants", "channels", "orchestrations", "accounts")
METHODS = ("get", "post", "put", "delete")
# Constraint keywords kept as they are; `type`, `required`, `items`, `properties` and `oneOf` are walked.
CONSTRAINTS = (
    "default",
    "enum",
    "format",
    "maxItems",
    "maxLength",
    "maximum",
    "minItems",
    "minLength",
    "minimum",
    "pattern",
    "uniqueItems",
)


class Spec:
    """The spec's YAML files, loaded on first use; `resolve` follows `$ref` chains across them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[Path, Any] = {}

    def load(self, path: Path) -> Any:
        path = path.resolve()
        if path not in self.files:
            self.files[path] = yaml.safe_load(path.read_text("utf-8"))
        return self.files[path]

    def resolve(self, node: Any, file: Path) -> tuple[Any, Path]:
        """`node` with every leading `$ref` followed, and the file the result lives in."""
        while isinstance(node, dict) and "$ref" in node:
            target, _, pointer = str(node["$ref"]).partition("#")
            file = (file.parent / target).resolve() if target else file
            node = self.load(file)
            for part in pointer.strip("/").split("/") if pointer.strip("/") else []:
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return node, file


def merged(spec: Spec, node: Any, file: Path) -> tuple[dict[str, Any], Path]:
    """A schema with its `allOf` parts merged (properties and required united); oneOf stays as branches."""
    node, file = spec.resolve(node, file)
    out: dict[str, Any] = {key: value for key, value in node.items() if key != "allOf"}
    out["properties"] = {name: (sub, file) for name, sub in node.get("properties", {}).items()}
    out["required"] = list(node.get("required", []))
    if "oneOf" in node:
        out["oneOf"] = [(branch, file) for branch in node["oneOf"]]
    for part in node.get("allOf", []):
        sub, _ = merged(spec, part, file)
        out["properties"].update(sub["properties"])
        out["required"] += [name for name in sub["required"] if name not in out["required"]]
        for key, value in sub.items():
            if key not in ("properties", "required"):
                out.setdefault(key, value)
    return out, file


def shape(spec: Spec, node: Any, file: Path) -> dict[str, Any]:
    """`{"fields": {path: facts}}` for an object schema, plus `"oneOf": [shape, ...]` when it branches."""
    schema, file = merged(spec, node, file)
    fields: dict[str, Any] = {}
    _walk(spec, schema, file, "", fields)
    out: dict[str, Any] = {"fields": fields}
    if "oneOf" in schema:
        out["oneOf"] = [shape(spec, branch, branch_file) for branch, branch_file in schema["oneOf"]]
    return out


def _walk(spec: Spec, schema: dict[str, Any], file: Path, prefix: str, fields: dict[str, Any]) -> None:
    for name, (sub, sub_file) in schema["properties"].items():
        path = f"{prefix}.{name}" if prefix else name
        child, child_file = merged(spec, sub, sub_file)
        fields[path] = _facts(child, required=name in schema["required"])
        _descend(spec, child, child_file, path, fields)


def _descend(spec: Spec, schema: dict[str, Any], file: Path, path: str, fields: dict[str, Any]) -> None:
    if schema.get("properties"):
        _walk(spec, schema, file, path, fields)
    if "items" in schema:
        items, items_file = merged(spec, schema["items"], file)
        fields[f"{path}[]"] = _facts(items, required=None)
        _descend(spec, items, items_file, f"{path}[]", fields)
    if "oneOf" in schema:
        fields[path]["oneOf"] = [shape(spec, branch, branch_file) for branch, branch_file in schema["oneOf"]]


def _facts(schema: dict[str, Any], required: bool | None) -> dict[str, Any]:
    facts = {key: schema[key] for key in CONSTRAINTS if key in schema}
    if "type" in schema:
        facts["type"] = schema["type"]
    elif schema.get("properties"):
        facts["type"] = "object"
    if required is not None:
        facts["required"] = required
    return facts


def _error_codes(spec: Spec, response: Any, file: Path) -> list[str]:
    response, file = spec.resolve(response, file)
    codes = set()
    for media in response.get("content", {}).values():
        for example in media.get("examples", {}).values():
            example, _ = spec.resolve(example, file)
            code = example.get("value", {}).get("code") if isinstance(example.get("value"), dict) else None
            if code:
                codes.add(str(code))
    return sorted(codes)


def _operation(spec: Spec, api: dict[str, Any], path: str, method: str, operation: dict[str, Any]) -> dict[str, Any]:
    api_file = spec.root / API
    facts: dict[str, Any] = {
        "method": method.upper(),
        "path": path,
        "operationId": operation.get("operationId"),
        "permissions": sorted(operation.get("x-egain-app-permissions", [])),
        "scopes": sorted(
            scope
            for entry in operation.get("security", api["security"])
            for scopes in entry.values()
            for scope in scopes
        ),
        "responses": {
            str(status): _error_codes(spec, response, api_file) for status, response in operation["responses"].items()
        },
    }
    parameters = [spec.resolve(p, api_file)[0] for p in operation.get("parameters", [])]
    if parameters:
        facts["parameters"] = {
            p["name"]: {"in": p["in"], "required": bool(p.get("required"))} | _facts(p["schema"], None)
            for p in parameters
        }
    if "requestBody" in operation:
        body, body_file = spec.resolve(operation["requestBody"], api_file)
        [media] = body["content"].values()
        facts["requestBody"] = shape(spec, media["schema"], body_file)
    return facts


def derive(root: Path = SPEC) -> dict[str, Any]:
    """The facts of the spec at `root`."""
    spec = Spec(root)
    api = spec.load(root / API)
    operations = {}
    for path, item in api["paths"].items():
        if path.strip("/").split("/")[0] not in RESOURCES:
            continue
        for method in METHODS:
            if method in item:
                operations[f"{method.upper()} {path}"] = _operation(spec, api, path, method, item[method])
    schemes = api["components"]["securitySchemes"]
    sla = spec.load(root / SLA)
    return {
        "source": str(API),
        "operations": operations,
        "securitySchemes": {
            name: {
                "type": scheme["type"],
                "flows": {
                    flow: {"tokenUrl": spec_flow.get("tokenUrl"), "scopes": sorted(spec_flow.get("scopes", {}))}
                    for flow, spec_flow in scheme.get("flows", {}).items()
                },
            }
            for name, scheme in schemes.items()
        },
        "rateLimits": {name: {"rates": plan["rates"], "quotas": plan["quotas"]} for name, plan in sla["plans"].items()},
    }


def render(facts: dict[str, Any]) -> str:
    return json.dumps(facts, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=SPEC, help="the egain-oas folder (default: ../shared/egain-oas)")
    parser.add_argument("--out", type=Path, default=OUT, help="the facts file to write or check")
    parser.add_argument("--check", action="store_true", help="exit 1 when the facts file differs from the spec")
    args = parser.parse_args(argv)
    if not (args.spec / API).exists():
        print(f"error: {args.spec / API}: not found; pass --spec", file=sys.stderr)
        return 1
    text = render(derive(args.spec))
    if args.check:
        current = args.out.read_text("utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out}: differs from the spec; run python tools/spec_facts.py", file=sys.stderr)
            return 1
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Builds `schemas/manifest.schema.json` and `schemas/plan.schema.json` from KINDS and hand-written fragments.

What depends on the kind table is generated: the manifest's top-level kind lists, `ignore`'s
and `scope`'s per-kind globs, the `<kind>Reference` definitions and the plan's kind enum.
Everything else is written by hand in `schemas/fragments/`: `manifest.json` (the document shell
and shared definitions), one `<kind>.json` per kind (its object under `$defs.<singular>` plus
helpers it alone uses) and `plan.json`. `python -m egain_provision.schemagen --write` regenerates the
schemas (`make schemas`); `--check` exits 1 when a checked-in schema differs from its source.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from egain_provision.kinds import KINDS, Kind
from egain_provision.model import EVERY_KIND
from egain_provision.schemas import EXPRESSION

# `data` is the package's link to the repository's `schemas/` folder.
SCHEMAS = (Path(__file__).parent / "data").resolve()
FRAGMENTS = SCHEMAS / "fragments"


# Keywords an expression string would fail, and annotations that stay on the wrapper for editors.
_TYPED = ("enum", "pattern")
_TYPED_TYPES = ("integer", "number", "boolean")
_ANNOTATIONS = ("description", "default", "examples")
# Where subschemas sit; `if` and `not` are left alone (they test values, they do not declare fields).
_SUBSCHEMA_MAPS = ("properties", "$defs")
_SUBSCHEMA_LISTS = ("oneOf", "anyOf", "allOf")
_SUBSCHEMA_ONE = ("items", "then", "else")


class FragmentError(Exception):
    """A fragment is missing or does not define what the kind table needs."""


def _fragment(name: str) -> dict[str, Any]:
    path = FRAGMENTS / f"{name}.json"
    try:
        loaded: dict[str, Any] = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise FragmentError(f"{path}: missing; every kind in kinds.py needs a schema fragment") from None
    return loaded


def _plural_title(kind: Kind) -> str:
    """`Client Application` -> `Client applications`."""
    return kind.title[0] + kind.title[1:].lower() + "s"


def _article(word: str) -> str:
    return "An" if word[0].lower() in "aeiou" else "A"


def _reference_def(kind: Kind) -> dict[str, Any]:
    key = kind.natural_key
    return {
        "description": f"{_article(kind.title)} {kind.title}: its {key} (declared in these manifests or present in "
        "the tenant), or a literal {id: <uuid>}.",
        "oneOf": [
            {
                "type": "string",
                "description": f"The {key} of {_article(kind.title).lower()} {kind.title}.",
                "minLength": 1,
            },
            {"$ref": "#/$defs/literalId"},
        ],
    }


def _kind_defs(kind: Kind) -> dict[str, Any]:
    defs: dict[str, Any] = _fragment(kind.name).get("$defs", {})
    if kind.singular not in defs:
        raise FragmentError(f"{FRAGMENTS / kind.name}.json: defines no $defs.{kind.singular} (the {kind.title} object)")
    return defs


def _typed(schema: dict[str, Any]) -> bool:
    """Whether an expression string would fail `schema`: a non-string type, an enum, a pattern, a long minimum."""
    return (
        schema.get("type") in _TYPED_TYPES
        or any(key in schema for key in _TYPED)
        or (schema.get("type") == "string" and schema.get("minLength", 0) > 1)
    )


def accept_expressions(schema: Any) -> Any:
    """`schema` with every typed value also accepting a `${...}` string (`anyOf: [X, expression]`)."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    for key in _SUBSCHEMA_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = {
                name: sub if f"#/$defs/{name}" == EXPRESSION else accept_expressions(sub)
                for name, sub in out[key].items()
            }
    for key in _SUBSCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [accept_expressions(sub) for sub in out[key]]
    for key in _SUBSCHEMA_ONE:
        if key in out:
            out[key] = accept_expressions(out[key])
    if not _typed(out):
        return out
    annotations = {key: out.pop(key) for key in _ANNOTATIONS if key in out}
    return {**annotations, "anyOf": [out, {"$ref": EXPRESSION}]}


def manifest_schema(kinds: Sequence[Kind] = KINDS, *, expressions: bool = True) -> dict[str, Any]:
    """The manifest schema: the shell fragment, plus per kind its list, its ignore and scope globs and its definitions.

    With `expressions` (as checked in, for editors) typed values also accept a `${...}` string.
    """
    schema = _fragment("manifest")
    properties = schema["properties"]
    properties["ignore"]["properties"] = {
        kind.name: {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "description": f"Globs (fnmatch) over {kind.name} natural keys.",
        }
        for kind in kinds
    }
    # A scope glob, or an exclusion ("!glob"): a lone "!" excludes nothing and is refused.
    scope_glob = {"type": "string", "minLength": 1, "not": {"const": "!"}}
    exclusions = ' An entry written "!glob" is an exclusion: keys it matches are never owned ("!team-a-b-*").'
    properties["scope"]["properties"] = {
        EVERY_KIND: {
            "type": "array",
            "items": scope_glob,
            "description": "Globs (fnmatch) over the natural keys of every kind that has no entry of its own here."
            + exclusions,
        },
        **{
            kind.name: {
                "type": "array",
                "items": scope_glob,
                "description": f"Globs (fnmatch) over the {kind.name} these manifests own, by {kind.natural_key}; "
                'replaces "*" for this kind ([] owns none).' + exclusions,
            }
            for kind in kinds
        },
    }
    markable = _markable(kinds)
    if markable:
        properties["sensitive"] = {
            "type": "object",
            "description": "More name/value item names whose values are secrets: masked in every output, never in a "
            "saved plan, exported as ${env:...} placeholders.",
            "properties": markable,
            "additionalProperties": False,
        }
    for step, kind in enumerate(kinds, start=1):
        properties[kind.name] = {
            "type": "array",
            "description": f"{_plural_title(kind)} (setup step {step}).",
            "items": {"$ref": f"#/$defs/{kind.singular}"},
        }
    targets = {reference.target for kind in kinds for reference in kind.references}
    defs = schema["$defs"]
    defs.update({f"{kind.singular}Reference": _reference_def(kind) for kind in kinds if kind.name in targets})
    for kind in kinds:
        defs.update(_kind_defs(kind))
    return accept_expressions(schema) if expressions else schema


def _markable(kinds: Sequence[Kind]) -> dict[str, Any]:
    """`sensitive:`'s lists: one per name/value list the kind table knows secret items of."""
    built_in: dict[str, list[str]] = {}
    for kind in kinds:
        for items in kind.secret_items:
            built_in.setdefault(items.list_path, []).extend(f"{kind.name} {name}" for name in items.names)
    return {
        list_path: {
            "type": "array",
            "items": {"type": "string", "minLength": 1, "maxLength": 255},
            "uniqueItems": True,
            "description": f"Item names of `{list_path}` lists whose values are secret (always: {', '.join(names)}).",
        }
        for list_path, names in sorted(built_in.items())
    }


def plan_schema(kinds: Sequence[Kind] = KINDS) -> dict[str, Any]:
    """The plan schema: its fragment with the kind enum filled in, in setup order."""
    schema = _fragment("plan")
    schema["$defs"]["kind"]["enum"] = [kind.name for kind in kinds]
    return schema


def rendered() -> dict[str, str]:
    """File name -> the text it must hold."""
    return {
        f"{which}.schema.json": json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
        for which, build in (("manifest", manifest_schema), ("plan", plan_schema))
    }


def stale(files: dict[str, str], directory: Path = SCHEMAS) -> list[str]:
    """The schema files in `directory` that differ from `files` (as `rendered()` gives them)."""
    out = []
    for name, text in files.items():
        path = directory / name
        if not path.exists() or path.read_text("utf-8") != text:
            out.append(str(path))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m egain_provision.schemagen", description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="regenerate the schemas in schemas/")
    action.add_argument("--check", action="store_true", help="exit 1 when a schema differs from its source")
    args = parser.parse_args(argv)
    try:
        files = rendered()
    except FragmentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.write:
        for name, text in files.items():
            (SCHEMAS / name).write_text(text, "utf-8")
        return 0
    outdated = stale(files)
    for path in outdated:
        print(f"{path}: out of date; run `make schemas`", file=sys.stderr)
    return 1 if outdated else 0


if __name__ == "__main__":
    sys.exit(main())

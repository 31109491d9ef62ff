"""Shape checks against `schemas/manifest.schema.json`, with messages written for people.

Validators are built once per process: one for a document's top level (the kind lists only as
arrays) and one per kind, applied object by object, so each error maps straight to its object.
jsonschema's own messages quote the offending value, which may be a secret; every message
here is composed from the schema instead, and a value is quoted only when it is not sensitive.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from egain_provision.errors import SchemaError
from egain_provision.kinds import SETUP_ORDER
from egain_provision.manifest.fastcheck import Check, Unsupported, compile_schema
from egain_provision.paths import join_path
from egain_provision.schemas import interpolated, load_schema
from egain_provision.sensitive import CREDENTIAL_NAME

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

_JSON_TYPES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


@dataclass(frozen=True)
class Problem:
    """One schema violation: `path` is concrete and relative to the validated value."""

    path: str
    message: str
    hint: str | None
    at_key: bool = False


@dataclass
class Validator:
    """jsonschema for the errors, and a compiled yes/no check (when possible) for the fast path.

    jsonschema is imported and built on the first value the fast check rejects: valid manifests
    never need it, and importing it is most of a small `validate`'s start-up.
    """

    rules: dict[str, Any]
    fast: Check | None
    _schema: Draft202012Validator | None = field(default=None, init=False, repr=False)

    @property
    def schema(self) -> Draft202012Validator:
        """The jsonschema validator of `rules`, the authority for every reported error."""
        if self._schema is None:
            from jsonschema import Draft202012Validator

            self._schema = Draft202012Validator(self.rules)
        return self._schema

    def problems(self, value: Any, is_sensitive: Callable[[str], bool]) -> list[Problem]:
        if self.fast is not None and self.fast(value):
            return []
        return _problems(self.schema, value, is_sensitive)


@dataclass(frozen=True)
class Validators:
    """The document-level validator and one validator per kind."""

    document: Validator
    kinds: dict[str, Validator]


@cache
def validators() -> Validators:
    """Built once: compiling the schema costs more than validating a small manifest."""
    return build_validators(manifest_rules(), SETUP_ORDER)


@cache
def manifest_rules() -> dict[str, Any]:
    """The manifest schema as the loader applies it: after interpolation, so without the expression alternatives."""
    rules: dict[str, Any] = interpolated(load_schema("manifest"))
    return rules


def build_validators(schema: dict[str, Any], kind_names: Sequence[str]) -> Validators:
    """Validators of `schema` for the kinds named; SchemaError when the schema lacks one of them."""
    missing = [kind for kind in kind_names if "items" not in schema["properties"].get(kind, {})]
    if missing:
        raise SchemaError(
            f"the manifest schema has no part for kind {', '.join(map(repr, missing))}",
            hint="regenerate the schema from kinds.py and schemas/fragments/ with `make schemas`",
        )
    shell = copy.deepcopy(schema)
    for kind in kind_names:
        shell["properties"][kind] = {"type": "array", "description": schema["properties"][kind]["description"]}
    kinds = {
        kind: _validator(
            {"$schema": schema["$schema"], "$defs": schema["$defs"], **schema["properties"][kind]["items"]}
        )
        for kind in kind_names
    }
    return Validators(_validator(shell), kinds)


def _validator(schema: dict[str, Any]) -> Validator:
    try:
        fast: Check | None = compile_schema(schema, schema)
    except Unsupported:
        fast = None
    return Validator(schema, fast)


def document_problems(document: Any, is_sensitive: Callable[[str], bool]) -> list[Problem]:
    """Problems of a manifest document's top level (the objects in its kind lists excluded)."""
    return validators().document.problems(document, is_sensitive)


def object_problems(kind: str, value: Any, is_sensitive: Callable[[str], bool]) -> list[Problem]:
    """Problems of one declared object of `kind`; paths are relative to the object."""
    return validators().kinds[kind].problems(value, is_sensitive)


def _problems(validator: Draft202012Validator, value: Any, is_sensitive: Callable[[str], bool]) -> list[Problem]:
    found: list[tuple[str, Problem]] = []
    seen: set[tuple[str, str]] = set()
    mistyped: set[str] = set()
    for error in validator.iter_errors(value):
        if error.validator == "type":
            mistyped.add(concrete_path(error.absolute_path))
        for problem in _explain(error, is_sensitive):
            key = (problem.path, problem.message)
            if key not in seen:
                seen.add(key)
                found.append((str(error.validator), problem))
    # A value of the wrong type fails its enum, length and pattern too; the type is the one to fix.
    return [problem for keyword, problem in found if keyword == "type" or problem.path not in mistyped]


def concrete_path(parts: Any) -> str:
    """jsonschema's path deque as `a.b[0].c`."""
    path = ""
    for part in parts:
        path = join_path(path, part)
    return path


def _explain(error: ValidationError, is_sensitive: Callable[[str], bool]) -> Iterator[Problem]:
    """One jsonschema error in words for people, by its keyword (`_EXPLAINERS`)."""
    path = concrete_path(error.absolute_path)
    failure = _Failure(
        error=error,
        keyword=str(error.validator),
        path=path,
        schema=error.schema if isinstance(error.schema, dict) else {},
        value=error.validator_value,
        instance=error.instance,
        shown=_shown(error.instance, is_sensitive(path)),
        is_sensitive=is_sensitive,
    )
    explain = _EXPLAINERS.get(failure.keyword, _not_valid)
    yield from explain(failure)


@dataclass(frozen=True)
class _Failure:
    """One jsonschema error as `_explain` reads it: `value` is the keyword's value in the schema,
    `shown` the quotable form of the instance (None when it is sensitive or not a scalar)."""

    error: ValidationError
    keyword: str
    path: str
    schema: dict[str, Any]
    value: Any
    instance: Any
    shown: str | None
    is_sensitive: Callable[[str], bool]

    def problem(self, message: str) -> Problem:
        """A problem at the error's path, hinted by the schema's description."""
        return Problem(self.path, message, _description(self.schema))


def _required(f: _Failure) -> Iterator[Problem]:
    for name in f.value:
        if isinstance(f.instance, dict) and name not in f.instance:
            yield Problem(f.path, f"missing required field {name!r}", _field_hint(f.schema, name))


def _additional_properties(f: _Failure) -> Iterator[Problem]:
    allowed = sorted(f.schema.get("properties", {}))
    for name in f.instance:
        if name not in allowed:
            close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"allowed here: {', '.join(allowed)}"
            yield Problem(join_path(f.path, name), f"unknown field {name!r}", hint, at_key=True)


def _type(f: _Failure) -> Iterator[Problem]:
    problem = _type_problem(f.path, f.value, f.instance, f.schema)
    accepted = _accepted_form(f)
    yield Problem(problem.path, problem.message, accepted) if accepted else problem


def _enum(f: _Failure) -> Iterator[Problem]:
    listed = ", ".join(_literal(option) for option in f.value)
    yield Problem(f.path, f"{f.shown or 'value'} is not one of: {listed}", _enum_hint(f) or _description(f.schema))


def _enum_hint(f: _Failure) -> str | None:
    """`did you mean 'POST'? write method: POST` for another case, a typo or the wrong type of a listed value."""
    if f.shown is None or not isinstance(f.value, list):
        return None
    options = [_literal(option) for option in f.value]
    given = _literal(f.instance)
    same_case = [option for option in options if option.lower() == given.lower()]
    close = same_case or difflib.get_close_matches(given.lower(), [o.lower() for o in options], n=1)
    if not close:
        return None
    meant = next(option for option in options if option.lower() == close[0].lower())
    return f"did you mean {meant!r}? write {_field_name(f.path)}: {meant}"


def _accepted_form(f: _Failure) -> str | None:
    """The accepted form of a value of the wrong type: an enum's member, a name/value list, a literal id."""
    if "enum" in f.schema:
        listed = ", ".join(_literal(option) for option in f.schema["enum"])
        return _enum_hint(replace(f, value=f.schema["enum"])) or f"write one of: {listed}"
    field = _field_name(f.path)
    items = f.schema.get("items")
    if isinstance(f.instance, dict) and isinstance(items, dict) and items.get("$ref") == "#/$defs/nameValue":
        return f"write a list of name/value items: {field}: [{_as_items(f)}]"
    required = f.schema.get("required")
    if f.value == "object" and required == ["id"] and f.shown is not None and not isinstance(f.instance, bool):
        return f'write {field}: {{id: "{_literal(f.instance)}"}}'
    return None


def _as_items(f: _Failure) -> str:
    """A mapping of headers in list form; a value is shown only where it cannot be a credential."""
    shown = []
    for name, value in list(f.instance.items())[:3]:
        plain = isinstance(value, str | int | float) and not CREDENTIAL_NAME.search(str(name))
        visible = plain and not f.is_sensitive(join_path(f.path, str(name)))
        shown.append(f"{{name: {name}, value: {_literal(value) if visible else '...'}}}")
    return ", ".join(shown + (["..."] if len(f.instance) > 3 else []))


def _field_name(path: str) -> str:
    """The last field name of a path (`roles[0].version` -> `version`)."""
    return path.rsplit(".", 1)[-1].split("[", 1)[0] or "value"


def _const(f: _Failure) -> Iterator[Problem]:
    yield f.problem(f"must be {_literal(f.value)}, not {f.shown or 'this value'}")


def _min_length(f: _Failure) -> Iterator[Problem]:
    yield f.problem("must not be empty" if f.value == 1 else f"is too short: at least {f.value} characters")


def _max_length(f: _Failure) -> Iterator[Problem]:
    yield f.problem(f"is too long: {len(f.instance)} characters, at most {f.value}")


def _min_items(f: _Failure) -> Iterator[Problem]:
    yield f.problem(f"needs at least {f.value} item{'s' if f.value != 1 else ''} (has {len(f.instance)})")


def _max_items(f: _Failure) -> Iterator[Problem]:
    yield f.problem(f"allows at most {f.value} item{'s' if f.value != 1 else ''} (has {len(f.instance)})")


_RELATIONS = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}


def _bound(f: _Failure) -> Iterator[Problem]:
    yield f.problem(f"must be {_RELATIONS[f.keyword]} {f.value}")


def _pattern(f: _Failure) -> Iterator[Problem]:
    yield f.problem(f"{f.shown or 'value'} is not a valid {_format_name(f.schema)}")


def _unique_items(f: _Failure) -> Iterator[Problem]:
    yield Problem(f.path, "lists the same item more than once", "remove the duplicates")


def _not(f: _Failure) -> Iterator[Problem]:
    yield f.problem(f"field {f.path.rsplit('.', 1)[-1]!r} is not allowed here")


def _any_of(f: _Failure) -> Iterator[Problem]:
    if all(set(branch) == {"required"} for branch in f.value):
        names = " or ".join(name for branch in f.value for name in branch["required"])
        yield f.problem(f"needs {names}")
    else:
        yield from _one_of(f)


def _one_of(f: _Failure) -> Iterator[Problem]:
    yield from _alternatives(f.error, f.path, f.is_sensitive)


def _not_valid(f: _Failure) -> Iterator[Problem]:
    yield f.problem(f"is not valid ({f.keyword})")


# How each JSON Schema keyword's failure is put into words; any other keyword gets `_not_valid`.
_EXPLAINERS: dict[str, Callable[[_Failure], Iterator[Problem]]] = {
    "required": _required,
    "additionalProperties": _additional_properties,
    "type": _type,
    "enum": _enum,
    "const": _const,
    "minLength": _min_length,
    "maxLength": _max_length,
    "minItems": _min_items,
    "maxItems": _max_items,
    **dict.fromkeys(_RELATIONS, _bound),
    "pattern": _pattern,
    "uniqueItems": _unique_items,
    "not": _not,
    "anyOf": _any_of,
    "oneOf": _one_of,
}


def _alternatives(error: ValidationError, path: str, is_sensitive: Callable[[str], bool]) -> Iterator[Problem]:
    """For `string | {id}` references: explain the branch matching the value's type, else both types."""
    branches = error.validator_value
    kinds = [_JSON_TYPES.get(str(_branch_type(branch)), "a value") for branch in branches]
    instance_type = _json_type(error.instance)
    for index, branch in enumerate(branches):
        if _branch_type(branch) == instance_type:
            for sub in error.context or []:
                if sub.schema_path and sub.schema_path[0] == index:
                    yield from _explain(sub, is_sensitive)
            return
    schema = error.schema if isinstance(error.schema, dict) else {}
    yield Problem(path, f"expected {' or '.join(kinds)}, got {_JSON_TYPES[instance_type]}", _description(schema))


def _branch_type(branch: Any) -> str | None:
    if not isinstance(branch, dict):
        return None
    if "type" in branch:
        return str(branch["type"])
    if "$ref" in branch:
        target = str(branch["$ref"]).rsplit("/", 1)[-1]
        resolved = manifest_rules()["$defs"].get(target, {})
        return str(resolved.get("type")) if "type" in resolved else None
    return None


def _type_problem(path: str, expected: Any, instance: Any, schema: dict[str, Any]) -> Problem:
    wanted = [expected] if isinstance(expected, str) else list(expected)
    got = _json_type(instance)
    message = f"expected {' or '.join(_JSON_TYPES.get(w, w) for w in wanted)}, got {_JSON_TYPES[got]}"
    hint = _description(schema)
    if "string" in wanted and got in ("integer", "number", "boolean"):
        hint = 'quote the value so YAML reads it as text, e.g. "123"'
    elif got == "null":
        hint = "give it a value, or remove the field"
    return Problem(path, message, hint)


def _json_type(instance: Any) -> str:
    if instance is None:
        return "null"
    if isinstance(instance, bool):
        return "boolean"
    if isinstance(instance, int):
        return "integer"
    if isinstance(instance, float):
        return "number"
    if isinstance(instance, str):
        return "string"
    if isinstance(instance, list):
        return "array"
    return "object"


def _shown(instance: Any, sensitive: bool) -> str | None:
    """A short quotable form of a scalar value, or None when it must not (or cannot) be shown."""
    if sensitive or isinstance(instance, dict | list):
        return None
    text = repr(instance) if isinstance(instance, str) else _literal(instance)
    return text if len(text) <= 80 else text[:77] + "...'"


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def _description(schema: dict[str, Any]) -> str | None:
    description = schema.get("description")
    return str(description) if description else None


def _field_hint(schema: dict[str, Any], name: str) -> str | None:
    field_schema = schema.get("properties", {}).get(name)
    if isinstance(field_schema, dict):
        described = _description(field_schema)
        if described is None and "$ref" in field_schema:
            target = str(field_schema["$ref"]).rsplit("/", 1)[-1]
            described = _description(manifest_rules()["$defs"].get(target, {}))
        if described:
            return f"add {name}: {described}"
    return f"add {name}:"


def _format_name(schema: dict[str, Any]) -> str:
    return {"uri": "http(s) URL", "email": "email address"}.get(str(schema.get("format")), "value")

"""The live tenant as manifests (`egain-provision export`).

The same live -> manifest conversion the differ uses (normalize.live_to_manifest), so a plan
right after an export has nothing to change. Output is deterministic: objects sorted by natural
key, keys in a fixed order, secrets replaced by `${env:...}` placeholders with derived names.

Variable and file names come from natural keys, which may differ only where a name cannot
(`a-b` and `a_b`, `Bot` and `bot`, `café` and `cafe`): each name is its key's slug, and when two
objects' slugs meet, both get `__` and a hash of their exact key. A slug never holds `__`, so a
hashed name never meets a plain one, and the names depend on the tenant's objects, not the order
they are listed in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import yaml

from egain_provision.kinds import KINDS_BY_NAME, SETUP_ORDER, Kind, literal_id
from egain_provision.live import LiveObject, LiveState
from egain_provision.normalize import is_masked, known_only, live_to_manifest
from egain_provision.paths import get_concrete, get_path, set_concrete
from egain_provision.references import iter_references
from egain_provision.sensitive import secret_paths

# What a name stands for: (kind, natural key, secret label) for a variable, (folder, natural key) for a file.
Identity = TypeVar("Identity", bound=tuple[str, ...])
_FILE_TYPES = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpg"), (b"GIF8", "gif"), (b"<svg", "svg"))


@dataclass
class Export:
    """What an export produces, before anything is written."""

    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    variables: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # Names still to choose (they depend on every exported object): secret placeholders, then side files.
    secrets: list[_Secret] = field(default_factory=list)
    side_files: list[_SideFile] = field(default_factory=list)


@dataclass(frozen=True)
class _Secret:
    """A secret field whose `${env:...}` variable is named once every object is known."""

    doc: dict[str, Any]
    path: str
    parts: tuple[str, str, str]  # kind, natural key, secret label
    masked: bool


@dataclass(frozen=True)
class _SideFile:
    """A base64 field written as a file, named once every object is known."""

    doc: dict[str, Any]
    field_name: str
    folder: str
    natural_key: str
    extension: str
    data: bytes


def env_name(kind: Kind, natural_key: str, path: str) -> str:
    """The placeholder variable of one secret field, e.g. EGAIN_VAR_AUTHENTICATION_BOT_CALLBACK_OAUTH2_PAYLOAD."""
    return "EGAIN_VAR_" + "_".join(slug(part).upper() for part in (kind.singular, natural_key, path))


def distinct_names(plain: Mapping[Identity, str], *, fold_case: bool = False) -> dict[Identity, str]:
    """Each identity's plain name, or `name__<hash of the identity>` for every identity whose name another shares.

    `fold_case` also counts names that differ only in case as shared (files on macOS and Windows).
    """
    holders: dict[str, int] = {}
    for name in plain.values():
        folded = name.lower() if fold_case else name
        holders[folded] = holders.get(folded, 0) + 1
    chosen: dict[Identity, str] = {}
    for identity, name in plain.items():
        if holders[name.lower() if fold_case else name] == 1:
            chosen[identity] = name
            continue
        digest = hashlib.sha256("\0".join(identity).encode("utf-8")).hexdigest()[:10]
        chosen[identity] = f"{name}__{digest.upper() if name.isupper() else digest}"
    return chosen


def _secret_label(doc: dict[str, Any], path: str) -> str:
    """A secret's name in its variable: its field path, or a secret item's list and name (`attributes.authToken`)."""
    if not path.endswith("]") and "[" in path:
        item = get_concrete(doc, path.rpartition(".")[0])
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            return f"{path.partition('[')[0]}.{item['name']}"
    return path


def slug(text: str) -> str:
    """A name as letters, digits and single underscores (`custom.a-b` -> `custom_a_b`); never holds `__`."""
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_") or "X"


def build_export(live: LiveState, kinds: Sequence[str], *, split_by_kind: bool) -> Export:
    """Manifest documents (file name -> document) and side files for the live objects of `kinds`."""
    export = Export()
    selected = [name for name in SETUP_ORDER if name in kinds]
    exported: dict[str, LiveObject] = {}
    by_kind: dict[str, list[LiveObject]] = {}
    for name in selected:
        chosen: list[LiveObject] = []
        for key in sorted({obj.natural_key for obj in live.of_kind(name)}):
            same = sorted(live.find(name, key), key=lambda obj: (obj.body.get("created") or "", obj.id))
            chosen.append(same[0])
            for other in same[1:]:
                export.warnings.append(
                    f"{name} {key!r} exists {len(same)} times; exported {same[0].id}, not {other.id} "
                    "(a manifest holds one object per name: rename or delete the extra one in the tenant)"
                )
        by_kind[name] = chosen
        exported.update({obj.id: obj for obj in chosen})

    def key_of_id(kind: str, object_id: str) -> str | None:
        obj = exported.get(object_id)
        return obj.natural_key if obj is not None and obj.kind == kind else None

    for name in selected:
        kind = KINDS_BY_NAME[name]
        items = [_manifest_object(kind, obj, key_of_id, live, export) for obj in by_kind[name]]
        export.counts[name] = len(items)
        if not items:
            continue
        document_name = f"{name}.yaml" if split_by_kind else "tenant.yaml"
        document = export.documents.setdefault(document_name, {"version": 1})
        document[name] = items
    _name_secrets(export)
    _name_side_files(export)
    return export


def _name_secrets(export: Export) -> None:
    """Each secret's `${env:...}` placeholder, one variable per object and field; `.env.example` lists each once."""
    plain: dict[tuple[str, str, str], str] = {
        secret.parts: env_name(KINDS_BY_NAME[secret.parts[0]], *secret.parts[1:]) for secret in export.secrets
    }
    names = distinct_names(plain)
    for secret in export.secrets:
        variable = names[secret.parts]
        set_concrete(secret.doc, secret.path, "${env:" + variable + "}")
        if secret.masked:
            export.warnings.append(f"{variable}: the tenant does not reveal this secret; set it from your vault")
    export.variables = sorted(set(names.values()))


def _name_side_files(export: Export) -> None:
    """Each side file's path, `folder/slug.ext`, one per object: distinct even where case is not."""
    plain: dict[tuple[str, str], str] = {
        (item.folder, item.natural_key): f"{item.folder}/{slug(item.natural_key)}" for item in export.side_files
    }
    stems = distinct_names(plain, fold_case=True)
    for item in export.side_files:
        relative = f"{stems[(item.folder, item.natural_key)]}.{item.extension}"
        export.files[relative] = item.data
        item.doc[item.field_name] = "${file:" + relative + "}"


def _manifest_object(kind: Kind, obj: LiveObject, key_of_id: Any, live: LiveState, export: Export) -> dict[str, Any]:
    known, unknown = known_only(kind, obj.body)
    for pattern in sorted(unknown):
        warning = f"tenant answers field {pattern} on {kind.name}; not exported (no manifest can declare it)"
        if warning not in export.warnings:
            export.warnings.append(warning)
    doc = _escape(live_to_manifest(kind, known, key_of_id))
    for reference, slot in iter_references(kind, doc, "manifest"):
        found = literal_id(slot.value)
        if found is not None:
            target = live.by_id.get(found)
            why = "is not exported" if target is not None else "does not exist in the tenant"
            export.warnings.append(
                f"{kind.name} {obj.natural_key!r}: {reference.path} points at {reference.target} id {found}, "
                f"which {why}; kept as a literal {{id}}"
            )
    for path, default in kind.defaults.items():
        if get_path(doc, path) == default:
            _delete_path(doc, path)
    doc = _ordered(doc, first=kind.natural_key)
    for path in secret_paths(kind, doc):
        value = get_concrete(doc, path)
        if value is not None:
            parts = (kind.name, obj.natural_key, _secret_label(doc, path))
            export.secrets.append(_Secret(doc, path, parts, is_masked(value)))
    for folder, field_name in kind.file_fields.items():
        _field_to_file(doc, field_name, folder, obj.natural_key, export)
    return doc


def _field_to_file(doc: dict[str, Any], field_name: str, folder: str, natural_key: str, export: Export) -> None:
    """A base64 field becomes a file referenced by ${file:...} when the bytes re-encode to the same text."""
    text = doc.get(field_name)
    if not isinstance(text, str):
        return
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return
    if base64.b64encode(data).decode("ascii") != text:
        return
    extension = next((ext for magic, ext in _FILE_TYPES if data.startswith(magic)), "bin")
    export.side_files.append(_SideFile(doc, field_name, folder, natural_key, extension, data))


def _escape(value: Any) -> Any:
    """`${` in a live string is literal text: escape it so the loader does not interpolate it."""
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, dict):
        return {key: _escape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_escape(item) for item in value]
    return value


def _ordered(value: Any, *, first: str | None = None) -> Any:
    """Keys sorted (the natural key first) so the same tenant always exports the same text."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda key: (key != first, key != "name", key))
        return {key: _ordered(value[key]) for key in keys}
    if isinstance(value, list):
        return [_ordered(item) for item in value]
    return value


def _delete_path(doc: dict[str, Any], path: str) -> None:
    parts = path.split(".")
    node: Any = doc
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(parts[-1], None)


class _Dumper(yaml.SafeDumper):
    """Block style, lists indented under their key, long strings never folded."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def dump_document(document: dict[str, Any], header: str) -> str:
    """A manifest document as YAML text, with a comment header."""
    body = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1_000_000)
    return header + body


def env_example(variables: Sequence[str]) -> str:
    """`.env.example`: the variable names the exported manifests expect, without values."""
    lines = ["# Secrets the exported manifests read with ${env:...}; set them from your secret store.\n"]
    lines += [f"{name}=\n" for name in variables]
    return "".join(lines)

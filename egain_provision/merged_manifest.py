"""Manifests -> one manifest document, as `render` prints it (decK's `file render`).

Every file's documents are merged, each kind's objects in setup order and, within a kind, in the
order the files list them; `${var:...}` and `${file:...}` are filled in. Secrets are never
printed: a `${env:...}` stays the expression it is, and a secret written literally (or filled in
from a variable) becomes a `${env:EGAIN_VAR_...}` placeholder named as `export` names them, so
the output, given those variables back, plans exactly as its sources do.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from egain_provision.export import dump_document, env_name
from egain_provision.kinds import KINDS_BY_NAME, SETUP_ORDER
from egain_provision.manifest.interpolate import Interpolator, has_expression
from egain_provision.manifest.loader import manifest_files
from egain_provision.manifest.yamlnodes import NodeReader, Positions, compose_documents, decode_text
from egain_provision.model import SourceLocation
from egain_provision.paths import get_concrete, set_concrete
from egain_provision.sensitive import opaque_paths, read_marks, secret_paths

# An `${env:...}` not escaped as `$${env:...}`: the value is read from the environment, so not printed.
_ENV_EXPRESSION = re.compile(r"(?<!\$)\$\{\s*env\s*:")
# The sections beside the kind lists, merged as glob or name lists per key.
_LISTED_SECTIONS = ("sensitive", "scope", "ignore")


def render_manifests(paths: Sequence[str | Path], variables: Mapping[str, str]) -> str:
    """The manifests at `paths` as one YAML document; call only once `load_manifests` found them valid."""
    interpolator = Interpolator(variables, os.environ)
    merged: dict[str, Any] = {"version": 1}
    for file in manifest_files(paths):
        for document in _documents(file, interpolator):
            _merge(merged, document)
    marks = read_marks(merged.get("sensitive"))
    for kind_name in SETUP_ORDER:
        for obj in merged.get(kind_name, []):
            _mask_secrets(kind_name, obj, marks)
    header = "# Rendered by egain-provision render: the manifests merged, variables filled in, secrets left unread.\n"
    return dump_document(merged, header)


def _documents(file: str, interpolator: Interpolator) -> list[Any]:
    """The values of `file`'s documents, strings filled in by `interpolator`."""
    text, _ = decode_text(file, Path(file).read_bytes())
    nodes, _ = compose_documents(file, text or "")
    base_dir = Path(file).parent

    def on_string(text: str, location: SourceLocation, path: str, plain: bool) -> Any:
        if not has_expression(text):
            return text
        return interpolator.fill(text, base_dir, plain=plain, glob=path.startswith(("scope.", "ignore.")))

    reader = NodeReader(file, on_string)
    return [reader.convert(node, "", Positions()) for node in nodes if node is not None]


def _merge(merged: dict[str, Any], document: Any) -> None:
    """Add one document's objects and sections to `merged`, in setup order."""
    if not isinstance(document, dict):
        return
    for section in _LISTED_SECTIONS:
        given = document.get(section)
        if isinstance(given, dict):
            target = merged.setdefault(section, {})
            for key, names in given.items():
                listed = target.setdefault(key, [])
                listed.extend(name for name in (names if isinstance(names, list) else [names]) if name not in listed)
    for kind_name in SETUP_ORDER:
        items = document.get(kind_name)
        if isinstance(items, list):
            merged.setdefault(kind_name, []).extend(items)
    # Kinds in setup order after the sections, whatever order the files gave.
    for kind_name in SETUP_ORDER:
        if kind_name in merged:
            merged[kind_name] = merged.pop(kind_name)


def _mask_secrets(kind_name: str, obj: Any, marks: Mapping[str, set[str]]) -> None:
    """Replace each secret (and credential-like header value) not already an `${env:...}` by a placeholder."""
    if not isinstance(obj, dict):
        return
    kind = KINDS_BY_NAME[kind_name]
    for path in [*secret_paths(kind, obj, marks), *opaque_paths(kind, obj)]:
        value = get_concrete(obj, path)
        if isinstance(value, str) and _ENV_EXPRESSION.search(value):
            continue
        set_concrete(obj, path, "${env:" + env_name(kind, str(obj.get(kind.natural_key, "")), path) + "}")

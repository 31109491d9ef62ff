"""Telling a manifest from the other YAML of a repository (CI files, variable files), for hooks that
are handed every changed `*.yaml`: `validate --only-manifests`.

A file is a manifest when one of its documents is a mapping with a top-level key of the manifest
schema (`version`, a kind list, `ignore`...). One whose every key is foreign (`jobs:`, `ENV:`)
is not. A file that cannot be read or parsed counts as a manifest, so validate reports why.
"""

from __future__ import annotations

from functools import cache

import yaml

from egain_provision.manifest.reading import Unreadable, read_regular_file
from egain_provision.manifest.yamlnodes import compose_documents, decode_text
from egain_provision.schemas import load_schema


@cache
def manifest_keys() -> frozenset[str]:
    """The top-level keys a manifest may hold, as the schema declares them."""
    return frozenset(load_schema("manifest")["properties"])


def looks_like_manifest(file: str, limit: int) -> bool:
    """Whether `file` holds a manifest document (or is broken in a way validate should report)."""
    try:
        data = read_regular_file(file, limit)
    except Unreadable:
        return True
    text, problem = decode_text(file, data)
    if text is None:
        return True
    nodes, problem = compose_documents(file, text)
    if problem is not None:
        return True
    keys = manifest_keys()
    return any(
        isinstance(key, yaml.ScalarNode) and key.value in keys
        for node in nodes
        if isinstance(node, yaml.MappingNode)
        for key, _ in node.value
    )

"""Canonical formatting of manifests (`egain-provision fmt`), as Terraform's `fmt` does for HCL.

ruamel.yaml's round trip keeps what a reviewer wrote on purpose: comments, anchors and aliases,
key order, quoting and flow style (`{name: X, value: Y}`); what it makes canonical is the
layout: two-space mappings, sequences indented under their key (`  - item`), one document marker
style, no trailing spaces, one final newline.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from egain_provision.errors import ManifestError

# Wide enough that no long value (a URL, a description) is folded onto a second line.
LINE_WIDTH = 4096


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = LINE_WIDTH
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def format_text(text: str, where: str) -> str:
    """`text` (a manifest file's content) canonically formatted; ManifestError naming `where` if it is not YAML."""
    yaml = _yaml()
    try:
        documents: list[Any] = list(yaml.load_all(text))
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"{where}:{mark.line + 1}:{mark.column + 1}" if mark is not None else where
        raise ManifestError(
            f"cannot format: not valid YAML ({getattr(exc, 'problem', None) or exc})",
            hint=f"fix the YAML at {place} (`egain-provision validate` shows the details)",
        ) from None
    if not documents:
        return text
    out = io.StringIO()
    if len(documents) == 1:
        yaml.dump(documents[0], out)
    else:
        yaml.explicit_start = True
        yaml.dump_all(documents, out)
    formatted = "\n".join(line.rstrip() for line in out.getvalue().splitlines())
    return formatted.rstrip("\n") + "\n"

"""The kind table's defaults are the spec's, so a tenant that echoes them plans as no change."""

from __future__ import annotations

from typing import Any

from egain_provision.kinds import KINDS
from tests.contract.spec_support import facts


def spec_defaults(body: dict[str, Any]) -> dict[str, Any]:
    """Field path -> default of every create-body field that declares one (across oneOf branches)."""
    found = {path: spec["default"] for path, spec in body["fields"].items() if "default" in spec}
    for branch in body.get("oneOf", []):
        found.update(spec_defaults(branch))
    return found


def test_every_kind_declares_exactly_the_defaults_of_its_create_body() -> None:
    operations = facts()["operations"]
    declared = {kind.name: kind.defaults for kind in KINDS}
    assert declared == {kind.name: spec_defaults(operations[f"POST {kind.api_path}"]["requestBody"]) for kind in KINDS}


def test_no_spec_default_sits_inside_a_list() -> None:
    # The comparison walks list items (meaning.py), but export drops defaults by dotted path only.
    for kind in KINDS:
        assert not any("[]" in path for path in kind.defaults), kind.name

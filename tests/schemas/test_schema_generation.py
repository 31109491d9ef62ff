"""The schemas' kind-dependent parts are generated from kinds.py; the checked-in files must match."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from egain_provision.errors import SchemaError
from egain_provision.kinds import KINDS, KINDS_BY_NAME, SETUP_ORDER
from egain_provision.manifest.validation import build_validators
from egain_provision.schemagen import FragmentError, main, manifest_schema, plan_schema, rendered, stale
from egain_provision.schemas import interpolated, load_schema, schema_text

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("which", ["manifest", "plan"])
def test_checked_in_schema_equals_the_generated_one(which: str) -> None:
    generated = rendered()[f"{which}.schema.json"]
    assert (REPO / "schemas" / f"{which}.schema.json").read_text("utf-8") == generated, "run `make schemas`"
    assert schema_text(which) == generated, "the packaged copy differs from schemas/"


def test_check_mode_names_an_outdated_schema_and_passes_a_fresh_one(tmp_path: Path) -> None:
    files = rendered()
    for name, text in files.items():
        (tmp_path / name).write_text(text, "utf-8")
    assert stale(files, tmp_path) == []
    (tmp_path / "plan.schema.json").write_text("{}\n", "utf-8")
    assert stale(files, tmp_path) == [str(tmp_path / "plan.schema.json")]
    assert main(["--check"]) == 0


def test_every_kind_gets_a_list_ignore_globs_and_its_definition() -> None:
    schema = manifest_schema()
    for kind in KINDS:
        assert schema["properties"][kind.name]["items"] == {"$ref": f"#/$defs/{kind.singular}"}
        assert kind.name in schema["properties"]["ignore"]["properties"]
        assert schema["$defs"][kind.singular]["type"] == "object"


def test_reference_definitions_exist_exactly_for_referenced_kinds() -> None:
    defs = manifest_schema()["$defs"]
    referenced = {ref.target for kind in KINDS for ref in kind.references}
    assert {name for name in defs if name.endswith("Reference")} == {
        f"{KINDS_BY_NAME[target].singular}Reference" for target in referenced
    }
    assert defs["channelReference"]["oneOf"][0]["description"] == "The type of a Channel."


def test_plan_kind_enum_lists_the_kinds_in_setup_order() -> None:
    assert plan_schema()["$defs"]["kind"]["enum"] == list(SETUP_ORDER)


def test_a_kind_without_a_fragment_is_a_clear_error() -> None:
    widgets = replace(KINDS[0], name="widgets", title="Widget", list_key="widget")
    with pytest.raises(FragmentError, match=r"widgets\.json: missing"):
        manifest_schema((*KINDS, widgets))


def test_a_kind_the_schema_does_not_cover_is_a_schema_error_not_a_key_error() -> None:
    with pytest.raises(SchemaError, match="no part for kind 'widgets'") as caught:
        build_validators(load_schema("manifest"), (*SETUP_ORDER, "widgets"))
    assert caught.value.hint is not None and "make schemas" in caught.value.hint


def test_the_loaders_schema_is_the_editors_without_the_expression_alternatives() -> None:
    editor = manifest_schema()
    assert interpolated(editor) == manifest_schema(expressions=False)
    assert editor != manifest_schema(expressions=False)

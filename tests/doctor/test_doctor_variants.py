"""doctor names each way a tenant may differ from the sandbox's default reading, and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.realtenant.realtenant_support import variant_sandbox
from tests.support import Tenant, create_full_setup, run_cli, target_env


def examined(tmp_path: Path, **settings: Any) -> tuple[int, dict[str, dict[str, Any]], dict[str, Any]]:
    with variant_sandbox(tmp_path, **settings) as sandbox:
        tenant = Tenant(sandbox)
        try:
            create_full_setup(tenant)
        finally:
            tenant.close()
        sandbox.clear_requests()
        result = run_cli(["doctor", "--target", sandbox.base_url, "--format", "json"], env=target_env(sandbox))
        writes = [r for r in sandbox.requests() if r["method"] != "GET" and "/v3/" in r["path"]]
    assert writes == []  # doctor never writes
    document = json.loads(result.stdout)
    return result.exit_code, {kind["kind"]: kind for kind in document["kinds"]}, document


@pytest.mark.parametrize(
    ("settings", "field", "kind", "expected"),
    [
        ({"paging": "fixed:2"}, "paging", "clientApplications", "ignores $pagesize: pages of 2"),
        (
            {"paging": "refuse-params"},
            "paging",
            "clientApplications",
            "refuses $ parameters (400-101): read without them",
        ),
        ({"list_key": "plural"}, "list_key", "channels", "plural"),
        ({"omit_pagination_info": True}, "pagination_info", "channels", False),
        ({"no_modified_in_lists": True}, "modified_in_items", "channels", False),
        (
            {"no_modified_in_lists": True},
            "concurrent_changes",
            "channels",
            "detected (`modified` by id only: apply reads each object before updating it)",
        ),
        ({"numeric_modified": True}, "modified_in_items", "channels", True),
        ({"numeric_modified": True}, "concurrent_changes", "channels", "detected (`modified` in list items)"),
        ({"mask_style": "stars"}, "secrets", "authentications", ["masked as '********'"]),
        ({"mask_style": "empty"}, "secrets", "authentications", ["masked as ''"]),
        ({"mask_style": "absent"}, "secrets", "authentications", ["absent (write-only)"]),
        ({"extra_fields": True}, "unknown_fields", "participants", ["createdBy", "tenantId"]),
        ({"enriched_references": True}, "references", "participants", "{id, name}"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_doctor_names_the_behaviour(
    tmp_path: Path, settings: dict[str, Any], field: str, kind: str, expected: object
) -> None:
    code, kinds, _ = examined(tmp_path, **settings)
    assert kinds[kind][field] == expected
    assert code == 0


@pytest.mark.parametrize(("status", "answer"), [(204, "204 No Content"), (404, "404 with eGain code 404-101")])
def test_doctor_names_the_empty_collection_answer(tmp_path: Path, status: int, answer: str) -> None:
    code, kinds, _ = examined(tmp_path, empty_list=status)
    assert kinds["orchestrations"]["empty_answer"] is None  # it holds one
    with variant_sandbox(tmp_path / "empty", empty_list=status) as sandbox:
        result = run_cli(["doctor", "--target", sandbox.base_url, "--format", "json"], env=target_env(sandbox))
    empty = {kind["kind"]: kind for kind in json.loads(result.stdout)["kinds"]}
    assert empty["accounts"]["empty_answer"] == answer
    assert result.exit_code == 0 and code == 0

"""Tenant variants: each answers as the README's table says, over HTTP, and the admin endpoint checks them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from egain_provision.sandbox.testing import ServedSandbox, served_subprocess

AUTH = {"name": "a", "type": "basic", "basicAuth": {"username": "u", "password": "pw"}}


def _auths(api: httpx.Client, count: int) -> list[str]:
    ids = []
    for number in range(count):
        response = api.post("/authentications", json={**AUTH, "name": f"a{number:03d}"})
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


@pytest.fixture
def api(clean_sandbox: ServedSandbox) -> Any:
    with clean_sandbox.client() as client:
        yield client


def test_fixed_pages_ignore_the_asked_size(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    _auths(api, 7)
    clean_sandbox.set_options(paging="fixed:3")
    answer = api.get("/authentications", params={"$pagenum": 3, "$pagesize": 100}).json()
    assert answer["paginationInfo"] == {"count": 7, "pagenum": 3, "pagesize": 3}
    assert [item["name"] for item in answer["authentication"]] == ["a006"]


def test_none_pages_by_25_without_pagination_info(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    _auths(api, 27)
    clean_sandbox.set_options(paging="none")
    first = api.get("/authentications", params={"$pagesize": 100}).json()
    second = api.get("/authentications", params={"$pagenum": 2, "$pagesize": 100}).json()
    assert (list(first), len(first["authentication"]), len(second["authentication"])) == (["authentication"], 25, 2)


def test_refuse_params_refuses_any_dollar_parameter_and_answers_all(
    clean_sandbox: ServedSandbox, api: httpx.Client
) -> None:
    _auths(api, 30)
    clean_sandbox.set_options(paging="refuse-params")
    refused = api.get("/authentications", params={"$pagenum": 1})
    assert (refused.status_code, refused.json()["code"]) == (400, "400-101")
    whole = api.get("/authentications").json()
    assert (whole["paginationInfo"]["count"], len(whole["authentication"])) == (30, 30)


def test_plural_key_and_omitted_pagination_info(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    _auths(api, 1)
    clean_sandbox.set_options(list_key="plural", omit_pagination_info=True)
    assert list(api.get("/authentications").json()) == ["authentications"]


@pytest.mark.parametrize("status", [204, 404])
def test_empty_lists_answer_204_or_an_egain_404(clean_sandbox: ServedSandbox, api: httpx.Client, status: int) -> None:
    clean_sandbox.set_options(empty_list=status)
    response = api.get("/channels")
    assert response.status_code == status
    assert (response.content == b"") if status == 204 else (response.json()["code"] == "404-101")


def test_object_shapes(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    (auth_id,) = _auths(api, 1)
    role = {"name": "custom_agent", "version": "v3", "callback": "https://x", "notificationEmail": "o@x"}
    app = api.post("/clientapplications", json={"name": "app", "roles": [{**role, "authentication": {"id": auth_id}}]})
    clean_sandbox.set_options(extra_fields=True, enriched_references=True, no_modified_in_lists=True)
    listed = api.get("/clientapplications").json()["clientApplication"][0]
    got = api.get(f"/clientapplications/{app.json()['id']}").json()
    assert listed["roles"][0]["authentication"] == {"id": auth_id, "name": "a000"}
    assert (listed["tenantId"], listed["createdBy"]) == ("sandbox-tenant", "sandbox-admin")
    assert "modified" not in listed and "modified" in got


@pytest.mark.parametrize(("style", "shown"), [("none", "pw"), ("stars", "********"), ("empty", ""), ("absent", None)])
def test_mask_styles(clean_sandbox: ServedSandbox, api: httpx.Client, style: str, shown: str | None) -> None:
    (auth_id,) = _auths(api, 1)
    clean_sandbox.set_options(mask_style=style)
    assert api.get(f"/authentications/{auth_id}").json()["basicAuth"].get("password") == shown


def test_list_lag_hides_new_objects_from_lists_only(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    clean_sandbox.set_options(list_lag=60)
    (auth_id,) = _auths(api, 1)
    assert api.get("/authentications").json()["authentication"] == []
    assert api.get(f"/authentications/{auth_id}").status_code == 200
    clean_sandbox.set_options(list_lag=0)
    assert len(api.get("/authentications").json()["authentication"]) == 1


@pytest.mark.parametrize(
    "options",
    [
        {"paging": "fixed:0"},
        {"paging": "pages"},
        {"list_key": "plurals"},
        {"empty_list": 500},
        {"list_lag": -1},
        {"mask_style": "stars", "extra_fields": "yes"},
    ],
    ids=str,
)
def test_bad_variants_are_refused_and_change_nothing(clean_sandbox: ServedSandbox, options: dict[str, Any]) -> None:
    before = httpx.get(clean_sandbox.url + "/_sandbox/options").json()
    response = httpx.put(clean_sandbox.url + "/_sandbox/options", json=options)
    assert (response.status_code, response.json()["code"]) == (400, "400-105")
    assert httpx.get(clean_sandbox.url + "/_sandbox/options").json() == before


def test_serve_options_set_the_variants(tmp_path: Path) -> None:
    options = (
        "--paging",
        "fixed:75",
        "--list-key",
        "plural",
        "--empty-list",
        "404",
        "--mask-style",
        "empty",
        "--list-lag",
        "3",
        "--extra-fields",
        "--no-modified-in-lists",
    )
    with served_subprocess(str(tmp_path / "variants.db"), *options) as served:
        shown = httpx.get(served.url + "/_sandbox/options").json()
    assert shown == {
        "echo_defaults": False,
        "paging": "fixed:75",
        "omit_pagination_info": False,
        "list_key": "plural",
        "empty_list": 404,
        "extra_fields": True,
        "enriched_references": False,
        "mask_style": "empty",
        "no_modified_in_lists": True,
        "list_lag": 3.0,
        "list_lag_writes": False,
        "normalize": [],
        "put_merges": False,
        "numeric_modified": False,
        "churn_between_pages": 0,
        "delete_delay": 0,
        "token_format": "json",
    }


def test_mask_secrets_is_the_stars_style(tmp_path: Path) -> None:
    with ServedSandbox(db_path=str(tmp_path / "m.db"), mask_secrets=True) as served:
        assert httpx.get(served.url + "/_sandbox/options").json()["mask_style"] == "stars"

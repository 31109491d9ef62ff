"""Tenant behaviours (sandbox/tenants.py): each option does over HTTP what the README's table says,
and the admin endpoint and `sandbox serve` set and check them."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from egain_provision.commands.sandbox import serve_command
from egain_provision.sandbox.tenants import NORMALIZATIONS
from egain_provision.sandbox.testing import ServedSandbox, served_subprocess

AUTH = {"name": "a", "type": "basic", "basicAuth": {"username": "u", "password": "pw"}}
ROLE = {
    "name": "custom_agent",
    "version": "v3",
    "callback": "https://x.example/cb",
    "notificationEmail": "Ops@X.Example",
}
CHANNEL = {"type": "web", "displayName": "Web", "icon": "aWNvbg=="}
# Short enough to keep the tests fast, long enough that the reads right after a write fall inside it.
SHORT = 0.4


def _until(condition: Callable[[], bool], what: str, timeout: float = 10) -> None:
    """Poll `condition` (bounded in count and time) until it holds; AssertionError naming `what` if it never does."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / 0.01)):
        if condition() or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert condition(), f"never happened: {what}"


def _create(api: httpx.Client, collection: str, body: dict[str, Any]) -> str:
    response = api.post(f"/{collection}", json=body)
    assert response.status_code == 201, response.text
    object_id: str = response.json()["id"]
    return object_id


def _names(api: httpx.Client, collection: str, key: str, label: str = "name") -> list[str]:
    return [item[label] for item in api.get(f"/{collection}", params={"$pagesize": 100}).json()[key]]


def _application(api: httpx.Client, name: str = "app", **role: Any) -> str:
    return _create(api, "clientapplications", {"name": name, "roles": [{**ROLE, **role}]})


# --- the normalising tenant, one class at a time ------------------------------------------------


@pytest.mark.parametrize(
    ("classes", "expected"),
    [
        (["trim"], {"name": "app", "description": "two words", "callback": "https://x.example/cb"}),
        (["lowercase-email"], {"name": " app ", "email": "ops@x.example", "callback": "https://x.example/cb"}),
        (["trailing-slash"], {"name": " app ", "email": "Ops@X.Example", "callback": "https://x.example/cb/"}),
    ],
    ids=str,
)
def test_string_normalisations_change_what_is_stored(
    clean_sandbox: ServedSandbox, api: httpx.Client, classes: list[str], expected: dict[str, str]
) -> None:
    clean_sandbox.set_options(normalize=classes)
    body = {"name": " app ", "description": "  two words\t", "roles": [ROLE]}
    app_id = _create(api, "clientapplications", body)
    clean_sandbox.set_options(normalize=[])  # stored, not only answered: still so with the option off
    got = api.get(f"/clientapplications/{app_id}").json()
    role = got["roles"][0]
    shown = {"name": got["name"], "description": got["description"], "email": role["notificationEmail"]}
    shown["callback"] = role["callback"]
    assert {key: shown[key] for key in expected} == expected


def test_trimmed_names_collide(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    clean_sandbox.set_options(normalize=["trim"])
    _application(api, "desk")
    response = api.post("/clientapplications", json={"name": "desk ", "roles": [ROLE]})
    assert (response.status_code, response.json()["code"]) == (400, "400-138")


def test_nested_defaults_are_stored_at_every_depth(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    clean_sandbox.set_options(normalize=["nested-defaults"])
    channel_id = _create(api, "channels", CHANNEL)
    clean_sandbox.set_options(normalize=[])
    got = api.get(f"/channels/{channel_id}").json()
    policy = {"enabled": True, "maxSize": 10485760}
    assert got["restrictions"] == {
        "inbound": {"maxTextLength": 10000, "attachmentPolicy": policy},
        "outbound": {"maxTextLength": 10000, "systemMessages": False, "midChatAuth": False, "attachmentPolicy": policy},
    }


def test_the_ordered_intents_are_stored_reversed(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    clean_sandbox.set_options(normalize=["reverse-ordered"])
    intents = [{"value": f"v{n}", "displayValue": f"V{n}"} for n in range(3)]
    app_id = _application(api)
    body = {"name": "bot", "type": "custom_bot", "application": {"id": app_id}, "intents": {"intent": intents}}
    participant_id = _create(api, "participants", body)
    assert api.get(f"/participants/{participant_id}").json()["intents"]["intent"] == intents[::-1]


def test_integers_and_booleans_answered_as_strings(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    restrictions = {"inbound": {"maxTextLength": 140, "attachmentPolicy": {"maxSize": 30, "enabled": False}}}
    channel_id = _create(api, "channels", {**CHANNEL, "restrictions": restrictions})
    clean_sandbox.set_options(normalize=["integers-as-strings"])
    inbound = api.get(f"/channels/{channel_id}").json()["restrictions"]["inbound"]
    assert inbound == {"maxTextLength": "140", "attachmentPolicy": {"maxSize": "30", "enabled": False}}
    clean_sandbox.set_options(normalize=["booleans-as-strings"])
    listed = api.get("/channels").json()["channel"][0]
    assert (listed["active"], listed["restrictions"]["inbound"]["attachmentPolicy"]["enabled"]) == ("true", "false")
    clean_sandbox.set_options(normalize=[])  # answered only: what is stored is still the number
    assert api.get(f"/channels/{channel_id}").json()["restrictions"] == restrictions


# --- PUT that merges ------------------------------------------------------------------------------


def test_a_merging_put_keeps_what_it_omits(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    clean_sandbox.set_options(put_merges=True)
    app_id = _create(api, "clientapplications", {"name": "app", "description": "kept", "roles": [ROLE]})
    assert api.put(f"/clientapplications/{app_id}", json={"name": "renamed", "roles": [ROLE]}).status_code == 204
    got = api.get(f"/clientapplications/{app_id}").json()
    assert (got["name"], got["description"]) == ("renamed", "kept")
    oauth2 = {"tokenRequestUrl": "https://t", "method": "POST", "headers": [{"name": "h", "value": "v"}]}
    oauth2 |= {"payload": "p", "accessTokenPath": "$.t"}
    auth_id = _create(api, "authentications", AUTH)
    switched = api.put(f"/authentications/{auth_id}", json={"name": "a", "type": "oauth2", "oauth2": oauth2})
    assert (switched.status_code, switched.json()["code"]) == (400, "400-420")  # basicAuth kept: not an oauth2 body
    clean_sandbox.set_options(put_merges=False)
    assert api.put(f"/clientapplications/{app_id}", json={"name": "renamed", "roles": [ROLE]}).status_code == 204
    assert "description" not in api.get(f"/clientapplications/{app_id}").json()


# --- numeric modified -----------------------------------------------------------------------------


def test_numeric_modified_is_answered_and_checked_as_a_number(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    clean_sandbox.set_options(numeric_modified=True)
    auth_id = _create(api, "authentications", AUTH)
    first = api.get(f"/authentications/{auth_id}").json()["modified"]
    assert isinstance(first, int) and api.get("/authentications").json()["authentication"][0]["modified"] == first
    assert api.put(f"/authentications/{auth_id}", json={**AUTH, "modified": first}).status_code == 204
    second = api.get(f"/authentications/{auth_id}").json()["modified"]
    assert second > first
    stale = api.put(f"/authentications/{auth_id}", json={**AUTH, "description": "x", "modified": first})
    assert (stale.status_code, stale.json()["code"]) == (409, "409-103")
    as_text = api.put(f"/authentications/{auth_id}", json={**AUTH, "modified": "2026-01-01T00:00:00.000Z"})
    assert (as_text.status_code, as_text.json()["code"]) == (400, "400-196")
    assert api.put(f"/authentications/{auth_id}", json={**AUTH, "description": "no token"}).status_code == 204
    assert api.get(f"/authentications/{auth_id}").json()["description"] == "no token"


# --- lists lagging behind every write, and lost answers as a gateway's 502 ---------------------------


def test_lists_lag_behind_updates_and_deletes(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    clean_sandbox.set_options(list_lag=SHORT, list_lag_writes=True)
    kept, gone = _create(api, "authentications", AUTH), _create(api, "authentications", {**AUTH, "name": "b"})
    _until(lambda: _names(api, "authentications", "authentication") == ["a", "b"], "both listed")
    assert api.put(f"/authentications/{kept}", json={**AUTH, "description": "new"}).status_code == 204
    assert api.delete(f"/authentications/{gone}").status_code == 204
    listed = api.get("/authentications").json()
    assert (listed["paginationInfo"]["count"], [item.get("description") for item in listed["authentication"]]) == (
        2,
        [None, None],
    )
    assert api.get(f"/authentications/{gone}").status_code == 404  # GET by id sees the write at once
    _until(lambda: len(api.get("/authentications").json()["authentication"]) == 1, "the delete shows in lists")
    assert api.get("/authentications").json()["authentication"][0]["description"] == "new"


def test_a_lost_create_answer_can_be_a_502_after_the_write(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    clean_sandbox.set_faults(lost_answer_rate=1, lost_answer_as="502")
    response = api.post("/authentications", json=AUTH)
    assert (response.status_code, response.text) == (502, "502 Bad Gateway")
    clean_sandbox.clear_faults()
    assert _names(api, "authentications", "authentication") == ["a"]
    assert clean_sandbox.requests()[-2]["fault"] == "lost_answer"


# --- churn between page reads --------------------------------------------------------------------


def test_churn_between_pages_keeps_the_count_and_hides_an_object(
    clean_sandbox: ServedSandbox, api: httpx.Client
) -> None:
    for number in range(6):
        _create(api, "authentications", {**AUTH, "name": f"a{number}"})
    clean_sandbox.set_options(churn_between_pages=1)
    pages = [api.get("/authentications", params={"$pagenum": n, "$pagesize": 3}).json() for n in (1, 2)]
    read = [item["name"] for page in pages for item in page["authentication"]]
    live = _names(api, "authentications", "authentication")
    assert [page["paginationInfo"]["count"] for page in pages] == [6, 6] and len(live) == 6
    assert read == ["a0", "a1", "a2", "a4", "a5", "authentication-of-another-client-1"]
    assert sorted(live) == sorted(["a1", "a2", "a3", "a4", "a5", "authentication-of-another-client-1"])
    again = api.get("/authentications", params={"$pagenum": 2, "$pagesize": 3}).json()["authentication"]
    assert [item["name"] for item in again] == ["a4", "a5", "authentication-of-another-client-1"]  # budget spent
    assert [entry["fault"] for entry in clean_sandbox.requests()].count("churn") == 1
    assert clean_sandbox.set_options()["churn_between_pages"] == 0


def test_churn_spares_referenced_objects(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    auth_ids = [_create(api, "authentications", {**AUTH, "name": f"a{number}"}) for number in range(3)]
    _application(api, authentication={"id": auth_ids[0]})
    clean_sandbox.set_options(churn_between_pages=5)
    api.get("/authentications", params={"$pagenum": 2, "$pagesize": 2})
    assert clean_sandbox.set_options()["churn_between_pages"] == 4  # the churns still to come
    assert _names(api, "authentications", "authentication") == ["a0", "a2", "authentication-of-another-client-1"]


# --- DELETE answered 202 ------------------------------------------------------------------------


def test_a_delete_answered_202_stays_a_while(clean_sandbox: ServedSandbox, api: httpx.Client) -> None:
    auth_id = _create(api, "authentications", AUTH)
    clean_sandbox.set_options(delete_delay=SHORT)
    assert api.delete(f"/authentications/{auth_id}").status_code == 202
    assert api.get(f"/authentications/{auth_id}").status_code == 200
    assert api.delete(f"/authentications/{auth_id}").status_code == 202
    assert _names(api, "authentications", "authentication") == ["a"]
    refused = api.post(
        "/clientapplications", json={"name": "app", "roles": [{**ROLE, "authentication": {"id": auth_id}}]}
    )
    assert (refused.status_code, refused.json()["code"]) == (400, "400-151")
    _until(lambda: api.get(f"/authentications/{auth_id}").status_code == 404, "the accepted delete done")
    assert _names(api, "authentications", "authentication") == []


# --- the form-encoded token answer ----------------------------------------------------------------


def test_the_token_answer_can_be_form_encoded(clean_sandbox: ServedSandbox) -> None:
    clean_sandbox.set_options(token_format="form")
    form = {"grant_type": "client_credentials", "scope": "https://api.egain.cloud/auth/.default"}
    form |= {"client_id": clean_sandbox.client_id, "client_secret": clean_sandbox.client_secret}
    response = httpx.post(clean_sandbox.token_url, data=form)
    assert response.headers["content-type"] == "application/x-www-form-urlencoded"
    answer = dict(parse_qsl(response.text))
    assert (sorted(answer), answer["token_type"], answer["expires_in"]) == (
        ["access_token", "expires_in", "token_type"],
        "bearer",
        "3600",
    )
    headers = {"Authorization": f"Bearer {answer['access_token']}"}
    assert httpx.get(clean_sandbox.base_url + "/channels", headers=headers).status_code == 200


# --- the options themselves -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"normalize": "trim"},
        {"normalize": ["trim", "upper"]},
        {"put_merges": 1},
        {"numeric_modified": "yes"},
        {"list_lag_writes": None},
        {"churn_between_pages": -1},
        {"churn_between_pages": 1.5},
        {"delete_delay": 3601},
        {"token_format": "xml"},
    ],
    ids=str,
)
def test_bad_tenant_options_are_refused_and_change_nothing(
    clean_sandbox: ServedSandbox, options: dict[str, Any]
) -> None:
    before = httpx.get(clean_sandbox.url + "/_sandbox/options").json()
    response = httpx.put(clean_sandbox.url + "/_sandbox/options", json=options)
    assert (response.status_code, response.json()["code"]) == (400, "400-105")
    assert next(iter(options)) in response.json()["developerMessage"]
    assert httpx.get(clean_sandbox.url + "/_sandbox/options").json() == before


def test_a_bad_lost_answer_form_is_refused(clean_sandbox: ServedSandbox) -> None:
    response = httpx.put(clean_sandbox.url + "/_sandbox/faults", json={"lost_answer_as": "503"})
    assert (response.status_code, response.json()["code"]) == (400, "400-105")


def test_serve_options_set_the_tenant_behaviours(tmp_path: Path) -> None:
    options = ["--normalize", "trim", "--normalize", "reverse-ordered", "--put-merges", "--numeric-modified"]
    options += ["--list-lag", "6", "--list-lag-writes", "--churn-between-pages", "3", "--delete-delay", "2.5"]
    options += ["--token-format", "form", "--lost-answer-as", "502"]
    with served_subprocess(str(tmp_path / "tenant.db"), *options) as served:
        shown = httpx.get(served.url + "/_sandbox/options").json()
        faults = httpx.get(served.url + "/_sandbox/faults").json()
    assert {name: shown[name] for name in ("normalize", "put_merges", "numeric_modified", "list_lag")} == {
        "normalize": ["trim", "reverse-ordered"],
        "put_merges": True,
        "numeric_modified": True,
        "list_lag": 6.0,
    }
    assert (shown["list_lag_writes"], shown["churn_between_pages"], shown["delete_delay"]) == (True, 3, 2.5)
    assert (shown["token_format"], faults["lost_answer_as"]) == ("form", "502")


def test_the_normalize_choices_are_the_sandbox_classes() -> None:
    (option,) = [param for param in serve_command.params if param.name == "normalize"]
    assert tuple(option.type.choices) == tuple(NORMALIZATIONS)  # type: ignore[attr-defined]

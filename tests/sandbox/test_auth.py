"""The OAuth2 token endpoint and the permission each operation needs (the spec's x-egain-app-permissions)."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import httpx
import pytest

from egain_provision.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from egain_provision.sandbox.testing import ServedSandbox
from tests.sandbox.examples import BYOC_CHANNEL, Graph

MANAGE = "app.conversation.conversationmgr.manage"
READ = "app.conversation.conversationmgr.read"
PREFIX = "https://api.egain.cloud/auth/"
DEFAULT = PREFIX + ".default"
MISSING_ID = "00000000-0000-4000-8000-000000000000"


def _form(**overrides: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "scope": MANAGE,
    } | overrides


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("scope", [DEFAULT, MANAGE, READ, PREFIX + MANAGE, f"{READ} {PREFIX}{MANAGE}"])
def test_client_credentials_yield_a_bearer_token(clean_sandbox: ServedSandbox, scope: str) -> None:
    response = httpx.post(clean_sandbox.token_url, data=_form(scope=scope))
    assert response.status_code == 200
    payload = response.json()
    assert payload["token_type"] == "Bearer"
    assert payload["expires_in"] == 3600
    assert payload["access_token"]


def test_client_authentication_by_basic_header_is_accepted(clean_sandbox: ServedSandbox) -> None:
    form = {"grant_type": "client_credentials", "scope": READ}
    basic = base64.b64encode(f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}".encode()).decode()
    response = httpx.post(clean_sandbox.token_url, data=form, headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        (_form(client_secret="wrong"), 401, "invalid_client"),
        (_form(client_id="someone-else"), 401, "invalid_client"),
        (_form(grant_type="password"), 400, "unsupported_grant_type"),
        (_form(scope="app.knowledge.portalmgr.manage"), 400, "invalid_scope"),
        (_form(scope=""), 400, "invalid_request"),
    ],
    ids=["bad-secret", "bad-id", "bad-grant", "bad-scope", "no-scope"],
)
def test_bad_token_requests_are_refused_oauth_style(
    clean_sandbox: ServedSandbox, form: dict[str, str], status: int, error: str
) -> None:
    response = httpx.post(clean_sandbox.token_url, data=form)
    assert response.status_code == status
    assert response.json()["error"] == error


def test_a_request_without_a_token_is_401_104(clean_sandbox: ServedSandbox) -> None:
    response = httpx.get(clean_sandbox.base_url + "/channels")
    assert (response.status_code, response.json()["code"]) == (401, "401-104")
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer", "Basic c2FuZGJveA=="])
def test_an_unusable_authorization_header_is_401_104(clean_sandbox: ServedSandbox, header: str) -> None:
    response = httpx.get(clean_sandbox.base_url + "/channels", headers={"Authorization": header})
    assert (response.status_code, response.json()["code"]) == (401, "401-104")


def test_an_expired_token_is_401_104(tmp_path: Path) -> None:
    # Long enough that a loaded machine still uses the token before it expires, short enough to wait for.
    with ServedSandbox(db_path=str(tmp_path / "short.db"), token_lifetime=2) as served:
        token = served.token()
        response = httpx.get(served.base_url + "/channels", headers=_bearer(token))
        assert response.status_code == 200
        assert httpx.post(served.token_url, data=_form()).json()["expires_in"] == 2
        deadline = time.monotonic() + 20
        while response.status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.05)
            response = httpx.get(served.base_url + "/channels", headers=_bearer(token))
        assert (response.status_code, response.json()["code"]) == (401, "401-104")
        fresh = httpx.get(served.base_url + "/channels", headers=_bearer(served.token()))
        assert fresh.status_code == 200


READS = [
    ("GET", "/authentications"),
    ("GET", f"/authentications/{MISSING_ID}"),
    ("GET", "/clientapplications"),
    ("GET", "/participants"),
    ("GET", "/channels"),
    ("GET", "/orchestrations"),
    ("GET", "/accounts"),
    ("GET", f"/channels/{MISSING_ID}"),
    ("GET", f"/accounts/{MISSING_ID}"),
]
WRITES = [
    ("POST", "/channels"),
    ("PUT", f"/channels/{MISSING_ID}"),
    ("DELETE", f"/channels/{MISSING_ID}"),
    ("POST", "/authentications"),
]


@pytest.mark.parametrize(("method", "path"), READS)
def test_reads_accept_the_read_permission(clean_sandbox: ServedSandbox, method: str, path: str) -> None:
    response = httpx.request(method, clean_sandbox.base_url + path, headers=_bearer(clean_sandbox.token(READ)))
    assert response.status_code in (200, 404)


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_writes_need_the_manage_permission(clean_sandbox: ServedSandbox, method: str, path: str) -> None:
    response = httpx.request(
        method, clean_sandbox.base_url + path, headers=_bearer(clean_sandbox.token(READ)), json=BYOC_CHANNEL
    )
    assert (response.status_code, response.json()["code"]) == (403, "403-197")
    assert MANAGE in response.json()["developerMessage"]


def test_the_manage_permission_reads_every_kind_but_does_not_list_authentications(
    clean_sandbox: ServedSandbox, graph: Graph
) -> None:
    manage = _bearer(clean_sandbox.token(MANAGE))
    assert httpx.get(f"{clean_sandbox.base_url}/authentications/{graph.oauth}", headers=manage).status_code == 200
    assert httpx.get(clean_sandbox.base_url + "/accounts", headers=manage).status_code == 200
    # The spec grants listing authentications to the read permission alone.
    response = httpx.get(clean_sandbox.base_url + "/authentications", headers=manage)
    assert (response.status_code, response.json()["code"]) == (403, "403-197")
    assert READ in response.json()["developerMessage"]


def test_the_default_scope_carries_manage_and_read(clean_sandbox: ServedSandbox, graph: Graph) -> None:
    token = _bearer(clean_sandbox.token(DEFAULT))
    assert httpx.get(clean_sandbox.base_url + "/authentications", headers=token).status_code == 200
    response = httpx.post(clean_sandbox.base_url + "/channels", json=BYOC_CHANNEL | {"type": "t2"}, headers=token)
    assert response.status_code == 201


def test_the_prefixed_scope_is_the_same_scope(clean_sandbox: ServedSandbox) -> None:
    token = clean_sandbox.token(PREFIX + MANAGE)
    response = httpx.post(clean_sandbox.base_url + "/channels", json=BYOC_CHANNEL, headers=_bearer(token))
    assert response.status_code == 201


def test_a_token_survives_only_in_its_own_server(tmp_path: Path) -> None:
    db = str(tmp_path / "restart.db")
    with ServedSandbox(db_path=db) as first:
        token = first.token()
    with ServedSandbox(db_path=db) as second:
        response = httpx.get(second.base_url + "/channels", headers=_bearer(token))
        assert (response.status_code, response.json()["code"]) == (401, "401-104")

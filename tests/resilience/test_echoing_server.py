"""A server that echoes what it was sent never makes the tool print a secret, in any spelling of it."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from egain_provision.sandbox.config import BASE_PATH
from egain_provision.sandbox.testing import ServedSandbox
from tests.support import FULL_SETUP, SECRET_ENV, SECRETS, run_cli, target_env, write_manifest

QUOTED_SECRET = 'with "quotes" and \\ slash-Qw3'
PAYLOAD = json.dumps({"clientId": "bot", "clientSecret": QUOTED_SECRET})


class Echo:
    """Refuses every create with a 400 whose message holds the request's Authorization header and its body,
    as is, JSON-escaped, URL-encoded and base64-encoded (as careless servers do)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith(BASE_PATH):
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message: Message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = dict(scope["headers"])
        sent = body.decode("utf-8", "replace")
        echoed = " | ".join(
            [
                headers.get(b"authorization", b"").decode(),
                sent,
                json.dumps(sent),
                quote(sent),
                base64.b64encode(body).decode(),
            ]
        )
        answer = json.dumps({"code": "400-999", "developerMessage": f"cannot parse: {echoed}"}).encode()
        await send({"type": "http.response.start", "status": 400, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": answer})


@pytest.fixture
def echoing(tmp_path: Path) -> Iterator[ServedSandbox]:
    sandbox = ServedSandbox(db_path=str(tmp_path / "sandbox.db"))
    config = sandbox._server.config  # the app is wrapped before the server loads it
    assert isinstance(config.app, Starlette)
    config.app = Echo(config.app)
    with sandbox:
        yield sandbox


def spellings(value: str) -> list[str]:
    return [value, json.dumps(value)[1:-1], quote(value, safe=""), base64.b64encode(value.encode()).decode()]


def test_apply_against_an_echoing_server_shows_no_secret_in_output_or_journal(
    echoing: ServedSandbox, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.jsonl"
    env = {**target_env(echoing), "EGAIN_VAR_BOT_TOKEN_PAYLOAD": PAYLOAD}
    result = run_cli(
        [
            "apply",
            "--auto-approve",
            "--target",
            echoing.base_url,
            "--journal",
            str(journal),
            str(write_manifest(tmp_path, FULL_SETUP)),
        ],
        env=env,
    )
    assert result.exit_code == 1
    assert "cannot parse" in result.stdout  # the server's message is shown, cleaned
    texts = [result.stdout, result.stderr, journal.read_text()]
    secrets = [PAYLOAD, QUOTED_SECRET, echoing.client_secret, *SECRETS[1:]]
    for text in texts:
        for secret in secrets:
            for spelling in spellings(secret):
                assert spelling not in text, f"{secret!r} leaked as {spelling!r}"
        assert "Bearer " not in text or "Bearer (sensitive value)" in text


def test_the_bearer_token_is_never_printed_when_a_server_echoes_it(echoing: ServedSandbox, tmp_path: Path) -> None:
    token = echoing.token()
    result = run_cli(
        [
            "apply",
            "--auto-approve",
            "--target",
            echoing.base_url,
            "--journal",
            str(tmp_path / "j.jsonl"),
            str(write_manifest(tmp_path, FULL_SETUP)),
        ],
        env={"EGAIN_ACCESS_TOKEN": token, **SECRET_ENV},
    )
    assert result.exit_code == 1
    for spelling in spellings(token):
        assert spelling not in result.output

"""`egain-provision sandbox serve` as a real separate process, and its command line."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest

from egain_provision.cli import main
from egain_provision.sandbox.testing import served_subprocess
from tests.sandbox.examples import BYOC_CHANNEL


def _token(url: str, client_id: str, client_secret: str) -> str:
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret,
        "scope": "app.conversation.conversationmgr.manage",
    }
    token: str = httpx.post(url, data=form).json()["access_token"]
    return token


def test_served_process_keeps_its_data_across_a_restart_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    db = str(tmp_path / "served" / "sandbox.db")
    with served_subprocess(db, "--seed", "1") as first:
        headers = {"Authorization": f"Bearer {_token(first.token_url, first.client_id, first.client_secret)}"}
        created = httpx.post(first.base_url + "/channels", json=BYOC_CHANNEL, headers=headers)
        assert created.status_code == 201
    assert first.process.returncode == 0
    with served_subprocess(db) as second:
        headers = {"Authorization": f"Bearer {_token(second.token_url, second.client_id, second.client_secret)}"}
        listed = httpx.get(second.base_url + "/channels", headers=headers).json()["channel"]
        assert [item["id"] for item in listed] == [created.json()["id"]]
        second.process.send_signal(signal.SIGINT)
        second.process.wait(10)
    assert second.process.returncode == 0


def test_serve_help_describes_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "serve", "--help"]) == 0
    text = capsys.readouterr().out
    for option in (
        "--host",
        "--port",
        "--db",
        "--token-lifetime",
        "--mask-secrets",
        "--echo-defaults",
        "--latency-ms",
        "--latency-jitter-ms",
        "--error-rate",
        "--throttle-rate",
        "--retry-after",
        "--lost-answer-rate",
        "--seed",
    ):
        assert option in text


@pytest.mark.parametrize(
    "options",
    [["--error-rate", "1.5"], ["--error-rate", "0.6", "--throttle-rate", "0.6"], ["--token-lifetime", "0"]],
    ids=str,
)
def test_serve_refuses_impossible_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str]
) -> None:
    db = tmp_path / "never.db"
    assert main(["sandbox", "serve", "--port", "0", "--db", str(db), *options]) == 1
    assert "Error" in capsys.readouterr().err
    assert not db.exists()

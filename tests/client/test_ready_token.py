"""A ready token (EGAIN_ACCESS_TOKEN) cannot be renewed: its first 401 stops the run, saying how to renew."""

from __future__ import annotations

from pathlib import Path

from tests.client.scripted_tenant import scripted_tenant
from tests.support import FULL_SETUP_ORDER, run_cli, write_manifest

READY_TOKEN = "r3ady-token-value"
EXPIRED = b'{"code": "401-104", "developerMessage": "The bearer token is unknown or expired"}'


def lists_empty_then_expired(method: str, path: str, authorization: str) -> tuple[int, dict[str, str], bytes]:
    """An empty tenant that reads with the token, and finds it expired by the first write."""
    if method == "GET" and authorization == f"Bearer {READY_TOKEN}":
        return 204, {}, b""
    return 401, {"WWW-Authenticate": "Bearer"}, EXPIRED


def test_a_ready_token_refused_as_expired_stops_the_run_at_its_first_401(tmp_path: Path) -> None:
    with scripted_tenant(lists_empty_then_expired) as tenant:
        result = run_cli(
            [
                "apply",
                "--auto-approve",
                "--target",
                tenant.base_url,
                "--parallelism",
                "1",
                "--journal",
                str(tmp_path / "journal.jsonl"),
                str(write_manifest(tmp_path)),
            ],
            env={"EGAIN_ACCESS_TOKEN": READY_TOKEN},
        )
        seen = list(tenant.seen)
    refused = [index for index, request in enumerate(seen) if request.status == 401]
    assert len(FULL_SETUP_ORDER) > 1  # there was more to send
    assert refused == [len(seen) - 1], [(r.method, r.path, r.status) for r in seen]  # nothing after the first 401
    assert result.exit_code == 1
    output = result.stdout + result.stderr
    assert "a ready token cannot be renewed, so nothing more is sent" in output
    assert "To let the tool renew its token, set EGAIN_TOKEN_URL, EGAIN_CLIENT_ID and EGAIN_CLIENT_SECRET" in output
    assert READY_TOKEN not in output
    assert "Traceback" not in output

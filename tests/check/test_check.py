"""`check` end to end: the CLI against a real bot on 127.0.0.1, as the Conversation Hub would call it."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from egain_provision.check.hub import MAX_ANSWER_BYTES
from tests.check.bots import CALLBACK_PATH, TOKEN_PATH, Bot, issued_token, serve_bot
from tests.check.manifests import write_setup
from tests.support import (
    HEADER_SECRET,
    PASSWORD_SECRET,
    PAYLOAD_SECRET,
    SECRET_ENV,
    CliResult,
    assert_no_secrets,
    run_cli,
)

FORMATS = ("text", "json", "markdown", "github")


@pytest.fixture
def bot() -> Iterator[Bot]:
    with serve_bot() as served:
        yield served


def check(manifest: Path, *options: str, env: dict[str, str | None] | None = None) -> CliResult:
    result = run_cli(["check", *options, str(manifest)], env=env)
    assert_no_secrets([result.stdout, result.stderr])
    for number in range(1, 4):
        assert issued_token(number) not in result.stdout + result.stderr, "a token was shown"
    return result


def steps(result: CliResult) -> dict[str, dict[str, str]]:
    """The JSON report's steps of its one role, by step key."""
    report = json.loads(result.stdout)
    (role,) = report["results"]
    return {step["step"]: step for step in role["steps"]}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_oauth2_token_is_fetched_as_declared_and_the_callback_gets_it_with_the_role_headers(
    bot: Bot, tmp_path: Path
) -> None:
    result = check(write_setup(tmp_path, bot))
    assert result.exit_code == 0, result.output
    (token_request,) = bot.requests_to(TOKEN_PATH)
    assert token_request.method == "POST"
    assert token_request.body.decode() == SECRET_ENV["EGAIN_VAR_BOT_TOKEN_PAYLOAD"]
    assert token_request.headers["Content-Type"] == "application/json"
    assert token_request.headers["X-Token-Client"] == "order-bot"
    (delivery,) = bot.requests_to(CALLBACK_PATH)
    assert delivery.headers["Authorization"] == f"Bearer {issued_token(1)}"
    assert delivery.headers["X-Bot-Tenant"] == "acme"
    assert delivery.headers["X-Callback-Token"] == HEADER_SECRET
    assert "ok order-bot-app/custom_bot (authentication bot-auth)" in result.stdout
    assert "check: 1 role: 1 passed, 0 failed, 0 unknown" in result.stdout


def test_the_message_is_of_a_custom_type_shaped_as_the_specs_callback_examples(bot: Bot, tmp_path: Path) -> None:
    check(write_setup(tmp_path, bot))
    body = bot.requests_to(CALLBACK_PATH)[0].json()
    assert body["metadata"]["attributes"] == [{"name": "version", "value": "v3"}]
    (message,) = body["messages"]["message"]
    assert message["type"]["value"].startswith("custom.")
    assert message["recipients"]["recipient"] == [{"type": "custom_bot"}]
    assert len(message["id"]) == len(message["conversation"]["id"]) == 36


def test_a_get_token_endpoint_is_asked_with_get(bot: Bot, tmp_path: Path) -> None:
    result = check(write_setup(tmp_path, bot, method="GET"))
    assert result.exit_code == 0, result.output
    assert [request.method for request in bot.requests_to(TOKEN_PATH)] == ["GET"]


@pytest.mark.parametrize(
    ("path", "answer"),
    [
        ("$.access_token", {"access_token": "bot-issued-token-1-Qv93"}),
        ("$.data.token", {"data": {"token": "bot-issued-token-1-Qv93"}}),
        ("$['auth-result'][0].value", {"auth-result": [{"value": "bot-issued-token-1-Qv93"}]}),
    ],
)
def test_the_token_is_read_at_the_declared_access_token_path(
    bot: Bot, tmp_path: Path, path: str, answer: dict[str, object]
) -> None:
    bot.token_answer = lambda n: answer
    result = check(write_setup(tmp_path, bot, path=path), "--format", "json")
    assert result.exit_code == 0, result.output
    assert bot.requests_to(CALLBACK_PATH)[0].headers["Authorization"] == "Bearer bot-issued-token-1-Qv93"
    assert (
        steps(result)["token_path"]["detail"] == f"authentication `bot-auth`: token found at accessTokenPath `{path}`"
    )


def test_a_wrong_access_token_path_names_the_keys_the_endpoint_answered_and_sends_nothing_to_the_callback(
    bot: Bot, tmp_path: Path
) -> None:
    bot.token_answer = lambda n: {"token": issued_token(n), "expires": 3600}
    result = check(write_setup(tmp_path, bot, path="$.access_token"))
    assert result.exit_code == 1
    assert (
        "token not found at accessTokenPath `$.access_token`; the endpoint answered keys: token, expires"
        in result.stdout
    )
    assert "hint: set accessTokenPath to the member that holds the token, e.g. `$.token`" in result.stdout
    assert bot.requests_to(CALLBACK_PATH) == []


def test_a_token_answer_that_is_not_json_fails_the_token_path(bot: Bot, tmp_path: Path) -> None:
    bot.token_answer = lambda n: b"<html>sign in</html>"
    result = check(write_setup(tmp_path, bot), "--format", "json")
    assert result.exit_code == 1
    assert steps(result)["token_path"]["detail"] == "authentication `bot-auth`: the token answer is not JSON"


def test_an_access_token_path_with_a_wildcard_is_refused_with_the_supported_form(bot: Bot, tmp_path: Path) -> None:
    result = check(write_setup(tmp_path, bot, path="$..accessToken"), "--format", "json")
    assert result.exit_code == 1
    assert "no `*`, `..` or filters" in steps(result)["token_path"]["detail"]


def test_a_token_endpoint_that_refuses_the_request_names_the_status_and_what_to_check(bot: Bot, tmp_path: Path) -> None:
    bot.token_status = 400
    result = check(write_setup(tmp_path, bot), "--format", "json")
    assert result.exit_code == 1
    step = steps(result)["token_endpoint"]
    assert step["detail"] == f"authentication `bot-auth`: POST {bot.url}{TOKEN_PATH} answered 400"
    assert step["hint"] == "the endpoint refused the request: check the method, headers and payload it expects"


def test_basic_authentication_reaches_the_callback_as_a_basic_authorization(bot: Bot, tmp_path: Path) -> None:
    result = check(write_setup(tmp_path, bot, auth="basic"), "--format", "json")
    assert result.exit_code == 0, result.stdout
    assert bot.requests_to(TOKEN_PATH) == []
    expected = base64.b64encode(f"hub-user:{PASSWORD_SECRET}".encode()).decode()
    assert bot.requests_to(CALLBACK_PATH)[0].headers["Authorization"] == f"Basic {expected}"
    assert steps(result)["token_endpoint"]["status"] == "skip"


def test_a_callback_that_refuses_a_token_once_is_retried_with_a_fresh_one(bot: Bot, tmp_path: Path) -> None:
    bot.refused = {f"Bearer {issued_token(1)}"}
    result = check(write_setup(tmp_path, bot), "--format", "json")
    assert result.exit_code == 0, result.stdout
    assert len(bot.requests_to(TOKEN_PATH)) == 2
    authorizations = [request.headers["Authorization"] for request in bot.requests_to(CALLBACK_PATH)]
    assert authorizations == [f"Bearer {issued_token(1)}", f"Bearer {issued_token(2)}"]
    assert steps(result)["renewal"]["status"] == "pass"


def test_a_callback_that_always_answers_401_fails_the_renewal_with_what_to_fix(bot: Bot, tmp_path: Path) -> None:
    bot.refuse_every_token = True
    result = check(write_setup(tmp_path, bot))
    assert result.exit_code == 1
    assert "answered 401, and 401 again with a fresh token" in result.stdout
    assert "hint: the callback refuses tokens from this tokenRequestUrl" in result.stdout
    assert len(bot.requests_to(CALLBACK_PATH)) == 2


def test_a_basic_callback_answering_401_names_the_authentication_to_fix(bot: Bot, tmp_path: Path) -> None:
    bot.refuse_every_token = True
    result = check(write_setup(tmp_path, bot, auth="basic"), "--format", "json")
    assert result.exit_code == 1
    assert steps(result)["callback"]["hint"] == (
        "check the username and password of authentication `bot-auth` against the bot"
    )
    assert len(bot.requests_to(CALLBACK_PATH)) == 1


def test_a_callback_slower_than_the_limit_fails_and_says_to_answer_at_once(bot: Bot, tmp_path: Path) -> None:
    bot.hold_callback = True
    result = check(write_setup(tmp_path, bot), "--callback-timeout", "0.2", "--format", "json")
    assert result.exit_code == 1
    step = steps(result)["callback"]
    assert step["detail"].endswith("no answer within 0.2 s")
    assert step["hint"] == "answer within the limit: acknowledge at once and process the message asynchronously"


def test_a_callback_that_rejects_the_custom_message_is_told_to_discard_unknown_types(bot: Bot, tmp_path: Path) -> None:
    bot.callback_status = 400
    result = check(write_setup(tmp_path, bot), "--format", "json")
    assert result.exit_code == 1
    assert "which eGain says clients must discard" in steps(result)["callback"]["hint"]


def test_an_unreachable_token_endpoint_fails_without_calling_the_callback(bot: Bot, tmp_path: Path) -> None:
    token_url = f"http://127.0.0.1:{closed_port()}/oauth/token"
    result = check(write_setup(tmp_path, bot, token_url=token_url), "--format", "json")
    assert result.exit_code == 1
    assert (
        steps(result)["token_endpoint"]["detail"] == f"authentication `bot-auth`: POST {token_url}: could not connect"
    )
    assert steps(result)["callback"]["status"] == "skip"
    assert bot.received == []


def test_an_unreachable_callback_names_the_role_and_the_notification_the_hub_would_send(
    bot: Bot, tmp_path: Path
) -> None:
    callback_url = f"http://127.0.0.1:{closed_port()}/egain/callback"
    result = check(write_setup(tmp_path, bot, callback_url=callback_url), "--format", "json")
    assert result.exit_code == 1
    step = steps(result)["callback"]
    assert step["detail"] == f"order-bot-app/custom_bot: {callback_url}: could not connect"
    assert "notificationEmail" in step["hint"]


def test_a_host_that_is_not_loopback_is_refused_and_nothing_is_sent_to_it(bot: Bot, tmp_path: Path) -> None:
    # 0.0.0.0 reaches this machine's 127.0.0.1 listeners yet is not a loopback address:
    # a request, had one been made, would have reached the bot.
    manifest = write_setup(
        tmp_path,
        bot,
        token_url=f"http://0.0.0.0:{bot.port}{TOKEN_PATH}",
        callback_url=f"http://0.0.0.0:{bot.port}{CALLBACK_PATH}",
    )
    result = check(manifest, "--format", "json")
    assert result.exit_code == 1
    assert bot.received == []
    token = steps(result)["token_endpoint"]
    assert token["detail"] == (
        "authentication `bot-auth`: tokenRequestUrl is on host `0.0.0.0`, which is not loopback and not allowed: "
        "nothing was sent to it"
    )
    assert token["hint"] == (
        "if you trust `0.0.0.0` with what the Hub would send it, run check with --allow-host 0.0.0.0 "
        "(or EGAIN_PROVISION_ALLOW_HOST)"
    )
    assert steps(result)["callback"]["detail"].startswith("order-bot-app/custom_bot: callback is on host `0.0.0.0`")


def test_an_allowed_host_is_sent_to(bot: Bot, tmp_path: Path) -> None:
    manifest = write_setup(tmp_path, bot, callback_url=f"http://0.0.0.0:{bot.port}{CALLBACK_PATH}")
    assert check(manifest, "--allow-host", "0.0.0.0").exit_code == 0
    assert len(bot.requests_to(CALLBACK_PATH)) == 1


def test_allowed_hosts_come_from_the_environment_separated_by_spaces(bot: Bot, tmp_path: Path) -> None:
    manifest = write_setup(
        tmp_path,
        bot,
        token_url=f"http://0.0.0.0:{bot.port}{TOKEN_PATH}",
        callback_url=f"http://0.0.0.0:{bot.port}{CALLBACK_PATH}",
    )
    result = check(manifest, env={"EGAIN_PROVISION_ALLOW_HOST": "bots.example.com 0.0.0.0"})
    assert result.exit_code == 0, result.output
    assert "note: --allow-host from the environment (EGAIN_PROVISION_ALLOW_HOST)" in result.stderr


def test_a_named_host_is_refused_unless_allowed(bot: Bot, tmp_path: Path) -> None:
    manifest = write_setup(tmp_path, bot, token_url="https://bots.example.com/oauth/token")
    result = check(manifest, "--allow-host", "agents.example.com", "--format", "json")
    assert result.exit_code == 1
    assert "--allow-host bots.example.com" in steps(result)["token_endpoint"]["hint"]
    assert bot.received == []


def test_an_allow_host_that_is_a_url_is_a_usage_error(bot: Bot, tmp_path: Path) -> None:
    result = check(write_setup(tmp_path, bot), "--allow-host", "https://bots.example.com/")
    assert result.exit_code == 1
    assert "--allow-host 'https://bots.example.com/' is not a host name" in result.stderr
    assert bot.received == []


def test_an_authentication_given_by_id_is_unknown_and_nothing_is_sent(bot: Bot, tmp_path: Path) -> None:
    reference = "        authentication: {id: 34fbb53f-ed7f-48d4-b545-e26cc95e075d}\n"
    result = check(write_setup(tmp_path, bot, reference=reference), "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["results"][0]["status"] == "unknown"
    assert report["summary"] == "check: 1 role: 0 passed, 0 failed, 1 unknown"
    assert bot.received == []


def test_a_role_without_authentication_gets_the_message_without_authorization(bot: Bot, tmp_path: Path) -> None:
    result = check(write_setup(tmp_path, bot, auth="none"))
    assert result.exit_code == 0, result.output
    assert "Authorization" not in bot.requests_to(CALLBACK_PATH)[0].headers


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_reports_the_failure_and_holds_no_secret(bot: Bot, tmp_path: Path, fmt: str) -> None:
    bot.token_answer = lambda n: {"token": issued_token(n), "note": f"echo {PAYLOAD_SECRET}"}
    result = check(write_setup(tmp_path, bot, path="$.access_token"), "--format", fmt)
    assert result.exit_code == 1
    shown = result.stdout.replace("\\", "")
    assert "token not found at accessTokenPath" in shown
    assert "order-bot-app" in shown
    assert "custom_bot" in shown


def test_the_github_format_annotates_the_role_in_the_manifest(bot: Bot, tmp_path: Path) -> None:
    bot.refuse_every_token = True
    manifest = write_setup(tmp_path, bot)
    result = check(manifest, "--format", "github")
    assert f"::error file={manifest},line=" in result.stdout
    assert "title=check order-bot-app/custom_bot::" in result.stdout


def test_the_markdown_format_is_a_table_of_roles_by_step(bot: Bot, tmp_path: Path) -> None:
    result = check(write_setup(tmp_path, bot), "--format", "markdown")
    assert result.exit_code == 0
    assert "| `order-bot-app/custom_bot` | ✅ ok | ✅ ok | ✅ ok | — |" in result.stdout


def test_invalid_manifests_are_reported_and_nothing_is_sent(bot: Bot, tmp_path: Path) -> None:
    manifest = write_setup(tmp_path, bot)
    manifest.write_text(manifest.read_text("utf-8").replace("version: v3", "version: v9"), "utf-8")
    result = check(manifest)
    assert result.exit_code == 1
    assert "error in the manifests" in result.stderr
    assert bot.received == []


def test_a_token_endpoint_redirect_is_not_followed(bot: Bot, tmp_path: Path) -> None:
    with serve_bot() as other:
        bot.token_status = 302
        bot.token_location = other.url + TOKEN_PATH
        result = check(write_setup(tmp_path, bot), "--format", "json")
        assert other.received == []
    assert result.exit_code == 1
    assert steps(result)["token_endpoint"]["hint"] == "redirects are not followed: set tokenRequestUrl to the final URL"


def test_a_token_answer_over_the_size_limit_is_not_read_further(bot: Bot, tmp_path: Path) -> None:
    bot.token_answer = lambda n: {"accessToken": "t" * (MAX_ANSWER_BYTES + 1)}
    result = check(write_setup(tmp_path, bot), "--format", "json")
    assert result.exit_code == 1
    assert steps(result)["token_path"]["detail"] == (
        f"authentication `bot-auth`: the token answer is over {MAX_ANSWER_BYTES} bytes"
    )
    assert bot.requests_to(CALLBACK_PATH) == []


def test_each_role_of_each_application_is_reported_and_one_failure_fails_the_run(bot: Bot, tmp_path: Path) -> None:
    manifest = write_setup(tmp_path, bot)
    unreachable = f"http://127.0.0.1:{closed_port()}/customer"
    manifest.write_text(
        manifest.read_text("utf-8")
        + f"""\
  - name: web-front-end
    roles:
      - name: customer
        version: v1
        callback: {unreachable}
        notificationEmail: ops@example.com
""",
        "utf-8",
    )
    result = check(manifest, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [(r["application"], r["role"], r["status"]) for r in report["results"]] == [
        ("order-bot-app", "custom_bot", "pass"),
        ("web-front-end", "customer", "fail"),
    ]
    assert report["summary"] == "check: 2 roles: 1 passed, 1 failed, 0 unknown"


def test_a_role_without_authentication_on_a_refused_host_is_refused_too(bot: Bot, tmp_path: Path) -> None:
    manifest = write_setup(tmp_path, bot, auth="none", callback_url=f"http://0.0.0.0:{bot.port}{CALLBACK_PATH}")
    result = check(manifest, "--format", "json")
    assert result.exit_code == 1
    assert bot.received == []
    assert steps(result)["token_endpoint"]["detail"] == "no authentication declared: no token"
    assert "callback is on host `0.0.0.0`" in steps(result)["callback"]["detail"]

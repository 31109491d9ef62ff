"""`egain-provision test`: scenario files run end to end through a served sandbox's hub and a loopback bot."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from egain_provision.sandbox.testing import ServedSandbox
from egain_provision.scenarios import load_scenarios
from tests.hub.support import LoopbackBot, admin, build_setup, oauth2_authentication
from tests.support import Tenant, run_cli, target_env

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "byoc"
BOT_PAYLOAD = '{"clientId": "demo", "clientSecret": "test-only"}'

PASSING = """\
version: 1
timeout: 5
scenarios:
  - name: the bot answers an order question
    account: web-account
    steps:
      - say: Where is my order?
      - expectDelivery: {to: order-bot}
      - waitForReplyContaining: SHIPS
      - waitForReplyMatching: "ORDER-[0-9]+"
      - end: true
"""

FAILING = """\
version: 1
scenarios:
  - name: delivered to the wrong participant
    account: web-account
    steps:
      - say: Where is my order?
      - expectDelivery: {to: nobody}
        timeout: 0.3
      - end: true
  - name: a reply that never comes
    account: web-account
    timeout: 0.3
    steps:
      - say: Where is my order?
      - waitForReplyContaining: refund
  - name: an account that does not exist
    account: nope
    steps:
      - say: hello
  - name: the agents are away
    account: web-account
    steps:
      - agents: unavailable
      - say: I want an agent
      - waitForReplyMatching: "closed"
"""


@pytest.fixture
def answering_bot(hub: ServedSandbox, tenant: Tenant) -> Iterator[LoopbackBot]:
    """A bot that answers customers with an order number through the API, and escalates on 'agent'."""
    api = hub.client("app.conversation.conversationmgr.interaction.manage")

    def reply(path: str, message: dict[str, Any]) -> None:
        if path != "/bot" or message["sender"]["type"] != "customer":
            return
        wants_agent = "agent" in message.get("content", {}).get("text", "")
        answer: dict[str, Any] = {
            "conversation": {"id": message["conversation"]["id"]},
            "type": {"value": "escalation.transfer" if wants_agent else "text"},
            "sender": {"type": "custom_bot", "participant": {"name": "Order bot"}},
        }
        if not wants_agent:
            answer["content"] = {"text": "Your order ORDER-42 ships tomorrow."}
        api.post("/conversations/messages", json={"messages": {"message": [answer]}})

    with LoopbackBot(on_message=reply) as bot:
        build_setup(tenant, bot, chat={"onAgentUnavailability": "off_hours"})
        yield bot
    api.close()


def _write(tmp_path: Path, text: str, name: str = "scenarios.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return str(path)


def test_a_passing_scenario_prints_a_line_per_step_and_exits_0(
    hub: ServedSandbox, answering_bot: LoopbackBot, tmp_path: Path
) -> None:
    result = run_cli(["test", "--target", hub.url, _write(tmp_path, PASSING)])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("PASSED: the bot answers an order question (")
    assert [line.split("(")[0].strip() for line in lines[1:6]] == [
        "ok      1. say: Where is my order?",
        "ok      2. expectDelivery: {to: order-bot}",
        "ok      3. waitForReplyContaining: SHIPS",
        "ok      4. waitForReplyMatching: ORDER-[0-9]+",
        "ok      5. end: true",
    ]
    assert lines[-1] == "1 scenario: 1 passed"
    # The run went through the hub: the bot's callback got the customer's message.
    assert [m["content"]["text"] for m in answering_bot.messages_to("/bot")] == ["Where is my order?"]


def test_each_failure_says_what_was_expected_and_what_arrived(
    hub: ServedSandbox, answering_bot: LoopbackBot, tmp_path: Path
) -> None:
    result = run_cli(["test", "--target", hub.url, _write(tmp_path, FAILING)])

    assert result.exit_code == 1
    out = result.stdout
    assert "FAIL    2. expectDelivery: {to: nobody}" in out
    assert "expected: a delivery to 'nobody' answered 2xx within 0.3 s" in out
    assert "received: text to order-bot: delivered (200), auth oauth2 (bot-callback)" in out
    assert "skip    3. end: true" in out
    assert "expected: a reply containing 'refund' within 0.3 s" in out
    assert "received: 'Your order ORDER-42 ships tomorrow.'" in out
    assert "expected: the hub accepts the customer's message 'hello'" not in out
    assert "expected: an account named 'nope'\n      received: no such account in the target" in out
    # off_hours with no agent online: the customer got the channel's off-hours text.
    assert "PASSED: the agents are away" in out
    assert out.splitlines()[-1] == "4 scenarios: 1 passed, 3 failed"


def test_junit_output_parses_and_counts_the_failures(
    hub: ServedSandbox, answering_bot: LoopbackBot, tmp_path: Path
) -> None:
    file = _write(tmp_path, FAILING)
    result = run_cli(["test", "--target", hub.url, "--format", "junit", file])

    assert result.exit_code == 1
    [suite] = ET.fromstring(result.stdout)
    # --junit-file writes the same XML beside the text report.
    junit = tmp_path / "results.xml"
    again = run_cli(["test", "--target", hub.url, "--junit-file", str(junit), file])
    assert again.stdout.startswith("FAILED: ") and ET.parse(junit).getroot()[0].get("failures") == "3"
    assert (suite.get("name"), suite.get("tests"), suite.get("failures")) == (file, "4", "3")
    failures = {case.get("name"): case.find("failure") for case in suite}
    assert failures["the agents are away"] is None
    message = failures["a reply that never comes"].get("message")  # type: ignore[union-attr]
    assert message == (
        "waitForReplyContaining: refund: expected a reply containing 'refund' within 0.3 s; "
        "received 'Your order ORDER-42 ships tomorrow.'"
    )


def test_json_output_names_each_steps_status(hub: ServedSandbox, answering_bot: LoopbackBot, tmp_path: Path) -> None:
    result = run_cli(["test", "--target", hub.url, "--format", "json", _write(tmp_path, PASSING)])

    report = json.loads(result.stdout)
    [scenario] = report["scenarios"]
    assert scenario["status"] == "passed" and len(scenario["conversation"]) == 36
    assert [step["action"] for step in scenario["steps"]][:2] == ["say", "expectDelivery"]


def test_a_bad_scenario_file_is_reported_with_its_location_and_nothing_runs(hub: ServedSandbox, tmp_path: Path) -> None:
    bad = """\
version: 1
scenarios:
  - name: broken
    account: web-account
    steps:
      - say: hi
        waitForReplyContaining: both
      - waitForReplyMatching: "ORDER-[0-9"
      - sing: la
"""
    file = _write(tmp_path, bad)
    result = run_cli(["test", "--target", hub.url, file])

    assert result.exit_code == 1
    assert f"{file}:6:9: error: a step holds exactly one action, not 2 (say, waitForReplyContaining)" in result.stderr
    assert f"{file}:8:31: error: not a regular expression" in result.stderr
    assert f"{file}:9:9: error: unknown key ('sing' was unexpected) [scenarios[0].steps[2]]" in result.stderr
    assert "nothing was run" in result.stderr
    assert admin(hub, "GET", "/conversations") == []


def test_a_target_that_is_not_running_is_a_named_error(tmp_path: Path) -> None:
    result = run_cli(["test", "--target", "http://127.0.0.1:9", _write(tmp_path, PASSING)])
    assert result.exit_code == 1
    assert "cannot reach http://127.0.0.1:9" in result.stderr and "Traceback" not in result.output


def test_the_byoc_example_scenarios_pass_against_the_reference_bot(hub: ServedSandbox, tmp_path: Path) -> None:
    """What `make demo` ends with: examples/byoc applied, its reference bot running, its scenarios run."""
    bot = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "bot" / "bot.py"), "--port", "0", "--api", hub.base_url],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "EGAIN_VAR_BOT_TOKEN_PAYLOAD": BOT_PAYLOAD},
    )
    try:
        assert bot.stdout is not None
        bot_url = bot.stdout.readline().removeprefix("bot: ").strip()
        # The example's callbacks point at the bot's usual port; this copy points at the one it got.
        manifests = tmp_path / "byoc"
        shutil.copytree(EXAMPLES, manifests, ignore=shutil.ignore_patterns("bot", "scenarios"))
        for manifest in manifests.glob("*.yaml"):
            manifest.write_text(manifest.read_text("utf-8").replace("http://127.0.0.1:8766", bot_url), "utf-8")
        env = {**target_env(hub), "EGAIN_VAR_BOT_TOKEN_PAYLOAD": BOT_PAYLOAD}
        journal = str(tmp_path / "journal.jsonl")
        applied = run_cli(
            ["apply", "--target", hub.base_url, "--auto-approve", "--journal", journal, str(manifests)], env=env
        )
        assert applied.exit_code == 0, applied.output

        result = run_cli(["test", "--target", hub.url, str(EXAMPLES / "scenarios")])
    finally:
        bot.terminate()
        bot.wait(10)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "3 scenarios: 3 passed"


def test_the_example_scenario_files_are_valid() -> None:
    scenarios, problems = load_scenarios([str(path) for path in sorted((EXAMPLES / "scenarios").glob("*.yaml"))])
    assert problems == [] and len(scenarios) == 3


def test_a_wrong_accesstokenpath_fails_the_delivery_step_naming_it(
    hub: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    with LoopbackBot() as bot:
        build_setup(tenant, bot, authentication=oauth2_authentication(bot, accessTokenPath="$.access_token"))
        result = run_cli(["test", "--target", hub.url, _write(tmp_path, PASSING)])

    assert result.exit_code == 1
    assert (
        "received: text to order-bot: token_failed, auth oauth2 (bot-callback): no token string at "
        "accessTokenPath '$.access_token' in the token endpoint's answer"
    ) in result.stdout

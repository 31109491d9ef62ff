"""Counts agree with their nouns: "1 request", "1 item", never "1 requests"."""

from __future__ import annotations

from pathlib import Path

from egain_provision.sandbox.testing import ServedSandbox
from tests.support import FULL_SETUP, run_cli, target_env, write_manifest

ONE_AUTHENTICATION = """\
version: 1
authentications:
  - name: agent-basic
    type: basic
    basicAuth: {username: egain, password: "${env:EGAIN_VAR_AGENT_PASSWORD}"}
"""


def test_a_plan_of_one_create_costs_its_post_and_its_re_read(clean_sandbox: ServedSandbox, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, ONE_AUTHENTICATION)
    result = run_cli(["plan", "--target", clean_sandbox.base_url, str(manifest)], env=target_env(clean_sandbox))
    assert result.exit_code == 0, result.stderr
    assert "apply: 2 requests (not paced)" in result.stderr.splitlines()
    assert "requests per method: plan GET 6; its apply about GET 1, POST 1" in result.stderr.splitlines()


def test_a_list_of_at_most_one_item_says_item(tmp_path: Path) -> None:
    bot = "          - application: order-bot-app\n            participant: order-bot\n"
    two_bots = FULL_SETUP.replace(bot + "            onEscalation: {agent: agent-desk}\n", bot + bot)
    assert two_bots != FULL_SETUP
    result = run_cli(["validate", str(write_manifest(tmp_path, two_bots))])
    assert result.exit_code == 1
    assert "allows at most 1 item (has 2)" in result.stdout

"""`--only KIND/NAME`: partial plans of the selected objects, labelled partial wherever they are shown."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from egain_provision.sandbox.testing import ServedSandbox
from egain_provision.schemas import load_schema
from tests.support import FULL_SETUP, Tenant, create_full_setup, run_cli, target_env, write_manifest

SECOND_ACCOUNT = """\
  - name: support-new
    address: "987654321"
    channel: custom.web
    chatConfigurations:
      timeout: 30
      orchestration: bot-first
      entryPoint: {id: "1002"}
"""


def cli(sandbox: ServedSandbox, command: str, *args: str) -> tuple[int, str, str]:
    result = run_cli([command, "--target", sandbox.base_url, *args], env=target_env(sandbox))
    return result.exit_code, result.stdout, result.stderr


def test_only_plans_the_selected_objects_and_says_the_plan_is_partial(
    tenant: Tenant, sandbox: ServedSandbox, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    # Two changes declared: a new account (selected) and a changed description (not selected).
    text = FULL_SETUP.replace("description: Order bot", "description: Order bot v2") + SECOND_ACCOUNT
    manifest = write_manifest(tmp_path, text)
    code, out, err = cli(sandbox, "plan", "--only", "accounts/support-*", "--format", "json", str(manifest))
    assert code == 0, err
    document = json.loads(out)
    assert [(a["action"], a["kind"], a["natural_key"]) for a in document["actions"]] == [
        ("create", "accounts", "support-new")
    ]
    assert document["partial"] is True
    assert document["only"] == ["accounts/support-*"]
    jsonschema.Draft202012Validator(load_schema("plan")).validate(document)
    code, out, _ = cli(sandbox, "plan", "--only", "accounts/support-*", str(manifest))
    assert out.count("Partial plan: only accounts/support-* (--only)") == 2
    code, out, _ = cli(sandbox, "plan", "--only", "accounts/support-*", "--format", "markdown", str(manifest))
    assert "> [!NOTE]\n> Partial plan: only `accounts/support-*` (--only)" in out


def test_a_whole_plan_is_not_labelled_partial(sandbox: ServedSandbox, tmp_path: Path) -> None:
    code, out, err = cli(sandbox, "plan", "--format", "json", str(write_manifest(tmp_path)))
    assert code == 0, err
    assert "partial" not in json.loads(out)
    assert "Partial plan" not in cli(sandbox, "plan", str(write_manifest(tmp_path)))[1]


def test_a_reference_neither_live_nor_selected_is_a_clear_error(sandbox: ServedSandbox, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path)
    code, out, err = cli(sandbox, "plan", "--only", "accounts/order-account", str(manifest))
    assert code == 1
    assert "accounts 'order-account' references orchestrations 'bot-first', which does not exist in the tenant" in err
    assert "--only orchestrations/bot-first" in err
    # Selecting the whole chain makes it plannable.
    chain = [f"--only={kind}/*" for kind in ("authentications", "clientApplications", "participants")]
    chain += ["--only=channels/custom.web", "--only=orchestrations/bot-first", "--only=accounts/order-account"]
    code, out, err = cli(sandbox, "plan", *chain, "--format", "json", str(manifest))
    assert code == 0, err
    assert len(json.loads(out)["actions"]) == 9


def test_prune_and_the_delete_limit_speak_of_the_selection_only(
    tenant: Tenant, sandbox: ServedSandbox, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    for name in ("stray-a", "other-b"):
        basic = {"username": "u", "password": "p"}
        tenant.create("authentications", {"name": name, "type": "basic", "basicAuth": basic})
    manifest = write_manifest(tmp_path)
    args = ["--prune", "--max-deletes", "1", "--format", "json", str(manifest)]
    code, out, err = cli(sandbox, "plan", "--only", "authentications/stray-*", *args)
    assert code == 0, err
    document = json.loads(out)
    assert [(a["action"], a["natural_key"]) for a in document["actions"]] == [("delete", "stray-a")]
    assert document["unmanaged"] == []
    # The whole plan deletes both, over the limit of 1.
    code, _, err = cli(sandbox, "plan", *args)
    assert code == 1
    assert "more than --max-deletes 1" in err


def test_a_saved_partial_plan_stays_partial_when_shown_and_applies_only_the_selection(
    tenant: Tenant, sandbox: ServedSandbox, tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path)
    saved = tmp_path / "plan.json"
    code, _, err = cli(sandbox, "plan", "--only", "authentications/*", "--out", str(saved), str(manifest))
    assert code == 0, err
    shown = run_cli(["show", str(saved)])
    assert "Partial plan: only authentications/* (--only)" in shown.stdout
    result = run_cli(
        ["apply", "--target", sandbox.base_url, "--journal", str(tmp_path / "journal.jsonl"), str(saved)],
        env=target_env(sandbox),
    )
    assert result.exit_code == 0, result.stderr
    assert tenant.names("authentications") == ["agent-basic", "bot-callback"]
    assert tenant.names("clientApplications") == []


def test_only_refuses_a_pattern_that_is_not_kind_slash_name(sandbox: ServedSandbox, tmp_path: Path) -> None:
    code, _, err = cli(sandbox, "plan", "--only", "account/x", str(write_manifest(tmp_path)))
    assert code == 1
    assert "'account/x' is not KIND/NAME; KIND is one of authentications" in err

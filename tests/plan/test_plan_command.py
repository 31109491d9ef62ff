"""`egain-provision plan` against a served sandbox: what users rely on in every pull request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import jsonschema

from egain_provision.sandbox.testing import ServedSandbox
from egain_provision.schemas import load_schema
from tests.support import (
    FULL_SETUP,
    FULL_SETUP_ORDER,
    PASSWORD_SECRET,
    SECRET_ENV,
    Tenant,
    assert_no_secrets,
    create_full_setup,
    run_cli,
    target_env,
    write_manifest,
)


def plan(sandbox: ServedSandbox, *args: str, env: Mapping[str, str | None] | None = None) -> tuple[int, str, str]:
    result = run_cli(["plan", "--target", sandbox.base_url, *args], env={**target_env(sandbox), **(env or {})})
    return result.exit_code, result.stdout, result.stderr


def json_plan(sandbox: ServedSandbox, *args: str) -> tuple[int, dict]:
    code, out, err = plan(sandbox, "--format", "json", *args)
    assert code in (0, 2, 3), err
    return code, json.loads(out)


def test_fresh_tenant_plans_every_object_as_create_in_setup_order(sandbox: ServedSandbox, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path)
    code, document = json_plan(sandbox, str(manifest), "--detailed-exitcode")
    assert code == 2
    assert [(a["action"], a["kind"], a["natural_key"]) for a in document["actions"]] == FULL_SETUP_ORDER


def test_references_to_objects_created_in_the_same_plan_are_known_after_apply(
    sandbox: ServedSandbox, tmp_path: Path
) -> None:
    code, out, _ = plan(sandbox, str(write_manifest(tmp_path)), "--no-color")
    assert code == 0
    account_block = out[out.index('accounts "order-account"') :]
    assert "orchestration" in account_block
    assert "(known after apply)" in account_block


def test_untouched_tenant_plans_no_changes(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    create_full_setup(tenant)
    code, out, err = plan(sandbox, str(write_manifest(tmp_path)), "--detailed-exitcode")
    assert code == 0, out + err
    assert "No changes" in out


def test_drift_shows_exactly_the_changed_field(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    create_full_setup(tenant)
    tenant.edit("channels", "custom.web", displayName="Changed behind our back")
    code, document = json_plan(sandbox, str(write_manifest(tmp_path)), "--detailed-exitcode")
    assert code == 2
    [action] = document["actions"]
    assert (action["action"], action["kind"], action["natural_key"]) == ("update", "channels", "custom.web")
    assert [c["path"] for c in action["changes"]] == ["displayName"]
    assert action["changes"][0]["before"] == "Changed behind our back"
    assert action["changes"][0]["after"] == "Web chat"


def test_drift_in_text_output_reads_old_to_new(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    create_full_setup(tenant)
    tenant.edit("channels", "custom.web", displayName="Changed")
    code, out, _ = plan(sandbox, str(write_manifest(tmp_path)), "--no-color", "--detailed-exitcode")
    assert code == 2
    assert '"Changed" -> "Web chat"' in out
    assert "1 to update" in out


def test_prune_deletes_undeclared_objects_in_reverse_order(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    manifest = write_manifest(tmp_path, "version: 1\n")
    code, document = json_plan(sandbox, str(manifest), "--prune", "--detailed-exitcode")
    assert code == 3
    kinds = [a["kind"] for a in document["actions"]]
    assert all(a["action"] == "delete" for a in document["actions"])
    order = ["accounts", "orchestrations", "channels", "participants", "clientApplications", "authentications"]
    assert kinds == sorted(kinds, key=order.index)
    assert len(kinds) == 9


def test_without_prune_undeclared_objects_are_listed_as_not_managed(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    code, document = json_plan(sandbox, str(write_manifest(tmp_path, "version: 1\n")), "--detailed-exitcode")
    assert code == 0
    assert document["actions"] == []
    assert len(document["unmanaged"]) == 9


def test_prune_beyond_max_deletes_is_an_error_after_the_plan(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    code, out, err = plan(sandbox, str(write_manifest(tmp_path, "version: 1\n")), "--prune", "--max-deletes", "3")
    assert code == 1
    assert "Error: the plan deletes 9 objects, more than --max-deletes 3" in err
    assert out.endswith("Plan: 0 to create, 0 to update, 9 to delete. 0 unchanged.\n" + REFUSAL_3 + "\n")


REFUSAL_3 = (
    "This plan deletes 9 objects, more than --max-deletes 3 allows: apply will refuse it. "
    "Review the deletes, then raise --max-deletes if they are intended."
)


def test_detailed_exitcode_is_4_for_a_plan_over_max_deletes_shown_in_full_with_the_refusal_first(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    empty = str(write_manifest(tmp_path, "version: 1\n"))
    code, out, err = plan(
        sandbox, empty, "--prune", "--max-deletes", "3", "--format", "markdown", "--detailed-exitcode"
    )
    assert code == 4
    assert out.startswith("<!-- egain-provision:plan -->\n### egain-provision plan for ")
    assert out.split("\n\n")[1] == f"> [!CAUTION]\n> {REFUSAL_3}"
    for kind, names in (("authentications", "`agent-basic`, `bot-callback`"), ("accounts", "`order-account`")):
        assert f"\n> - `{kind}`" in out and names in out
    assert out.count("<details><summary>🗑️ delete ") == 9
    assert "Error: the plan deletes 9 objects, more than --max-deletes 3" in err
    assert "hint: review the deletes, then pass --max-deletes 9 if they are intended" in err
    # The API's secret fields stay masked in the deletes, and so do the callback headers' values.
    assert "oauth2.payload: (sensitive value)" in out and "basicAuth.password: (sensitive value)" in out
    assert "roles[custom_bot].headers[X-Token].value: (sensitive value)" in out
    assert_no_secrets([out, err])


def test_a_header_value_no_manifest_declares_is_never_shown(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    # The tenant holds a callback header with a token; pruning the object, or an update that drops
    # the header, must not print it in any format.
    create_full_setup(tenant)
    empty = str(write_manifest(tmp_path / "empty", "version: 1\n"))
    outputs = []
    for fmt in ("text", "json", "markdown"):
        code, out, err = plan(sandbox, empty, "--prune", "--max-deletes", "20", "--format", fmt)
        assert code == 0, err
        outputs += [out, err]
    assert "roles[custom_bot].headers[X-Token].value: (sensitive value)" in outputs[0]
    dropped = FULL_SETUP.replace('        headers: [{name: X-Token, value: "${env:EGAIN_VAR_CALLBACK_TOKEN}"}]\n', "")
    assert dropped != FULL_SETUP
    manifest = str(write_manifest(tmp_path / "dropped", dropped))
    for fmt in ("text", "json", "markdown"):
        code, out, err = plan(sandbox, manifest, "--format", fmt, "--detailed-exitcode")
        assert code == 2, err
        outputs += [out, err]
    assert "- roles[custom_bot].headers[X-Token].value: (sensitive value)" in outputs[6]
    # A header the manifests give another value (a literal: no secret of theirs), and one renamed.
    literal = FULL_SETUP.replace('value: "${env:EGAIN_VAR_CALLBACK_TOKEN}"', "value: rotated-Qp33")
    renamed = literal.replace("name: X-Token", "name: X-Other")
    assert literal != FULL_SETUP and renamed != literal
    for name, text in (("literal", literal), ("renamed", renamed)):
        manifest = str(write_manifest(tmp_path / name, text))
        for fmt in ("text", "json", "markdown"):
            code, out, err = plan(sandbox, manifest, "--format", fmt, "--detailed-exitcode")
            assert code == 2, err
            assert "X-Token" in out
            outputs += [out, err]
    assert "~ roles[custom_bot].headers[X-Token].value: (sensitive value) -> (sensitive value)" in outputs[12]
    assert_no_secrets(outputs)


def test_a_plan_over_max_deletes_is_never_saved(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    create_full_setup(tenant)
    saved = tmp_path / "plan.json"
    empty = str(write_manifest(tmp_path, "version: 1\n"))
    for extra in ([], ["--detailed-exitcode"]):
        code, out, err = plan(sandbox, empty, "--prune", "--max-deletes", "3", "--out", str(saved), *extra)
        assert code == (4 if extra else 1)
        assert not saved.exists()
        assert f"The plan was not saved to {saved}: apply refuses a plan over --max-deletes." in err
        assert out.startswith(f"Target: {sandbox.base_url}\n\n{REFUSAL_3}\n\n")
    assert len(tenant.list("accounts")) == 1


def test_detailed_exitcode_stays_3_for_deletes_within_max_deletes(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    empty = str(write_manifest(tmp_path, "version: 1\n"))
    code, out, _ = plan(sandbox, empty, "--prune", "--max-deletes", "9", "--format", "markdown", "--detailed-exitcode")
    assert code == 3
    assert "[!CAUTION]" not in out


def test_rename_through_previous_names_is_an_update(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    create_full_setup(tenant)
    renamed = FULL_SETUP.replace(
        "  - name: web-customer\n", "  - name: site-customer\n    previousNames: [web-customer]\n"
    ).replace("{customer: web-customer}", "{customer: site-customer}")
    code, document = json_plan(sandbox, str(write_manifest(tmp_path, renamed)), "--detailed-exitcode")
    assert code == 2
    [action] = document["actions"]
    assert action["action"] == "update"
    assert action["natural_key"] == "site-customer"
    assert action["previous_key"] == "web-customer"
    assert [(c["path"], c["before"], c["after"]) for c in action["changes"]] == [
        ("name", "web-customer", "site-customer")
    ]


def test_ignored_objects_are_neither_changed_nor_deleted(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    manifest = write_manifest(tmp_path, "version: 1\nignore:\n  accounts: ['order-*']\n")
    _, document = json_plan(sandbox, str(manifest), "--prune", "--max-deletes", "100")
    assert "accounts" not in {a["kind"] for a in document["actions"]}
    assert document["ignored"] == {"accounts": 1}


def test_kind_limits_the_plan(sandbox: ServedSandbox, tmp_path: Path) -> None:
    _, document = json_plan(sandbox, str(write_manifest(tmp_path)), "--kind", "authentications")
    assert {a["kind"] for a in document["actions"]} == {"authentications"}


def test_kind_refuses_a_reference_to_an_object_it_leaves_out(sandbox: ServedSandbox, tmp_path: Path) -> None:
    code, _, err = plan(sandbox, str(write_manifest(tmp_path)), "--kind", "participants")
    assert code == 1
    assert "--kind" in err and "order-bot-app" in err


def test_unknown_reference_is_an_error_at_its_location(sandbox: ServedSandbox, tmp_path: Path) -> None:
    manifest = write_manifest(
        tmp_path,
        "version: 1\nparticipants:\n  - name: p\n    type: custom_bot\n    application: no-such-app\n",
    )
    code, _, err = plan(sandbox, str(manifest))
    assert code == 1
    assert f"{manifest}:5:18" in err
    assert "no-such-app" in err


def test_ambiguous_live_name_is_an_error_listing_the_ids(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    ids = create_full_setup(tenant)
    duplicate = tenant.create(
        "orchestrations",
        {"name": "bot-first", "applications": {"agentConfiguration": {"agents": [{"id": ids["agent-desk"]}]}}},
    )
    code, _, err = plan(sandbox, str(write_manifest(tmp_path)))
    assert code == 1
    assert ids["bot-first"] in err and duplicate in err


def test_write_only_secrets_are_not_compared_and_cause_no_phantom_change(tmp_path: Path) -> None:
    with ServedSandbox(db_path=str(tmp_path / "masked.db"), mask_secrets=True) as masked:
        tenant = Tenant(masked)
        create_full_setup(tenant)
        code, out, err = plan(masked, str(write_manifest(tmp_path)), "--detailed-exitcode", "--no-color")
        assert code == 0, out + err
        assert "write-only" in out
        code, document = json_plan(masked, str(write_manifest(tmp_path)), "--rotate-secrets")
        rotated = {(a["kind"], a["natural_key"]) for a in document["actions"]}
        assert rotated == {("authentications", "bot-callback"), ("authentications", "agent-basic")}
        tenant.close()


def test_a_changed_secret_shows_as_a_masked_change(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    create_full_setup(tenant)
    code, out, _ = plan(
        sandbox,
        str(write_manifest(tmp_path)),
        "--detailed-exitcode",
        "--no-color",
        env={"EGAIN_VAR_AGENT_PASSWORD": "a-new-password-77"},
    )
    assert code == 2
    assert "basicAuth.password" in out
    assert "(sensitive value)" in out
    assert "a-new-password-77" not in out and PASSWORD_SECRET not in out


def test_secrets_never_appear_in_any_rendering_or_saved_plan(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    manifest = str(write_manifest(tmp_path))
    outputs = []
    saved = tmp_path / "plan.json"
    for fmt in ("text", "json", "markdown"):
        code, out, err = plan(sandbox, manifest, "--format", fmt, "--out", str(saved))
        assert code == 0
        outputs += [out, err, saved.read_text()]
    create_full_setup(tenant)
    tenant.edit("authentications", "agent-basic", basicAuth={"username": "x", "password": "other-pass-99"})
    for fmt in ("text", "json", "markdown"):
        _, out, err = plan(sandbox, manifest, "--format", fmt, "--prune", "-v")
        outputs += [out, err]
    assert_no_secrets(outputs)
    assert not any("other-pass-99" in text for text in outputs)


def test_json_plan_validates_against_the_published_schema(sandbox: ServedSandbox, tmp_path: Path) -> None:
    _, document = json_plan(sandbox, str(write_manifest(tmp_path)))
    jsonschema.Draft202012Validator(load_schema("plan")).validate(document)
    assert document["format_version"] == "1.4"


def test_saved_plan_is_the_json_plan(sandbox: ServedSandbox, tmp_path: Path) -> None:
    saved = tmp_path / "out" / "plan.json"
    _, stdout_plan = json_plan(sandbox, str(write_manifest(tmp_path)), "--out", str(saved))
    assert json.loads(saved.read_text()) == stdout_plan


def test_plan_names_its_target(sandbox: ServedSandbox, tmp_path: Path) -> None:
    _, out, _ = plan(sandbox, str(write_manifest(tmp_path)), "--no-color")
    assert sandbox.base_url in out


def test_under_ci_the_sandbox_must_be_asked_for(tmp_path: Path) -> None:
    result = run_cli(["plan", str(write_manifest(tmp_path))], env={"CI": "true"})
    assert result.exit_code == 1
    assert "--target sandbox" in result.stderr


def test_embedded_sandbox_is_the_default_target(tmp_path: Path) -> None:
    db = tmp_path / "embedded.db"
    result = run_cli(["plan", str(write_manifest(tmp_path)), "--no-color"], env={"EGAIN_SANDBOX_DB": str(db)})
    assert result.exit_code == 0, result.output
    assert "embedded sandbox" in result.stdout
    assert "9 to create" in result.stdout


def test_a_url_target_without_credentials_is_refused(tmp_path: Path) -> None:
    result = run_cli(
        ["plan", "--target", "http://127.0.0.1:9/conversation/conversationmgr/v3", str(write_manifest(tmp_path))],
        env={"EGAIN_TOKEN_URL": None, "EGAIN_CLIENT_ID": None, "EGAIN_CLIENT_SECRET": None},
    )
    assert result.exit_code == 1
    assert "EGAIN_CLIENT_ID" in result.stderr
    assert "Traceback" not in result.output


def test_a_plan_of_600_live_objects_reads_each_list_page_once(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    for index in range(600):
        tenant.create("channels", {"type": f"custom.c{index:03d}", "displayName": "c", "icon": "iVBORw0KGgo="})
    sandbox.clear_requests()
    code, _, err = plan(sandbox, str(write_manifest(tmp_path, "version: 1\n")))
    assert code == 0, err
    api_requests = [r for r in sandbox.requests() if "/conversation/" in r["path"]]
    pages = sorted((r["path"].rsplit("/", 1)[-1], r["query"]) for r in api_requests)
    assert len(api_requests) == 5 + 6  # one page for each of five empty kinds, six pages of channels
    assert len(set(pages)) == len(pages)
    assert all(r["method"] == "GET" for r in api_requests)


def test_refused_credentials_are_one_clear_error_and_nothing_else(sandbox: ServedSandbox, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EGAIN_") and k != "CI"}
    env.update(SECRET_ENV)
    env.update({"EGAIN_TOKEN_URL": sandbox.token_url, "EGAIN_CLIENT_ID": "someone", "EGAIN_CLIENT_SECRET": "wrong-1"})
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "egain_provision.cli",
            "plan",
            "--target",
            sandbox.base_url,
            str(write_manifest(tmp_path)),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Error: the token endpoint {sandbox.token_url} refused the client credentials: invalid_client (HTTP 401)",
        "  hint: the client id or secret is wrong: check EGAIN_CLIENT_ID and EGAIN_CLIENT_SECRET",
    ]
    assert "wrong-1" not in result.stdout + result.stderr


def test_a_whole_number_answered_as_a_float_is_no_change(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    account = tenant.find("accounts", "order-account")
    tenant.edit(
        "accounts",
        "order-account",
        description="drifted",
        chatConfigurations={**account["chatConfigurations"], "timeout": 30.0},
    )
    assert tenant.find("accounts", "order-account")["chatConfigurations"]["timeout"] == 30.0
    code, document = json_plan(sandbox, str(write_manifest(tmp_path)), "--detailed-exitcode")
    assert code == 2
    [action] = document["actions"]
    assert [change["path"] for change in action["changes"]] == ["description"]


def test_prune_never_deletes_what_a_kept_object_still_references(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    # Only the account is declared; it references the channel and orchestration by name.
    account_only = FULL_SETUP[FULL_SETUP.index("accounts:") :]
    code, document = json_plan(sandbox, str(write_manifest(tmp_path, "version: 1\n" + account_only)), "--prune")
    assert code == 0
    assert document["actions"] == []  # everything else is referenced, directly or through others
    assert len(document["unmanaged"]) == 8
    assert any(
        "'bot-first' is not declared but accounts 'order-account' still references it" in w
        for w in document["warnings"]
    )


def test_prune_deletes_what_only_deleted_objects_reference(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    auths_only = FULL_SETUP[: FULL_SETUP.index("clientApplications:")]
    code, document = json_plan(sandbox, str(write_manifest(tmp_path, auths_only)), "--prune", "--detailed-exitcode")
    assert code == 3
    assert {a["kind"] for a in document["actions"]} == {
        "clientApplications",
        "participants",
        "channels",
        "orchestrations",
        "accounts",
    }


TWO_ROLES = """\
version: 1
clientApplications:
  - name: two-roles
    roles:
      - {name: customer, version: v3, callback: "https://web.example.com/cb", notificationEmail: ops@example.com}
      - {name: custom_agent, version: v3, callback: "${env:EGAIN_VAR_CALLBACK_TOKEN}", notificationEmail: a@b.co}
"""


def test_reordering_roles_with_a_sensitive_field_is_no_change(sandbox: ServedSandbox, tmp_path: Path) -> None:
    env = {"EGAIN_VAR_CALLBACK_TOKEN": "https://agents.example.com/cb?token=hdr-t0ken-Jm07"}
    result = run_cli(
        [
            "apply",
            "--auto-approve",
            "--target",
            sandbox.base_url,
            str(write_manifest(tmp_path, TWO_ROLES)),
            "--journal",
            str(tmp_path / "journal.jsonl"),
        ],
        env={**target_env(sandbox), **env},
    )
    assert result.exit_code == 0, result.output
    lines = TWO_ROLES.splitlines()
    swapped = "\n".join([*lines[:4], lines[5], lines[4]]) + "\n"
    code, out, err = plan(sandbox, str(write_manifest(tmp_path, swapped)), "--detailed-exitcode", env=env)
    assert code == 0, out + err

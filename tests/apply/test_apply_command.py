"""`egain-provision apply` against a served sandbox: never duplicate, never overwrite, never lie."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from egain_provision.apply import Executor
from egain_provision.context import RunContext
from egain_provision.journal import read_journal
from egain_provision.plan import digest_of
from egain_provision.planner import PlanOptions
from egain_provision.sandbox.testing import ServedSandbox
from egain_provision.targets import url_target
from egain_provision.workflow import compute_plan, load_valid_manifests
from tests.support import (
    FULL_SETUP,
    FULL_SETUP_ORDER,
    SECRET_ENV,
    CliResult,
    Tenant,
    apply_after_an_application_vanished,
    assert_no_secrets,
    create_full_setup,
    run_cli,
    target_env,
    write_manifest,
)


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Apply writes .egain/journal.jsonl under the working directory: keep it in the test's folder."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cli(sandbox: ServedSandbox, *args: str, env: Mapping[str, str | None] | None = None) -> CliResult:
    return run_cli([args[0], "--target", sandbox.base_url, *args[1:]], env={**target_env(sandbox), **(env or {})})


def apply(sandbox: ServedSandbox, *args: str, env: Mapping[str, str | None] | None = None) -> CliResult:
    return cli(sandbox, "apply", "--auto-approve", *args, env=env)


def test_apply_from_empty_creates_everything_in_setup_order_and_converges(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    manifest = str(write_manifest(tmp_path))
    result = apply(sandbox, manifest, "--parallelism", "1")
    assert result.exit_code == 0, result.output
    posts = [r["path"] for r in sandbox.requests() if r["method"] == "POST" and "/conversation/" in r["path"]]
    kinds = [kind for _, kind, _ in FULL_SETUP_ORDER]
    path_of = {
        "authentications": "/authentications",
        "clientApplications": "/clientapplications",
        "participants": "/participants",
        "channels": "/channels",
        "orchestrations": "/orchestrations",
        "accounts": "/accounts",
    }
    assert [p.rsplit("/", 1)[-1] for p in posts] == [path_of[k].lstrip("/") for k in kinds]
    again = cli(sandbox, "plan", manifest, "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "9 created, 0 updated, 0 deleted, 0 failed, 0 skipped" in result.stdout


def test_apply_in_parallel_gives_the_same_tenant(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    manifest = str(write_manifest(tmp_path))
    assert apply(sandbox, manifest, "--parallelism", "8").exit_code == 0
    assert tenant.counts() == {
        "authentications": 2,
        "clientApplications": 3,
        "participants": 1,
        "channels": 1,
        "orchestrations": 1,
        "accounts": 1,
    }
    assert cli(sandbox, "plan", manifest, "--detailed-exitcode").exit_code == 0


def test_without_a_terminal_apply_needs_auto_approve(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    result = cli(sandbox, "apply", str(write_manifest(tmp_path)))
    assert result.exit_code == 1
    assert "--auto-approve" in result.stderr
    assert tenant.counts()["authentications"] == 0


def test_saved_plan_applies_without_prompt(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    saved = str(tmp_path / "plan.json")
    assert cli(sandbox, "plan", str(write_manifest(tmp_path)), "--out", saved).exit_code == 0
    result = cli(sandbox, "apply", saved)
    assert result.exit_code == 0, result.output
    assert tenant.names("accounts") == ["order-account"]
    assert cli(sandbox, "plan", str(tmp_path / "setup.yaml"), "--detailed-exitcode").exit_code == 0


def test_stale_saved_plan_is_refused_naming_the_object_and_changes_nothing(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    changed = FULL_SETUP.replace("displayName: Web chat", "displayName: Web chat v2").replace(
        "description: Order bot", "description: Order bot v2"
    )
    saved = str(tmp_path / "plan.json")
    assert cli(sandbox, "plan", str(write_manifest(tmp_path, changed)), "--out", saved).exit_code == 0
    tenant.edit("channels", "custom.web", displayName="Edited by someone else")
    before = tenant.list("clientApplications")
    result = cli(sandbox, "apply", saved)
    assert result.exit_code == 1
    assert 'channels "custom.web"' in result.stderr
    assert "order-bot-app" not in result.stderr
    assert tenant.find("channels", "custom.web")["displayName"] == "Edited by someone else"
    assert tenant.list("clientApplications") == before


def test_saved_plan_for_another_target_is_refused(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    saved = str(tmp_path / "plan.json")
    assert cli(sandbox, "plan", str(write_manifest(tmp_path)), "--out", saved).exit_code == 0
    result = run_cli(["apply", "--target", "sandbox", saved], env={"EGAIN_SANDBOX_DB": str(tmp_path / "other.db")})
    assert result.exit_code == 1
    assert "made for" in result.stderr
    assert tenant.counts()["accounts"] == 0


def test_saved_plan_is_refused_when_an_object_to_create_now_exists(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    saved = str(tmp_path / "plan.json")
    assert cli(sandbox, "plan", str(write_manifest(tmp_path)), "--out", saved).exit_code == 0
    tenant.create("channels", {"type": "custom.web", "displayName": "Someone else's", "icon": "iVBORw0KGgo="})
    result = cli(sandbox, "apply", saved)
    assert result.exit_code == 1
    assert 'channels "custom.web" now exists' in result.stderr
    assert tenant.counts()["authentications"] == 0


def test_a_failure_skips_dependents_keeps_independent_work_and_reports_exactly(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    result = apply_after_an_application_vanished(sandbox, tenant, tmp_path, "--format", "json")
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    status = {o["address"]: o["status"] for o in summary["outcomes"]}
    assert status["participants/order-bot"] == "failed"
    assert status["orchestrations/bot-first"] == "skipped"
    assert status["accounts/order-account"] == "skipped"
    assert {status[a] for a in status if a.split("/")[0] in ("authentications", "clientApplications", "channels")} == {
        "done"
    }
    assert summary["totals"] == {
        "created": 6,
        "updated": 0,
        "deleted": 0,
        "failed": 1,
        "skipped": 2,
        "unknown": 0,
        "adopted": 0,
        "differs": 0,
        "unverified": 0,
    }
    assert tenant.counts() == {
        "authentications": 2,
        "clientApplications": 3,
        "participants": 0,
        "channels": 1,
        "orchestrations": 0,
        "accounts": 0,
    }
    fixed = apply(sandbox, str(write_manifest(tmp_path)))
    assert fixed.exit_code == 0, fixed.output
    assert "3 created, 0 updated" in fixed.stdout
    assert cli(sandbox, "plan", str(tmp_path / "setup.yaml"), "--detailed-exitcode").exit_code == 0


def test_text_summary_names_what_failed_and_what_was_skipped(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    result = apply_after_an_application_vanished(sandbox, tenant, tmp_path)
    assert "Apply incomplete" in result.stdout
    assert "6 created, 0 updated, 0 deleted, 1 failed, 2 skipped" in result.stdout
    failed_section = result.stdout[result.stdout.index("Failed:") :]
    assert 'participants "order-bot"' in failed_section
    assert "skipped: participants/order-bot failed" in result.stdout
    # Every outcome is known (a refusal changes nothing): the summary can say so.
    assert result.stdout.endswith(
        "\n\nNothing else was changed. Run apply again to retry what failed or was skipped.\n"
    )


def test_a_summary_with_unknown_outcomes_never_says_nothing_else_was_changed(
    clean_sandbox: ServedSandbox, tmp_path: Path
) -> None:
    # Every answer to a write is lost and new objects are listed a minute late: no create can be settled.
    clean_sandbox.set_options(list_lag=60)
    clean_sandbox.set_faults(lost_answer_rate=1)
    result = apply(clean_sandbox, str(write_manifest(tmp_path)), "--read-after-write", "0")
    assert result.exit_code == 1, result.output
    unknown = result.stdout.count("outcome unknown: the create's answer was lost")
    assert unknown >= 2, result.stdout
    assert f"{unknown} with an unknown outcome" in result.stdout
    assert "Nothing else was changed" not in result.stdout
    assert result.stdout.endswith(
        f"\n\n{unknown} actions have an unknown outcome: the tenant may have changed; run plan to see. "
        "Run apply again to retry what failed or was skipped.\n"
    )


def test_lost_answers_never_create_duplicates(tmp_path: Path) -> None:
    with ServedSandbox(db_path=str(tmp_path / "lossy.db"), lost_answer_rate=0.4, seed=7) as lossy:
        result = apply(lossy, str(write_manifest(tmp_path)))
        assert result.exit_code == 0, result.output
        tenant = Tenant(lossy)
        assert tenant.counts() == {
            "authentications": 2,
            "clientApplications": 3,
            "participants": 1,
            "channels": 1,
            "orchestrations": 1,
            "accounts": 1,
        }
        assert any(r.get("fault") == "lost_answer" for r in lossy.requests())
        lossy.set_faults(lost_answer_rate=0)
        assert cli(lossy, "plan", str(tmp_path / "setup.yaml"), "--detailed-exitcode").exit_code == 0
        tenant.close()


def test_a_concurrent_edit_between_plan_and_apply_is_a_conflict_not_an_overwrite(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    changed = FULL_SETUP.replace("displayName: Web chat", "displayName: Web chat v2")
    manifest = write_manifest(tmp_path, changed)
    target = url_target(sandbox.base_url, {**target_env(sandbox)})
    manifest_set = load_valid_manifests([str(manifest)], {}, environ=SECRET_ENV)

    async def plan_then_apply_after_someone_else_edits() -> list[str]:
        plan = await compute_plan(manifest_set, RunContext(target, parallelism=4), PlanOptions())
        tenant.edit("channels", "custom.web", displayName="Someone else's edit")
        async with target.client() as client:
            result = await Executor(client, plan).run()
        return [f"{o.status}: {o.message}" for o in result.outcomes]

    outcomes = asyncio.run(plan_then_apply_after_someone_else_edits())
    assert len(outcomes) == 1
    assert outcomes[0].startswith("conflict: changed since plan")
    assert tenant.find("channels", "custom.web")["displayName"] == "Someone else's edit"


def test_max_deletes_stops_a_prune(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    create_full_setup(tenant)
    result = apply(sandbox, str(write_manifest(tmp_path, "version: 1\n")), "--prune", "--max-deletes", "5")
    assert result.exit_code == 1
    assert "more than --max-deletes 5" in result.stderr
    assert sum(tenant.counts().values()) == 9


def test_prune_deletes_in_reverse_order(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    create_full_setup(tenant)
    result = apply(sandbox, str(write_manifest(tmp_path, "version: 1\n")), "--prune", "--parallelism", "4")
    assert result.exit_code == 0, result.output
    assert sum(tenant.counts().values()) == 0
    assert "9 deleted" in result.stdout


def test_journal_records_every_mutation_without_secrets(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    journal = tmp_path / "audit" / "journal.jsonl"
    result = apply(sandbox, str(write_manifest(tmp_path)), "--journal", str(journal))
    assert result.exit_code == 0
    entries = read_journal(journal)
    done = [e for e in entries if e["event"] == "create" and e["outcome"] == "done"]
    assert len(done) == 9
    assert {e["target"] for e in entries} == {sandbox.base_url}
    assert all(e["id"] for e in done)
    assert_no_secrets([journal.read_text()])


def test_secrets_appear_nowhere_in_apply_output_or_journal(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    manifest = str(write_manifest(tmp_path))
    saved = str(tmp_path / "plan.json")
    texts = []
    for result in (
        cli(sandbox, "plan", manifest, "--out", saved),
        cli(sandbox, "apply", saved, "-v"),
        apply(sandbox, manifest, "--format", "json", "-v", env={"EGAIN_VAR_AGENT_PASSWORD": "rotated-pass-55"}),
    ):
        texts += [result.stdout, result.stderr]
    texts += [Path(saved).read_text(), (tmp_path / ".egain" / "journal.jsonl").read_text()]
    assert_no_secrets(texts)
    assert not any("rotated-pass-55" in text for text in texts)


def test_saved_plan_takes_secrets_from_the_environment_at_apply_time(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    saved = str(tmp_path / "plan.json")
    assert cli(sandbox, "plan", str(write_manifest(tmp_path)), "--out", saved).exit_code == 0
    missing = cli(sandbox, "apply", saved, env={"EGAIN_VAR_AGENT_PASSWORD": None})
    assert missing.exit_code == 1
    assert "EGAIN_VAR_AGENT_PASSWORD" in missing.output
    assert cli(sandbox, "apply", saved).exit_code == 0
    auth = tenant.find("authentications", "agent-basic")
    assert auth["basicAuth"]["password"] == SECRET_ENV["EGAIN_VAR_AGENT_PASSWORD"]


def plan_then_someone_creates(
    sandbox: ServedSandbox, tmp_path: Path, create: Callable[[Tenant], object], totals: dict[str, int] | None = None
) -> list[tuple[str, str, str | None]]:
    """Plan the full setup on an empty tenant, let `create` act behind our back, then execute the plan."""
    manifest = write_manifest(tmp_path)
    target = url_target(sandbox.base_url, {**target_env(sandbox)})
    manifest_set = load_valid_manifests([str(manifest)], {}, environ=SECRET_ENV)
    tenant = Tenant(sandbox)

    async def run() -> list[tuple[str, str, str | None]]:
        plan = await compute_plan(manifest_set, RunContext(target, parallelism=4), PlanOptions())
        create(tenant)
        async with target.client() as client:
            result = await Executor(client, plan).run()
        if totals is not None:
            totals.update(result.totals)
        return [(o.action.address, o.status, o.message) for o in result.outcomes]

    try:
        return asyncio.run(run())
    finally:
        tenant.close()


def test_an_identical_object_created_by_another_run_is_adopted_not_duplicated(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    channel = {
        "type": "custom.web",
        "displayName": "Web chat",
        "icon": "iVBORw0KGgo=",
        "restrictions": {"inbound": {"maxTextLength": 800, "features": ["typing_events", "attachments"]}},
    }
    totals: dict[str, int] = {}
    outcomes = plan_then_someone_creates(
        sandbox, tmp_path, lambda other: other.create("channels", channel) and None, totals
    )
    assert ("channels/custom.web", "done", "already created by another run") in outcomes
    assert all(status == "done" for _, status, _ in outcomes)
    assert tenant.counts()["channels"] == 1
    assert (totals["created"], totals["adopted"]) == (8, 1)  # this run created 8; the channel it found


def test_a_different_object_created_meanwhile_under_the_name_is_a_conflict(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    theirs = {"type": "custom.web", "displayName": "Theirs", "icon": "iVBORw0KGgo="}
    outcomes = plan_then_someone_creates(sandbox, tmp_path, lambda other: other.create("channels", theirs) and None)
    status = {address: state for address, state, _ in outcomes}
    assert status["channels/custom.web"] == "conflict"
    assert status["accounts/order-account"] == "skipped"
    assert tenant.find("channels", "custom.web")["displayName"] == "Theirs"


def test_an_orchestration_another_run_created_identically_is_not_duplicated(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    def create_the_same_orchestration_first(other: Tenant) -> None:
        # Everything it references must exist for the other run's orchestration.
        ids = create_full_setup(other)
        other.http.delete(f"/accounts/{ids['order-account']}").raise_for_status()

    # The tenant now holds everything but the account; our plan (made before) creates all of it.
    outcomes = plan_then_someone_creates(sandbox, tmp_path, create_the_same_orchestration_first)
    assert ("orchestrations/bot-first", "done", "already created by another run") in outcomes
    assert ("accounts/order-account", "done", None) in outcomes
    assert tenant.names("orchestrations") == ["bot-first"]
    deletes = [r for r in sandbox.requests() if r["method"] == "DELETE" and "/orchestrations/" in r["path"]]
    assert len(deletes) == 1  # our own younger duplicate, removed before anything referenced it


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_ENV: dict[str, str | None] = {
    "EGAIN_VAR_BOT_TOKEN_PAYLOAD": SECRET_ENV["EGAIN_VAR_BOT_TOKEN_PAYLOAD"],
    "EGAIN_VAR_AGENT_DESK_PASSWORD": "example-password-31",
    "EGAIN_VAR_TWILIO_AUTH_TOKEN": "example-twilio-token-77",
}
SETUP_ORDER_PATHS = ["authentications", "clientapplications", "participants", "channels", "orchestrations", "accounts"]


@pytest.mark.parametrize(
    ("directory", "var_file"),
    [
        ("byoc", None),
        ("agent-only", None),
        ("whatsapp", None),
        ("sms-twilio", None),
        ("environments/base", "environments/staging.vars.yaml"),
        ("environments/base", "environments/production.vars.yaml"),
    ],
    ids=["byoc", "agent-only", "whatsapp", "sms-twilio", "staging", "production"],
)
def test_each_example_applies_from_empty_in_setup_order_and_then_plans_empty(
    sandbox: ServedSandbox, directory: str, var_file: str | None
) -> None:
    arguments = [str(EXAMPLES / directory)] + (["--var-file", str(EXAMPLES / var_file)] if var_file else [])
    result = apply(sandbox, *arguments, "--parallelism", "1", env=EXAMPLE_ENV)
    assert result.exit_code == 0, result.output
    created = [
        r["path"].rsplit("/", 1)[-1] for r in sandbox.requests() if r["method"] == "POST" and "/v3/" in r["path"]
    ]
    assert created == sorted(created, key=SETUP_ORDER_PATHS.index)
    converged = cli(sandbox, "plan", *arguments, "--detailed-exitcode", env=EXAMPLE_ENV)
    assert converged.exit_code == 0
    assert "example-twilio-token-77" not in result.output + converged.output


def test_planning_options_with_a_saved_plan_are_refused(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    saved = str(tmp_path / "plan.json")
    assert cli(sandbox, "plan", str(write_manifest(tmp_path)), "--out", saved).exit_code == 0
    result = cli(sandbox, "apply", saved, "--prune")
    assert result.exit_code == 1
    assert "--prune cannot change a saved plan" in result.stderr
    assert tenant.counts()["authentications"] == 0


def test_a_journal_on_a_device_is_refused_and_nothing_is_sent(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    result = apply(sandbox, str(write_manifest(tmp_path)), "--journal", "/dev/full")
    assert result.exit_code == 1
    assert "a character device, not a regular file" in result.stderr
    assert "Traceback" not in result.output
    assert sum(tenant.counts().values()) == 0  # nothing is sent that could not be journalled


@pytest.mark.parametrize(
    ("field", "value"),
    [("action", "modify"), ("kind", "bogus"), ("natural_key", 42)],
)
def test_a_tampered_saved_plan_is_refused_and_changes_nothing(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path, field: str, value: object
) -> None:
    create_full_setup(tenant)
    changed = FULL_SETUP.replace("displayName: Web chat", "displayName: Web chat v2")
    saved = tmp_path / "plan.json"
    assert cli(sandbox, "plan", str(write_manifest(tmp_path, changed)), "--out", str(saved)).exit_code == 0
    document = json.loads(saved.read_text())
    document["actions"][0][field] = value
    document["digest"] = digest_of({key: item for key, item in document.items() if key != "digest"})  # a forger
    saved.write_text(json.dumps(document))
    result = cli(sandbox, "apply", str(saved))
    assert result.exit_code == 1
    assert "does not match schemas/plan.schema.json" in result.stderr
    assert tenant.find("channels", "custom.web")["displayName"] == "Web chat"
    assert sum(tenant.counts().values()) == 9


def test_any_edit_of_a_saved_plan_is_refused_as_edited(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    create_full_setup(tenant)
    saved = tmp_path / "plan.json"
    manifest = write_manifest(tmp_path, FULL_SETUP.replace("displayName: Web chat", "displayName: Web chat v2"))
    assert cli(sandbox, "plan", str(manifest), "--out", str(saved)).exit_code == 0
    document = json.loads(saved.read_text())
    document["actions"][0]["changes"][0]["after"] = "something else"  # still schema-valid
    saved.write_text(json.dumps(document))
    result = cli(sandbox, "apply", str(saved))
    assert result.exit_code == 1
    assert "the plan file was edited" in result.stderr
    assert tenant.find("channels", "custom.web")["displayName"] == "Web chat"


@pytest.mark.parametrize("swap", ["another account", "an object of another kind"])
def test_a_saved_plan_whose_ids_name_other_objects_is_refused_before_any_request(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path, swap: str
) -> None:
    ids = create_full_setup(tenant)
    other = tenant.create(
        "accounts",
        {
            "name": "other-account",
            "address": "987654321",
            "channel": {"id": ids["custom.web"]},
            "chatConfigurations": {"orchestration": {"id": ids["bot-first"]}, "entryPoint": {"id": "9"}},
        },
    )
    saved = tmp_path / "plan.json"
    kept = FULL_SETUP  # other-account is not declared: --prune deletes it
    assert cli(sandbox, "plan", str(write_manifest(tmp_path, kept)), "--prune", "--out", str(saved)).exit_code == 0
    document = json.loads(saved.read_text())
    [delete] = document["actions"]
    victim = (
        tenant.find("accounts", "order-account") if swap == "another account" else tenant.find("channels", "custom.web")
    )
    delete["id"], delete["modified"] = victim["id"], victim["modified"]
    document["digest"] = digest_of({key: item for key, item in document.items() if key != "digest"})
    saved.write_text(json.dumps(document))
    before = len(sandbox.requests())
    result = cli(sandbox, "apply", str(saved))
    assert result.exit_code == 1
    assert "the tenant changed since this plan was made" in result.stderr
    assert f"its id {victim['id']} names" in result.stderr
    assert not [r for r in sandbox.requests()[before:] if r["method"] == "DELETE"]
    assert tenant.find("accounts", "order-account") is not None and tenant.find("accounts", "other-account")
    assert other


def test_json_summary_is_printed_even_when_there_is_nothing_to_apply(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    result = apply(sandbox, str(write_manifest(tmp_path)), "--format", "json")
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert summary["ok"] is True
    assert summary["outcomes"] == []

"""examples/ci/github-actions.yml as GitHub runs it: each job's steps in order (tests/workflow/harness.py),
egain-provision through this repository's action (action.yml), against a served sandbox as the tenant.

The steps that call other actions are played by the test: checkout copies the manifests into the
job's workspace, upload and download of the plan artifact copy plan.json from the pull-request
job to where the apply job's download step puts it, and the github-script steps run under node
with a recording fake of the GitHub API.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from egain_provision.render.markdown import MARKER
from egain_provision.render.summary import MARKER as APPLY_MARKER
from egain_provision.sandbox.auth import DEFAULT_SCOPE
from egain_provision.sandbox.testing import ServedSandbox
from tests.check.bots import CALLBACK_PATH, TOKEN_PATH, serve_bot
from tests.check.manifests import write_setup
from tests.support import FULL_SETUP, FULL_SETUP_ORDER, SECRET_ENV, Tenant, create_full_setup
from tests.workflow.ci_support import (
    CONNECTION_SECRETS,
    HEAD_SHA,
    MERGE_SHA,
    PLAN_KEY,
    REPO,
    assert_no_secret_values,
)
from tests.workflow.conftest import Installed
from tests.workflow.harness import (
    ACTION_FILE,
    THIS_ACTION,
    Play,
    Runner,
    StepRun,
    action,
    evaluate,
    load_yaml,
    run_github_script,
    script_env,
)

WORKFLOW_FILE = REPO / "examples" / "ci" / "github-actions.yml"
ANNOTATION = re.compile(r"^::(error|warning|notice) file=([^,]+),line=\d+,col=\d+(,title=[^:]+)?::.+$")

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node runs the github-script steps")


def workflow() -> dict[str, Any]:
    return load_yaml(WORKFLOW_FILE)


def job_step(job: str, *, uses: str | None = None, step_id: str | None = None) -> dict[str, Any]:
    steps = workflow()["jobs"][job]["steps"]
    matches = [
        s
        for s in steps
        if (uses and str(s.get("uses", "")).startswith(uses + "@")) or (step_id is not None and s.get("id") == step_id)
    ]
    assert len(matches) == 1, f"{uses or step_id}: {len(matches)} steps"
    return matches[0]


def step_names(runs: list[StepRun]) -> list[str]:
    return [run.name for run in runs]


def passing(runs: list[StepRun]) -> list[StepRun]:
    """`runs`, once every step is known to have passed (else the failing step's output)."""
    failed = [run for run in runs if run.exit_code != 0]
    assert not failed, f"step {failed[0].name!r} exited {failed[0].exit_code}:\n{failed[0].output}"
    return runs


def by_name(runs: list[StepRun], name: str) -> StepRun:
    return next(run for run in runs if run.name == name)


def written_files(*runners: Runner) -> list[str]:
    """Every file the jobs left in their workspaces and temp folders (plans, journals, outputs)."""
    texts = []
    for runner in runners:
        for root in (runner.workspace, runner.temp):
            files = [path for path in root.rglob("*") if path.is_file() and "venv" not in path.relative_to(root).parts]
            texts += [path.read_text("utf-8", errors="replace") for path in files]
    return texts


def sandbox_store(sandbox: ServedSandbox) -> dict[str, str]:
    return {
        "EGAIN_API_URL": sandbox.base_url,
        "EGAIN_TOKEN_URL": sandbox.token_url,
        "EGAIN_CLIENT_ID": sandbox.client_id,
        "EGAIN_CLIENT_SECRET": sandbox.client_secret,
        "EGAIN_SCOPE": DEFAULT_SCOPE,
    }


@pytest.fixture
def store(sandbox: ServedSandbox) -> dict[str, str]:
    """The repository's secret store, holding the sandbox as the tenant."""
    return {**sandbox_store(sandbox), "EGAIN_PLAN_KEY": PLAN_KEY, **SECRET_ENV}


def manifests(tmp_path: Path, text: str = FULL_SETUP) -> Path:
    directory = tmp_path / "manifests"
    directory.mkdir(parents=True)
    (directory / "setup.yaml").write_text(text, encoding="utf-8")
    return directory


def job_runner(
    root: Path, store: Mapping[str, str], installed: Installed, setup: Path | None, workflow_file: Path = WORKFLOW_FILE
) -> Runner:
    """A runner for one job; the test's manifests (and the secrets they read) stand in for MANIFESTS."""
    runner = Runner(root, store, workflow_file, action_path=installed.action_path, venv=installed.venv)
    if setup is not None:
        shutil.copytree(setup, runner.workspace / "manifests")
        runner.env["MANIFESTS"] = "manifests"
        runner.env.update(SECRET_ENV)
    return runner


def checkout(relative: str) -> Play:
    """actions/checkout: copy a folder of this repository into the workspace."""

    def play(runner: Runner, step: Mapping[str, Any]) -> None:
        shutil.copytree(REPO / relative, runner.workspace / relative)

    return play


def upload_plan(keep: dict[str, Path]) -> Play:
    """actions/upload-artifact of the plan: keep the file its `path:` names (evaluated)."""

    def play(runner: Runner, step: Mapping[str, Any]) -> StepRun | None:
        if step["with"]["name"] != "egain-plan":
            return None
        path = Path(evaluate(str(step["with"]["path"]), runner.lookup))
        assert path.is_file(), step["with"]["path"]
        keep["egain-plan"] = path
        return StepRun("upload egain-plan", 0)

    return play


def download_plan(kept: Path) -> Play:
    """actions/download-artifact: the kept plan into the download step's `path:`."""

    def play(runner: Runner, step: Mapping[str, Any]) -> StepRun:
        directory = Path(str(step["with"]["path"]).replace("${{ runner.temp }}", str(runner.temp)))
        directory.mkdir(parents=True)
        shutil.copy(kept, directory / "plan.json")
        return StepRun("download egain-plan", 0)

    return play


def reviewed(outputs: Mapping[str, str]) -> Play:
    """The "Find the reviewed plan" step (its script has its own tests below): what it found."""

    def play(runner: Runner, step: Mapping[str, Any]) -> StepRun:
        return StepRun("Find the reviewed plan", 0, outputs=dict(outputs))

    return play


def plan_job(pr: Runner, keep: dict[str, Path] | None = None, **plays: Play) -> list[StepRun]:
    return pr.run_job("plan", {"actions/upload-artifact": upload_plan({} if keep is None else keep), **plays})


def planned_exitcode(pr: Runner) -> str:
    """The pull-request job run to its end: the plan's exit code, as the action output it."""
    runs = passing(plan_job(pr))
    return by_name(runs, "Plan").outputs["exitcode"]


def plan_and_keep(pr: Runner) -> Path:
    keep: dict[str, Path] = {}
    passing(plan_job(pr, keep))
    return keep["egain-plan"]


def merge_job(merge: Runner, kept: Path | None, **plays: Play) -> list[StepRun]:
    found = {"run-id": "102", "pull-number": "7"} if kept else {}
    defaults: dict[str, Play] = {"reviewed": reviewed(found)}
    if kept is not None:
        defaults["actions/download-artifact"] = download_plan(kept)
    return merge.run_job("apply", {**defaults, **plays})


# The file itself.


def test_pull_requests_plan_and_pushes_to_main_apply() -> None:
    on = workflow()["on"]
    assert on["push"]["branches"] == ["main"]
    assert "pull_request" in on
    jobs = workflow()["jobs"]
    assert "pull_request" in jobs["plan"]["if"]
    assert jobs["check"]["if"] == jobs["plan"]["if"], "the callbacks are checked on the pull requests planned"
    assert "github.ref == 'refs/heads/main'" in jobs["apply"]["if"]


def test_applies_to_one_tenant_are_queued_and_never_cancelled() -> None:
    assert workflow()["jobs"]["apply"]["concurrency"] == {
        "group": "egain-${{ vars.EGAIN_TENANT }}",
        "cancel-in-progress": False,
    }


def test_each_job_asks_for_the_token_permissions_it_needs_and_no_more() -> None:
    assert workflow()["permissions"] == {}
    jobs = workflow()["jobs"]
    assert jobs["plan"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert jobs["apply"]["permissions"] == {"contents": "read", "actions": "read", "pull-requests": "write"}
    assert jobs["check"]["permissions"] == {"contents": "read"}


def test_target_and_credentials_come_from_the_secret_store() -> None:
    env = workflow()["env"]
    for name in (*CONNECTION_SECRETS, "EGAIN_PLAN_KEY"):
        assert env[name] == "${{ secrets." + name + " }}"
    for name, value in env.items():
        if name.startswith("EGAIN_VAR_"):
            assert value == "${{ secrets." + name + " }}"


def test_egain_provision_runs_through_the_action_and_no_script_holds_an_expression() -> None:
    uses = [s for job in workflow()["jobs"].values() for s in job["steps"] if THIS_ACTION.match(str(s.get("uses", "")))]
    # The conversations job validates too: the action installs the tool for its `test` run.
    assert [s["with"]["command"] for s in uses] == ["validate", "plan", "check", "validate", "apply"]
    assert all(s["uses"] == "<owner>/egain-provision@v1" for s in uses), "the ADAPT placeholder users replace"
    assert workflow()["defaults"]["run"]["shell"] == "bash"
    assert "pip install" not in WORKFLOW_FILE.read_text("utf-8"), "the action installs the tool"


def test_no_script_in_any_workflow_file_or_the_action_holds_an_expression() -> None:
    """A ${{ }} is pasted into a script as text before it runs: a `run:` reads `env:`, a github-script
    reads process.env. Expressions in `env:` and in `with:` values other than `script` stay."""
    files = sorted(WORKFLOW_FILE.parent.glob("github-actions*.yml"))
    assert WORKFLOW_FILE in files and len(files) >= 2, files
    steps = [(path.name, s) for path in files for job in load_yaml(path)["jobs"].values() for s in job["steps"]]
    steps += [(ACTION_FILE.name, s) for s in action()["runs"]["steps"]]
    scripts = 0
    for name, step in steps:
        if "run" in step:
            body = step["run"]
        elif str(step.get("uses", "")).startswith("actions/github-script@"):
            body = step["with"]["script"]
        else:
            continue
        scripts += 1
        assert "${{" not in body, f"{name}, {step.get('name', step.get('id'))}: a ${{{{ }}}} expression in a script"
    assert scripts >= 8


# The conversations job.


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_the_conversations_job_runs_the_byoc_scenarios_through_a_sandbox_and_the_reference_bot(
    installed: Installed, tmp_path: Path
) -> None:
    # The job as written, on ports this test got instead of 8765 (sandbox) and 8766 (bot).
    ports = {"8765": str(_free_port()), "8766": str(_free_port())}

    def moved(text: str) -> str:
        return text.replace("8765", ports["8765"]).replace("8766", ports["8766"])

    runner = Runner(tmp_path / "pr", {}, WORKFLOW_FILE, action_path=installed.action_path, venv=installed.venv)
    runner.github = {"event_name": "pull_request", "sha": HEAD_SHA}
    runner.workflow["jobs"]["conversations"] = json.loads(moved(json.dumps(runner.workflow["jobs"]["conversations"])))

    def checkout_byoc(runner: Runner, step: Mapping[str, Any]) -> None:
        for path in (REPO / "examples" / "byoc").rglob("*"):
            if path.is_file() and path.suffix in (".yaml", ".py", ".png"):
                target = runner.workspace / path.relative_to(REPO)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(
                    moved(path.read_text("utf-8")).encode() if path.suffix != ".png" else path.read_bytes()
                )

    runs = passing(runner.run_job("conversations", {"actions/checkout": checkout_byoc}))
    test_run = by_name(runs, "Run the scenarios through the sandbox's hub")
    assert "3 scenarios: 3 passed" in test_run.stdout
    results = (runner.temp / "conversations" / "results.xml").read_text("utf-8")
    assert 'failures="0"' in results and 'tests="3"' in results


# The pull-request job.


def test_validate_reports_problems_as_annotations_and_stops_the_job(
    store: dict[str, str], installed: Installed, tmp_path: Path
) -> None:
    broken = FULL_SETUP.replace("type: custom_bot\n    application", "type: robot\n    application")
    pr = job_runner(tmp_path / "pr", store, installed, manifests(tmp_path, broken))
    runs = plan_job(pr, comment=lambda runner, step: StepRun("comment", 0))
    assert step_names(runs) == ["Validate", "comment"], "the comment is posted after a failure too"
    assert runs[0].exit_code == 1
    annotations = [line for line in runs[0].stdout.splitlines() if line.startswith("::") and "file=" in line]
    assert annotations
    assert all(ANNOTATION.match(line) for line in annotations), annotations
    assert any(line.startswith("::error file=manifests/setup.yaml,line=") for line in annotations)
    assert not (pr.temp / "egain-provision" / "plan.json").exists()


def test_plan_of_a_fresh_tenant_exits_2_without_failing_and_is_ready_for_the_comment(
    store: dict[str, str], tenant: Tenant, installed: Installed, tmp_path: Path
) -> None:
    pr = job_runner(tmp_path / "pr", store, installed, manifests(tmp_path))
    keep: dict[str, Path] = {}
    runs = passing(plan_job(pr, keep))
    assert step_names(runs) == ["Validate", "Plan", "upload egain-plan"]
    validate, plan = runs[0], runs[1]
    assert "::error" not in validate.stdout
    assert plan.outputs["exitcode"] == "2"
    markdown = Path(plan.outputs["markdown"]).read_text("utf-8")
    assert markdown.startswith(MARKER + "\n")
    assert "9 to create" in markdown
    saved = json.loads(keep["egain-plan"].read_text("utf-8"))
    assert "format_version" in saved
    assert saved["signature"].startswith("hmac-sha256:"), "signed with the EGAIN_PLAN_KEY secret"
    assert sum(tenant.counts().values()) == 0, "a plan changes nothing"
    assert_no_secret_values(validate.output, plan.output, *written_files(pr))


def test_a_plan_error_fails_the_job_and_keeps_no_plan(
    store: dict[str, str], installed: Installed, tmp_path: Path
) -> None:
    wrong = {**store, "EGAIN_CLIENT_SECRET": "not-the-secret"}
    pr = job_runner(tmp_path / "pr", wrong, installed, manifests(tmp_path))
    keep: dict[str, Path] = {}
    runs = plan_job(pr, keep)
    assert step_names(runs) == ["Validate", "Plan"]
    assert runs[1].exit_code == 1
    assert runs[1].outputs["exitcode"] == "1"
    assert "refused the client credentials" in runs[1].stderr
    assert keep == {}


@needs_node
def test_a_plan_refused_for_too_many_deletes_is_posted_and_then_fails_the_job(
    store: dict[str, str], tenant: Tenant, installed: Installed, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    # Only the authentications stay in main; with --prune, 7 deletes are over --max-deletes 2.
    kept = FULL_SETUP[: FULL_SETUP.index("\nclientApplications:") + 1]
    pr = job_runner(tmp_path / "pr", store, installed, manifests(tmp_path, kept))
    step = next(s for s in pr.workflow["jobs"]["plan"]["steps"] if s.get("id") == "plan")
    step["with"]["args"] = "--prune --max-deletes 2"
    bodies: list[str] = []
    keep: dict[str, Path] = {}
    runs = plan_job(pr, keep, comment=post_comment(tmp_path, bodies))
    assert step_names(runs) == ["Validate", "Plan", "comment", "Fail on a refused plan"], runs
    assert runs[1].exit_code == 0
    assert runs[1].outputs["exitcode"] == "4"
    assert runs[-1].exit_code == 1
    assert "more objects than --max-deletes" in runs[-1].stdout
    assert keep == {}, "a refused plan is not kept for the merge"
    assert bodies[0].startswith(MARKER + "\n")
    assert "**Refused:**" in bodies[0]
    assert "order-account" in bodies[0], "the refused deletes are named"


# The apply job, after a merge.


def test_merge_applies_the_reviewed_plan_posts_its_summary_and_the_tenant_then_matches_main(
    store: dict[str, str], tenant: Tenant, installed: Installed, tmp_path: Path
) -> None:
    setup = manifests(tmp_path)
    pr = job_runner(tmp_path / "pr", store, installed, setup)
    kept = plan_and_keep(pr)
    merge = job_runner(tmp_path / "merge", store, installed, setup)
    posted: list[dict[str, Any]] = []
    runs = passing(merge_job(merge, kept, summary=post_summary(tmp_path, posted)))
    assert step_names(runs) == [
        "Find the reviewed plan",
        "download egain-plan",
        "Choose what to apply",
        "Apply",
        "summary",
        "Check that the tenant matches main",
    ]
    apply = by_name(runs, "Apply")
    assert apply.outputs["exitcode"] == "0"
    assert "no reviewed plan" not in by_name(runs, "Choose what to apply").stdout
    assert tenant.names("accounts") == ["order-account"]
    [comment] = posted
    assert comment["issue_number"] == 7
    assert comment["body"].startswith(APPLY_MARKER + "\n")
    assert "**9 created**, 0 updated, 0 deleted, 0 failed" in comment["body"]
    for _, _, name in FULL_SETUP_ORDER:
        assert re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", name) in comment["body"]
    assert "Applied from def5678 on main" in comment["body"]
    again = job_runner(tmp_path / "next-pr", store, installed, setup)
    assert planned_exitcode(again) == "0"
    journal = (merge.workspace / ".egain" / "journal.jsonl").read_text("utf-8")
    assert journal.count("\n") >= 9
    assert_no_secret_values(*(run.output for run in runs), *written_files(pr, merge, again), comment["body"])


def test_merge_refuses_a_plan_the_tenant_moved_away_from_changes_nothing_and_says_so(
    store: dict[str, str], tenant: Tenant, installed: Installed, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    changed = FULL_SETUP.replace("displayName: Web chat", "displayName: Web chat v2").replace(
        "description: Order bot", "description: Order bot v2"
    )
    setup = manifests(tmp_path, changed)
    pr = job_runner(tmp_path / "pr", store, installed, setup)
    kept = plan_and_keep(pr)
    tenant.edit("channels", "custom.web", displayName="Edited by someone else")
    before = {kind: tenant.list(kind) for kind in ("authentications", "clientApplications", "channels", "accounts")}
    merge = job_runner(tmp_path / "merge", store, installed, setup)
    posted: list[dict[str, Any]] = []
    runs = merge_job(merge, kept, summary=post_summary(tmp_path, posted))
    assert step_names(runs)[-2:] == ["Apply", "summary"], "the job stops at the refusal, after saying so"
    apply = by_name(runs, "Apply")
    assert apply.exit_code == 1
    assert 'channels "custom.web"' in apply.stderr
    assert "nothing was applied" in apply.stderr
    assert {kind: tenant.list(kind) for kind in before} == before
    assert tenant.find("clientApplications", "order-bot-app")["description"] == "Order bot"
    assert "nothing applied from def5678" in posted[0]["body"]
    assert_no_secret_values(apply.output, *written_files(pr, merge))


def test_a_partly_failed_apply_posts_what_failed_and_what_was_done(
    store: dict[str, str], tenant: Tenant, installed: Installed, tmp_path: Path
) -> None:
    """The participant names its application by a literal id, deleted after review: only the server can tell."""
    role = {
        "name": "custom_bot",
        "version": "v3",
        "callback": "https://doomed.example.com/cb",
        "notificationEmail": "o@e.com",
    }
    doomed = tenant.create("clientApplications", {"name": "doomed-app", "roles": [role]})
    text = FULL_SETUP.replace("    application: order-bot-app\n", f'    application: {{id: "{doomed}"}}\n')
    setup = manifests(tmp_path, text)
    kept = plan_and_keep(job_runner(tmp_path / "pr", store, installed, setup))
    assert tenant.http.delete(f"/clientapplications/{doomed}").status_code == 204
    merge = job_runner(tmp_path / "merge", store, installed, setup)
    posted: list[dict[str, Any]] = []
    runs = merge_job(merge, kept, summary=post_summary(tmp_path, posted))
    assert step_names(runs)[-2:] == ["Apply", "summary"]
    assert by_name(runs, "Apply").exit_code == 1
    body = posted[0]["body"]
    assert "apply incomplete" in body
    assert body.index("**Failed: 1**") < body.index("participants **order\\-bot**") < body.index("**Created: 6**")
    assert "Run apply again to retry" in body


NOT_REVIEWED: dict[str, tuple[dict[str, str | None], bool, str]] = {
    "still running": ({"status": "in_progress", "conclusion": None}, False, "is in_progress"),
    "failed": ({"status": "completed", "conclusion": "failure"}, False, "is failure"),
    "expired": ({"status": "completed", "conclusion": "success"}, True, "was not kept or has expired"),
}


@needs_node
@pytest.mark.parametrize("case", NOT_REVIEWED)
def test_a_merged_pull_request_without_a_reviewed_plan_applies_nothing_and_says_how_to_proceed(
    case: str, store: dict[str, str], tenant: Tenant, installed: Installed, tmp_path: Path
) -> None:
    """The newest plan run of the pull request's final commit decides, even when an older one passed:
    its plan is the one the comment shows. The job fails before the tool runs, and says so on the PR."""
    state, expired, reason = NOT_REVIEWED[case]
    runs: list[dict[str, Any]] = [
        {"id": 101, "created_at": "2025-01-02T08:00:00Z", "status": "completed", "conclusion": "success"},
        {"id": 102, "created_at": "2025-01-02T09:00:00Z", **state},
    ]
    responses = pull_request_api(runs, expired=expired)
    merge = job_runner(tmp_path / "merge", store, installed, manifests(tmp_path))
    posted: list[dict[str, Any]] = []
    found = find_plan(tmp_path, responses)
    ran = merge.run_job("apply", {"reviewed": found, "summary": post_summary(tmp_path, posted)})
    assert step_names(ran) == ["Find the reviewed plan", "Choose what to apply", "summary"]
    choose = by_name(ran, "Choose what to apply")
    assert choose.exit_code == 1
    error = next(line for line in choose.stdout.splitlines() if line.startswith("::error"))
    assert "pull request #7 was merged without a reviewed plan of its final commit abc1234" in error
    assert "https://github.com/runs/102" in error, "the plan run that was not reviewed"
    assert reason in error
    assert "nothing was applied" in error
    assert "run this workflow by hand on main (Actions > egain-provision > Run workflow)" in error
    assert sum(tenant.counts().values()) == 0
    [comment] = posted
    assert comment["issue_number"] == 7
    assert "No reviewed plan of this pull request's final commit" in comment["body"]
    assert "run the workflow by hand on main" in comment["body"]


@needs_node
def test_a_merged_pull_request_that_was_never_planned_applies_nothing(
    store: dict[str, str], tenant: Tenant, installed: Installed, tmp_path: Path
) -> None:
    """A pull request from a fork, say: the Plan job never ran for it."""
    merge = job_runner(tmp_path / "merge", store, installed, manifests(tmp_path))
    ran = merge.run_job("apply", {"reviewed": find_plan(tmp_path, pull_request_api([]))})
    assert [run.exit_code for run in ran] == [0, 1]
    assert "#7 was merged without a reviewed plan of its final commit abc1234 (it was never planned)" in ran[1].stdout
    assert sum(tenant.counts().values()) == 0


def test_a_direct_push_applies_nothing_unless_direct_pushes_are_allowed(
    store: dict[str, str], tenant: Tenant, installed: Installed, tmp_path: Path
) -> None:
    setup = manifests(tmp_path)
    refused = merge_job(job_runner(tmp_path / "refused", store, installed, setup), None)
    assert step_names(refused) == ["Find the reviewed plan", "Choose what to apply"]
    assert refused[1].exit_code == 1
    assert f"::error title=egain-provision::{MERGE_SHA} was pushed to main without a pull request" in refused[1].stdout
    assert "set the variable EGAIN_APPLY_DIRECT_PUSHES to true" in refused[1].stdout
    assert sum(tenant.counts().values()) == 0
    allowed = {**store, "EGAIN_APPLY_DIRECT_PUSHES": "true"}
    merge = job_runner(tmp_path / "merge", allowed, installed, setup)
    runs = passing(merge_job(merge, None))
    assert step_names(runs) == [
        "Find the reviewed plan",
        "Choose what to apply",
        "Apply",
        "Check that the tenant matches main",
    ]
    assert f"{MERGE_SHA} was pushed without a pull request and EGAIN_APPLY_DIRECT_PUSHES is true" in runs[1].stdout
    assert "Plan: 9 to create" in runs[2].stderr
    assert tenant.names("accounts") == ["order-account"]
    assert_no_secret_values(*(run.output for run in runs), *written_files(merge))


def test_a_run_by_hand_plans_and_applies_main_afresh(
    store: dict[str, str], tenant: Tenant, installed: Installed, tmp_path: Path
) -> None:
    """The way out after a refused or missing plan: no pull request is looked up, nothing is asked."""
    merge = job_runner(tmp_path / "merge", store, installed, manifests(tmp_path))
    merge.github["event_name"] = "workflow_dispatch"
    runs = passing(merge_job(merge, None))
    assert step_names(runs) == ["Choose what to apply", "Apply", "Check that the tenant matches main"]
    assert f"run by hand: planning and applying main at {MERGE_SHA} afresh" in runs[0].stdout
    assert "Plan: 9 to create" in runs[1].stderr
    assert sum(tenant.counts().values()) == 9
    assert_no_secret_values(*(run.output for run in runs), *written_files(merge))


def test_the_check_after_apply_fails_when_the_tenant_still_differs_from_main(
    store: dict[str, str], installed: Installed, tmp_path: Path
) -> None:
    pr = job_runner(tmp_path / "pr", store, installed, manifests(tmp_path))
    kept = plan_and_keep(pr)
    # main moved on after the pull request was planned: the reviewed plan does not cover the new text.
    main = manifests(tmp_path / "main", FULL_SETUP.replace("timeout: 30", "timeout: 45"))
    merge = job_runner(tmp_path / "merge", store, installed, main)
    runs = merge_job(merge, kept, summary=lambda runner, step: StepRun("summary", 0))
    assert [run.exit_code for run in runs][-2:] == [0, 1], runs[-1].output
    check = runs[-1]
    assert "::error title=egain-provision::the tenant does not match main" in check.stdout
    assert "timeout" in check.stdout


def test_the_workflow_as_written_plans_and_applies_its_example_manifests(
    sandbox: ServedSandbox, tenant: Tenant, installed: Installed, tmp_path: Path
) -> None:
    """No substitution: MANIFESTS and the EGAIN_VAR_* secrets exactly as the file declares them."""
    declared = workflow()["env"]
    store = {
        **sandbox_store(sandbox),
        **{name: SECRET_ENV.get(name, f"value-of-{name}") for name in declared if name.startswith("EGAIN_VAR_")},
    }
    pr = job_runner(tmp_path / "pr", store, installed, None)
    keep: dict[str, Path] = {}
    runs = passing(plan_job(pr, keep, **{"actions/checkout": checkout(declared["MANIFESTS"])}))
    assert by_name(runs, "Plan").outputs["exitcode"] == "2"
    merge = job_runner(tmp_path / "merge", store, installed, None)
    merged = passing(merge_job(merge, keep["egain-plan"], **{"actions/checkout": checkout(declared["MANIFESTS"])}))
    assert sum(tenant.counts().values()) > 0
    assert_no_secret_values(*(run.output for run in runs + merged), *written_files(pr, merge))


# The check job: the bots the manifests name, called as the Conversation Hub would.


def bot_setup(tmp_path: Path) -> Path:
    directory = tmp_path / "setup"
    directory.mkdir()
    return directory


def test_the_check_job_calls_the_declared_callbacks_and_passes(installed: Installed, tmp_path: Path) -> None:
    with serve_bot() as bot:
        pr = job_runner(tmp_path / "pr", SECRET_ENV, installed, write_setup(bot_setup(tmp_path), bot).parent)
        pr.github = {"event_name": "pull_request", "sha": HEAD_SHA}
        runs = passing(pr.run_job("check"))
    assert by_name(runs, "Check the callbacks").outputs["exitcode"] == "0"
    assert len(bot.requests_to(CALLBACK_PATH)) == 1
    assert_no_secret_values(*[run.output for run in runs])


def test_the_check_job_sends_nothing_to_a_host_the_variable_does_not_allow(
    installed: Installed, tmp_path: Path
) -> None:
    with serve_bot() as bot:
        elsewhere = f"http://0.0.0.0:{bot.port}"
        setup = write_setup(
            bot_setup(tmp_path), bot, token_url=elsewhere + TOKEN_PATH, callback_url=elsewhere + CALLBACK_PATH
        )
        refused = job_runner(tmp_path / "refused", SECRET_ENV, installed, setup.parent)
        runs = refused.run_job("check")
        assert bot.received == []
        allowed = job_runner(
            tmp_path / "allowed", {**SECRET_ENV, "EGAIN_PROVISION_ALLOW_HOST": "0.0.0.0"}, installed, setup.parent
        )
        passing(allowed.run_job("check"))
        assert len(bot.requests_to(CALLBACK_PATH)) == 1
    step = by_name(runs, "Check the callbacks")
    assert step.exit_code == 1
    assert re.search(
        r"^::error file=manifests/setup.yaml,line=\d+,col=\d+,title=check order-bot-app/custom_bot::", step.stdout, re.M
    )
    assert "--allow-host 0.0.0.0" in step.stdout


# The github-script steps, against a recording fake of the GitHub API.


def pr_context() -> dict[str, Any]:
    return {
        "repo": {"owner": "acme", "repo": "egain-config"},
        "issue": {"number": 7},
        "payload": {"pull_request": {"number": 7, "head": {"sha": HEAD_SHA}}},
        "sha": MERGE_SHA,
        "runId": 4242,
        "serverUrl": "https://github.com",
    }


def post_comment(cwd: Path, bodies: list[str], comments: list[dict[str, Any]] | None = None) -> Play:
    """The sticky-comment step run under node where the job stands; the bodies it posted."""

    def play(runner: Runner, step: Mapping[str, Any]) -> StepRun:
        responses = {"issues.listComments": comments or [], "issues.updateComment": {}, "issues.createComment": {}}
        result = run_github_script(step, pr_context(), responses, cwd=cwd, env=script_env(runner, step))
        bodies.extend(call["params"]["body"] for call in result["calls"] if "body" in call["params"])
        return StepRun("comment", 0)

    return play


def post_summary(cwd: Path, posted: list[dict[str, Any]]) -> Play:
    """The apply-summary step run under node where the job stands; the comments it created."""

    def play(runner: Runner, step: Mapping[str, Any]) -> StepRun:
        result = run_github_script(
            step, pr_context(), {"issues.createComment": {}}, cwd=cwd, env=script_env(runner, step)
        )
        assert [call["method"] for call in result["calls"]] == ["issues.createComment"]
        posted.extend(call["params"] for call in result["calls"])
        return StepRun("summary", 0)

    return play


def comment_on(cwd: Path, comments: list[dict[str, Any]], env: Mapping[str, str]) -> list[dict[str, Any]]:
    """The sticky-comment step with `env`; the API calls it made."""
    responses = {"issues.listComments": comments, "issues.updateComment": {}, "issues.createComment": {}}
    result = run_github_script(job_step("plan", step_id="comment"), pr_context(), responses, cwd=cwd, env=env)
    calls: list[dict[str, Any]] = result["calls"]
    return calls


@pytest.fixture
def planned(store: dict[str, str], installed: Installed, tmp_path: Path) -> dict[str, str]:
    """The plan step's outputs after a real plan of a fresh tenant (exit code 2, the Markdown file)."""
    pr = job_runner(tmp_path / "pr", store, installed, manifests(tmp_path))
    runs = passing(plan_job(pr))
    outputs = by_name(runs, "Plan").outputs
    return {"PLAN_EXITCODE": outputs["exitcode"], "PLAN_MARKDOWN": outputs["markdown"]}


@needs_node
def test_the_plan_updates_the_one_bot_comment_that_holds_the_marker(planned: dict[str, str], tmp_path: Path) -> None:
    comments = [
        {"id": 1, "user": {"type": "User"}, "body": f"Why does the bot post `{MARKER}`?"},
        {"id": 2, "user": {"type": "Bot"}, "body": "CI passed"},
        {"id": 3, "user": {"type": "Bot"}, "body": MARKER + "\nan older plan"},
    ]
    calls = comment_on(tmp_path, comments, planned)
    assert [call["method"] for call in calls] == ["issues.listComments", "issues.updateComment"]
    update = calls[1]["params"]
    assert update["comment_id"] == 3
    assert update["body"].startswith(Path(planned["PLAN_MARKDOWN"]).read_text("utf-8"))
    assert "Planned at abc1234" in update["body"]


@needs_node
def test_the_first_plan_of_a_pull_request_creates_the_comment(planned: dict[str, str], tmp_path: Path) -> None:
    calls = comment_on(tmp_path, [{"id": 1, "user": {"type": "User"}, "body": "LGTM"}], planned)
    assert [call["method"] for call in calls] == ["issues.listComments", "issues.createComment"]
    assert calls[1]["params"]["issue_number"] == 7
    assert calls[1]["params"]["body"].startswith(MARKER + "\n")


@needs_node
def test_a_refused_plan_is_posted_whole_with_the_refusal(planned: dict[str, str], tmp_path: Path) -> None:
    calls = comment_on(tmp_path, [], {**planned, "PLAN_EXITCODE": "4"})
    body = calls[1]["params"]["body"]
    assert body.startswith(Path(planned["PLAN_MARKDOWN"]).read_text("utf-8"))
    assert "**Refused:** it deletes more objects than --max-deletes allows" in body


@needs_node
def test_a_failed_plan_replaces_the_comment_with_a_failure_note(tmp_path: Path) -> None:
    calls = comment_on(
        tmp_path, [{"id": 5, "user": {"type": "Bot"}, "body": MARKER + "\nan older plan"}], {"PLAN_EXITCODE": "1"}
    )
    body = calls[1]["params"]["body"]
    assert calls[1]["method"] == "issues.updateComment"
    assert body.startswith(MARKER + "\n")
    assert "no plan for abc1234" in body
    assert "https://github.com/acme/egain-config/actions/runs/4242" in body


def merged_pull(number: int, merge_sha: str, head_sha: str) -> dict[str, Any]:
    """A pull request as the commits/{sha}/pulls API lists it, merged as `merge_sha`."""
    return {
        "number": number,
        "merged_at": "2025-01-02T10:00:00Z",
        "merge_commit_sha": merge_sha,
        "head": {"sha": head_sha},
    }


MERGE_CONTEXT = {"repo": {"owner": "acme", "repo": "egain-config"}, "sha": MERGE_SHA, "runId": 9000}


def find_reviewed_plan(tmp_path: Path, responses: dict[str, Any]) -> dict[str, Any]:
    return run_github_script(job_step("apply", step_id="reviewed"), MERGE_CONTEXT, responses, cwd=tmp_path, env={})


def pull_request_api(runs: list[dict[str, Any]], *, expired: bool = False) -> dict[str, Any]:
    """The GitHub API after pull request #7 (planned at HEAD_SHA) was merged as MERGE_SHA, with `runs`
    of the workflow for HEAD_SHA and an egain-plan artifact on each (expired or not)."""
    return {
        "repos.listPullRequestsAssociatedWithCommit": [merged_pull(7, MERGE_SHA, HEAD_SHA)],
        "actions.getWorkflowRun": {"id": 9000, "workflow_id": 55},
        "actions.listWorkflowRuns": [{"html_url": f"https://github.com/runs/{run['id']}", **run} for run in runs],
        "actions.listWorkflowRunArtifacts": {"artifacts": [{"name": "egain-plan", "expired": expired}]},
    }


def find_plan(cwd: Path, responses: dict[str, Any]) -> Play:
    """The "Find the reviewed plan" step itself, under node against `responses`, where the job stands."""

    def play(runner: Runner, step: Mapping[str, Any]) -> StepRun:
        result = run_github_script(step, MERGE_CONTEXT, responses, cwd=cwd, env=script_env(runner, step))
        return StepRun("Find the reviewed plan", 0, "\n".join(result["notices"]), outputs=result["outputs"])

    return play


@needs_node
def test_the_merge_finds_the_plan_of_the_merged_pull_requests_newest_successful_run(tmp_path: Path) -> None:
    merged = merged_pull(7, MERGE_SHA, HEAD_SHA)
    other = merged_pull(3, "f" * 40, "e" * 40)
    passed = {"status": "completed", "conclusion": "success"}
    runs = [
        {"id": 101, "created_at": "2025-01-02T08:00:00Z", **passed},
        {"id": 102, "created_at": "2025-01-02T09:00:00Z", **passed},
    ]
    responses = pull_request_api(runs)
    responses["repos.listPullRequestsAssociatedWithCommit"] = [other, merged]
    result = find_reviewed_plan(tmp_path, responses)
    assert result["outputs"] == {"pull-number": "7", "head-sha": HEAD_SHA, "run-id": "102"}
    listed = next(call["params"] for call in result["calls"] if call["method"] == "actions.listWorkflowRuns")
    assert listed["workflow_id"] == 55
    assert listed["event"] == "pull_request"
    assert listed["head_sha"] == HEAD_SHA
    assert "status" not in listed, "every run: the newest decides, whatever its outcome"
    artifacts = next(c["params"] for c in result["calls"] if c["method"] == "actions.listWorkflowRunArtifacts")
    assert artifacts["run_id"] == 102
    assert artifacts["name"] == job_step("apply", uses="actions/download-artifact")["with"]["name"]


@needs_node
def test_a_direct_push_or_a_plan_not_kept_leaves_the_merge_without_a_reviewed_plan(tmp_path: Path) -> None:
    direct = find_reviewed_plan(tmp_path, {"repos.listPullRequestsAssociatedWithCommit": []})
    assert direct["outputs"] == {}
    assert direct["notices"] == [f"{MERGE_SHA} was not merged from a pull request."]
    passed = {"id": 101, "created_at": "2025-01-02T08:00:00Z", "status": "completed", "conclusion": "success"}
    expired = find_reviewed_plan(tmp_path, pull_request_api([passed], expired=True))
    assert expired["outputs"] == {
        "pull-number": "7",  # the summary still goes to the pull request
        "head-sha": HEAD_SHA,
        "no-plan": "the plan of https://github.com/runs/101 was not kept or has expired",
    }


@needs_node
def test_only_the_newest_plan_run_of_the_final_commit_counts(tmp_path: Path) -> None:
    runs = [
        {"id": 101, "created_at": "2025-01-02T08:00:00Z", "status": "completed", "conclusion": "success"},
        {"id": 102, "created_at": "2025-01-02T09:00:00Z", "status": "completed", "conclusion": "cancelled"},
    ]
    result = find_reviewed_plan(tmp_path, pull_request_api(runs))
    assert "run-id" not in result["outputs"]
    assert result["outputs"]["no-plan"] == "its newest plan, https://github.com/runs/102, is cancelled"
    assert "actions.listWorkflowRunArtifacts" not in [call["method"] for call in result["calls"]]


def test_the_action_this_workflow_uses_is_the_one_at_the_repository_root() -> None:
    assert ACTION_FILE.is_file()
    assert set(action()["inputs"]) >= {"command", "manifests", "version", "args", "plan-file", "fail-on-refusal"}

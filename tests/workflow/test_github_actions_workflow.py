"""examples/ci/github-actions.yml as CI runs it: the `run:` steps that call egain-provision, taken from
the file, executed in order under bash (`CI=true`, no stdin) against a served sandbox as the tenant.

The steps that call other actions are played by the test: checkout copies the manifests into the
job's workspace, upload and download of the plan artifact copy plan.json from the pull-request
job's workspace to where the apply job's download step puts it, and the github-script steps run
under node with a recording fake of the GitHub API.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from egain_provision.render.markdown import MARKER
from egain_provision.sandbox.auth import DEFAULT_SCOPE
from egain_provision.sandbox.testing import ServedSandbox
from tests.support import FULL_SETUP, SECRET_ENV, SECRETS, Tenant, create_full_setup

REPO = Path(__file__).resolve().parents[2]
WORKFLOW_FILE = REPO / "examples" / "ci" / "github-actions.yml"
GITHUB_SCRIPT = Path(__file__).with_name("github_script.js")
# GitHub runs `shell: bash` steps as `bash --noprofile --norc -eo pipefail {0}`.
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
TOOL_LINE = re.compile(r"^\s*egain-provision\s", re.MULTILINE)
STORE_EXPRESSION = re.compile(r"^\$\{\{\s*(secrets|vars)\.(\w+)\s*\}\}$")
CONNECTION_SECRETS = ("EGAIN_API_URL", "EGAIN_TOKEN_URL", "EGAIN_CLIENT_ID", "EGAIN_CLIENT_SECRET", "EGAIN_SCOPE")
CLIENT_SECRET = "cl1ent-s3cret-Wv93"
ANNOTATION = re.compile(r"^::(error|warning|notice) file=([^,]+),line=\d+,col=\d+(,title=[^:]+)?::.+$")
# A GitHub API context for the github-script steps: pull request #7 planned at HEAD_SHA, merged as MERGE_SHA.
HEAD_SHA = "abc1234" + "0" * 33
MERGE_SHA = "def5678" + "0" * 33

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node runs the github-script steps")


@dataclass(frozen=True)
class StepRun:
    """One `run:` step as the runner executed it."""

    name: str
    exit_code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Runner:
    """A fresh GitHub-hosted runner for one job: a workspace holding the checkout, RUNNER_TEMP, and
    the environment the workflow declares, its secrets read from `store` (a missing secret is "")."""

    def __init__(self, root: Path, store: Mapping[str, str], manifests: Path | None = None) -> None:
        self.workspace = root / "workspace"
        self.temp = root / "temp"
        self.workspace.mkdir(parents=True)
        self.temp.mkdir()
        self.store = store
        self.env = {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": str(root),
            "LANG": "C.UTF-8",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_SHA": MERGE_SHA,
            "GITHUB_WORKSPACE": str(self.workspace),
            "RUNNER_TEMP": str(self.temp),
            **resolve(workflow().get("env", {}), store),
        }
        if manifests is not None:
            # The test's manifests stand in for the workflow's MANIFESTS, with the secrets they read.
            shutil.copytree(manifests, self.workspace / "manifests")
            self.env["MANIFESTS"] = "manifests"
            self.env.update(SECRET_ENV)

    def checkout(self, relative: str) -> None:
        """Copy a folder of this repository into the workspace, as actions/checkout would."""
        shutil.copytree(REPO / relative, self.workspace / relative)

    def run_job(self, job: str) -> list[StepRun]:
        """The job's egain-provision steps in order, stopping at the first that fails, as Actions does."""
        runs = []
        for step in tool_steps(job):
            run = self.run_step(step)
            runs.append(run)
            if run.exit_code != 0:
                break
        return runs

    def run_step(self, step: Mapping[str, Any]) -> StepRun:
        outputs_file = self.temp / "github_output"
        outputs_file.write_text("")
        script = self.temp / "step.sh"
        script.write_text(step["run"], encoding="utf-8")
        env = {**self.env, **resolve(step.get("env", {}), self.store), "GITHUB_OUTPUT": str(outputs_file)}
        completed = subprocess.run(
            [*BASH, str(script)],
            cwd=self.workspace,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        outputs = dict(line.split("=", 1) for line in outputs_file.read_text().splitlines() if "=" in line)
        return StepRun(step.get("name", ""), completed.returncode, completed.stdout, completed.stderr, outputs)

    def receive_plan_from(self, pr: Runner) -> Path:
        """The plan artifact's round trip: the PR job's upload path into the apply job's download path."""
        upload = job_step(workflow()["jobs"]["plan"], "actions/upload-artifact")["with"]
        download = job_step(workflow()["jobs"]["apply"], "actions/download-artifact")["with"]
        assert upload["name"] == download["name"]
        directory = Path(str(download["path"]).replace("${{ runner.temp }}", str(self.temp)))
        directory.mkdir(parents=True)
        return Path(shutil.copy(pr.workspace / upload["path"], directory))


def workflow() -> dict[str, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(WORKFLOW_FILE.read_text("utf-8"))
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean true; Actions reads it as "on".
    if True in loaded:
        loaded["on"] = loaded.pop(True)
    return loaded


def tool_steps(job: str) -> list[dict[str, Any]]:
    """The steps of `job` whose `run:` script calls egain-provision, in file order."""
    return [step for step in workflow()["jobs"][job]["steps"] if TOOL_LINE.search(step.get("run", ""))]


def job_step(job: Mapping[str, Any], uses: str) -> dict[str, Any]:
    matches: list[dict[str, Any]] = [step for step in job["steps"] if str(step.get("uses", "")).startswith(uses + "@")]
    assert len(matches) == 1, f"{uses}: {len(matches)} steps"
    return matches[0]


def resolve(env: Mapping[str, Any], store: Mapping[str, str]) -> dict[str, str]:
    """An `env:` mapping as Actions evaluates it: `${{ secrets.X }}` / `${{ vars.X }}` from `store`."""
    resolved = {}
    for name, value in env.items():
        match = STORE_EXPRESSION.match(str(value))
        if match:
            resolved[name] = store.get(match[2], "")
        else:
            assert "${{" not in str(value), f"{name}: an expression this test cannot evaluate: {value}"
            resolved[name] = str(value)
    return resolved


def step_names(runs: list[StepRun]) -> list[str]:
    return [run.name for run in runs]


def passing(runs: list[StepRun]) -> list[StepRun]:
    """`runs`, once every step is known to have passed (else the failing step's output)."""
    failed = [run for run in runs if run.exit_code != 0]
    assert not failed, f"step {failed[0].name!r} exited {failed[0].exit_code}:\n{failed[0].output}"
    return runs


def planned_exitcode(pr: Runner) -> str:
    """The pull-request job run to its end: the plan's exit code, as its step recorded it."""
    return passing(pr.run_job("plan"))[-1].outputs["exitcode"]


def assert_no_secret_values(*texts: str) -> None:
    for text in texts:
        for secret in (*SECRETS, CLIENT_SECRET):
            assert secret not in text, f"secret value leaked: {secret!r}"


def written_files(*runners: Runner) -> list[str]:
    """Every file the jobs left in their workspaces and temp folders (plans, journals, outputs)."""
    texts = []
    for runner in runners:
        for root in (runner.workspace, runner.temp):
            texts += [path.read_text("utf-8", errors="replace") for path in root.rglob("*") if path.is_file()]
    return texts


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedSandbox]:
    """One sandbox for the module, with a client secret distinctive enough to grep for."""
    db = tmp_path_factory.mktemp("workflow-sandbox") / "sandbox.db"
    with ServedSandbox(db_path=str(db), client_secret=CLIENT_SECRET) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(served: ServedSandbox) -> ServedSandbox:
    served.reset()
    return served


@pytest.fixture
def tenant(sandbox: ServedSandbox) -> Iterator[Tenant]:
    client = Tenant(sandbox)
    yield client
    client.close()


@pytest.fixture
def store(sandbox: ServedSandbox) -> dict[str, str]:
    """The repository's secret store, holding the sandbox as the tenant."""
    return {
        "EGAIN_API_URL": sandbox.base_url,
        "EGAIN_TOKEN_URL": sandbox.token_url,
        "EGAIN_CLIENT_ID": sandbox.client_id,
        "EGAIN_CLIENT_SECRET": sandbox.client_secret,
        "EGAIN_SCOPE": DEFAULT_SCOPE,
        **SECRET_ENV,
    }


def manifests(tmp_path: Path, text: str = FULL_SETUP) -> Path:
    directory = tmp_path / "manifests"
    directory.mkdir(parents=True)
    (directory / "setup.yaml").write_text(text, encoding="utf-8")
    return directory


# The file itself.


def test_pull_requests_plan_and_pushes_to_main_apply() -> None:
    on = workflow()["on"]
    assert on["push"]["branches"] == ["main"]
    assert "pull_request" in on
    jobs = workflow()["jobs"]
    assert "pull_request" in jobs["plan"]["if"]
    assert "github.ref == 'refs/heads/main'" in jobs["apply"]["if"]


def test_applies_to_one_tenant_are_queued_and_never_cancelled() -> None:
    assert workflow()["jobs"]["apply"]["concurrency"] == {
        "group": "egain-${{ vars.EGAIN_TENANT }}",
        "cancel-in-progress": False,
    }


def test_target_and_credentials_come_from_the_secret_store() -> None:
    env = workflow()["env"]
    for name in CONNECTION_SECRETS:
        assert env[name] == "${{ secrets." + name + " }}"
    for name, value in env.items():
        if name.startswith("EGAIN_VAR_"):
            assert value == "${{ secrets." + name + " }}"


def test_every_egain_provision_step_runs_as_written_in_bash() -> None:
    steps = tool_steps("plan") + tool_steps("apply")
    assert [len(tool_steps("plan")), len(tool_steps("apply"))] == [2, 2]
    assert workflow()["defaults"]["run"]["shell"] == "bash"
    for step in steps:
        assert "${{" not in step["run"], f"{step['name']}: a ${{{{ }}}} expression in a shell script"


# The pull-request job.


def test_validate_reports_problems_as_annotations_and_stops_the_job(store: dict[str, str], tmp_path: Path) -> None:
    broken = FULL_SETUP.replace("type: custom_bot\n    application", "type: robot\n    application")
    pr = Runner(tmp_path / "pr", store, manifests(tmp_path, broken))
    runs = pr.run_job("plan")
    assert step_names(runs) == ["Validate"]
    assert runs[0].exit_code == 1
    annotations = [line for line in runs[0].stdout.splitlines() if line.startswith("::")]
    assert annotations
    assert all(ANNOTATION.match(line) for line in annotations), annotations
    assert any(line.startswith("::error file=manifests/setup.yaml,line=") for line in annotations)
    assert not (pr.workspace / "plan.json").exists()


def test_plan_of_a_fresh_tenant_exits_2_without_failing_and_is_ready_for_the_comment(
    store: dict[str, str], tenant: Tenant, tmp_path: Path
) -> None:
    pr = Runner(tmp_path / "pr", store, manifests(tmp_path))
    validate, plan = passing(pr.run_job("plan"))
    assert "::error" not in validate.stdout
    assert plan.outputs == {"exitcode": "2"}
    markdown = (pr.workspace / "plan.md").read_text("utf-8")
    assert markdown.startswith(MARKER + "\n")
    assert "9 to create" in markdown
    saved = json.loads((pr.workspace / "plan.json").read_text("utf-8"))
    assert "format_version" in saved
    assert sum(tenant.counts().values()) == 0, "a plan changes nothing"
    assert_no_secret_values(validate.output, plan.output, *written_files(pr))


def test_a_plan_error_fails_the_job(store: dict[str, str], tmp_path: Path) -> None:
    wrong = {**store, "EGAIN_CLIENT_SECRET": "not-the-secret"}
    pr = Runner(tmp_path / "pr", wrong, manifests(tmp_path))
    runs = pr.run_job("plan")
    assert step_names(runs) == ["Validate", "Plan"]
    assert runs[1].exit_code == 1
    assert runs[1].outputs == {"exitcode": "1"}
    assert "refused the client credentials" in runs[1].stderr
    assert not (pr.workspace / "plan.json").exists()


# The apply job, after a merge.


def test_merge_applies_the_reviewed_plan_and_the_tenant_then_matches_main(
    store: dict[str, str], tenant: Tenant, tmp_path: Path
) -> None:
    setup = manifests(tmp_path)
    pr = Runner(tmp_path / "pr", store, setup)
    passing(pr.run_job("plan"))
    merge = Runner(tmp_path / "merge", store, setup)
    merge.receive_plan_from(pr)
    apply, check = passing(merge.run_job("apply"))
    assert "9 created, 0 updated, 0 deleted, 0 failed, 0 skipped" in apply.stdout
    assert "no reviewed plan" not in apply.stdout
    assert tenant.names("accounts") == ["order-account"]
    again = Runner(tmp_path / "next-pr", store, setup)
    assert planned_exitcode(again) == "0"
    journal = (merge.workspace / ".egain" / "journal.jsonl").read_text("utf-8")
    assert journal.count("\n") >= 9
    runs = [run.output for run in (apply, check)]
    assert_no_secret_values(*runs, *written_files(pr, merge, again))


def test_merge_refuses_a_plan_the_tenant_moved_away_from_and_changes_nothing(
    store: dict[str, str], tenant: Tenant, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    changed = FULL_SETUP.replace("displayName: Web chat", "displayName: Web chat v2").replace(
        "description: Order bot", "description: Order bot v2"
    )
    setup = manifests(tmp_path, changed)
    pr = Runner(tmp_path / "pr", store, setup)
    assert planned_exitcode(pr) == "2"
    tenant.edit("channels", "custom.web", displayName="Edited by someone else")
    before = {kind: tenant.list(kind) for kind in ("authentications", "clientApplications", "channels", "accounts")}
    merge = Runner(tmp_path / "merge", store, setup)
    merge.receive_plan_from(pr)
    runs = merge.run_job("apply")
    assert step_names(runs) == ["Apply"], "the job stops at the refusal"
    assert runs[0].exit_code == 1
    assert 'channels "custom.web"' in runs[0].stderr
    assert "nothing was applied" in runs[0].stderr
    assert {kind: tenant.list(kind) for kind in before} == before
    assert tenant.find("clientApplications", "order-bot-app")["description"] == "Order bot"
    assert_no_secret_values(runs[0].output, *written_files(pr, merge))


def test_merge_without_a_reviewed_plan_plans_and_applies_main_afresh(
    store: dict[str, str], tenant: Tenant, tmp_path: Path
) -> None:
    merge = Runner(tmp_path / "merge", store, manifests(tmp_path))
    apply, check = passing(merge.run_job("apply"))
    assert f"::notice title=egain-provision::no reviewed plan for {MERGE_SHA}" in apply.stdout
    assert "Plan: 9 to create" in apply.stdout
    assert tenant.names("accounts") == ["order-account"]
    assert_no_secret_values(apply.output, check.output, *written_files(merge))


def test_the_check_after_apply_fails_when_the_tenant_still_differs_from_main(
    store: dict[str, str], tenant: Tenant, tmp_path: Path
) -> None:
    pr = Runner(tmp_path / "pr", store, manifests(tmp_path))
    assert planned_exitcode(pr) == "2"
    # main moved on after the pull request was planned: the reviewed plan does not cover the new text.
    main = manifests(tmp_path / "main", FULL_SETUP.replace("timeout: 30", "timeout: 45"))
    merge = Runner(tmp_path / "merge", store, main)
    merge.receive_plan_from(pr)
    runs = merge.run_job("apply")
    assert [run.exit_code for run in runs] == [0, 1], runs[0].output
    check = runs[1]
    assert "::error title=egain-provision::the tenant does not match main" in check.stdout
    assert "timeout" in check.stdout


def test_the_workflow_as_written_plans_and_applies_its_example_manifests(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    """No substitution: MANIFESTS and the EGAIN_VAR_* secrets exactly as the file declares them."""
    declared = workflow()["env"]
    store = {
        "EGAIN_API_URL": sandbox.base_url,
        "EGAIN_TOKEN_URL": sandbox.token_url,
        "EGAIN_CLIENT_ID": sandbox.client_id,
        "EGAIN_CLIENT_SECRET": sandbox.client_secret,
        "EGAIN_SCOPE": DEFAULT_SCOPE,
        **{name: SECRET_ENV.get(name, f"value-of-{name}") for name in declared if name.startswith("EGAIN_VAR_")},
    }
    pr = Runner(tmp_path / "pr", store)
    pr.checkout(declared["MANIFESTS"])
    validate, plan = passing(pr.run_job("plan"))
    assert plan.outputs == {"exitcode": "2"}, plan.output
    merge = Runner(tmp_path / "merge", store)
    merge.checkout(declared["MANIFESTS"])
    merge.receive_plan_from(pr)
    apply, check = passing(merge.run_job("apply"))
    assert sum(tenant.counts().values()) > 0
    assert_no_secret_values(validate.output, plan.output, apply.output, check.output, *written_files(pr, merge))


# The github-script steps, against a recording fake of the GitHub API.


def run_github_script(
    job: str,
    step_id: str,
    context: dict[str, Any],
    responses: dict[str, Any],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
) -> Any:
    """Run a github-script step's script under node in `cwd`, with `env`; its calls, outputs and notices."""
    step = next(step for step in workflow()["jobs"][job]["steps"] if step.get("id") == step_id)
    assert str(step["uses"]).startswith("actions/github-script@")
    script = cwd / f"{step_id}.js"
    script.write_text(step["with"]["script"], encoding="utf-8")
    scenario = cwd / f"{step_id}.json"
    scenario.write_text(json.dumps({"context": context, "responses": responses}), encoding="utf-8")
    completed = subprocess.run(
        ["node", str(GITHUB_SCRIPT), str(script), str(scenario)],
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", ""), **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def pr_context() -> dict[str, Any]:
    return {
        "repo": {"owner": "acme", "repo": "egain-config"},
        "issue": {"number": 7},
        "payload": {"pull_request": {"number": 7, "head": {"sha": HEAD_SHA}}},
        "sha": MERGE_SHA,
        "runId": 4242,
        "serverUrl": "https://github.com",
    }


def comment_on(tmp_path: Path, comments: list[dict[str, Any]], exitcode: str) -> list[dict[str, Any]]:
    """The sticky-comment step after a real plan of a fresh tenant; the API calls it made."""
    responses = {"issues.listComments": comments, "issues.updateComment": {}, "issues.createComment": {}}
    env = {"PLAN_EXITCODE": exitcode}
    result = run_github_script("plan", "comment", pr_context(), responses, cwd=tmp_path, env=env)
    calls: list[dict[str, Any]] = result["calls"]
    return calls


@pytest.fixture
def planned(store: dict[str, str], tmp_path: Path) -> Path:
    """A pull-request workspace after its plan step, holding the real plan.md."""
    pr = Runner(tmp_path / "pr", store, manifests(tmp_path))
    assert planned_exitcode(pr) == "2"
    return pr.workspace


@needs_node
def test_the_plan_updates_the_one_bot_comment_that_holds_the_marker(planned: Path) -> None:
    comments = [
        {"id": 1, "user": {"type": "User"}, "body": f"Why does the bot post `{MARKER}`?"},
        {"id": 2, "user": {"type": "Bot"}, "body": "CI passed"},
        {"id": 3, "user": {"type": "Bot"}, "body": MARKER + "\nan older plan"},
    ]
    calls = comment_on(planned, comments, "2")
    assert [call["method"] for call in calls] == ["issues.listComments", "issues.updateComment"]
    update = calls[1]["params"]
    assert update["comment_id"] == 3
    assert update["body"].startswith((planned / "plan.md").read_text("utf-8"))
    assert "Planned at abc1234" in update["body"]


@needs_node
def test_the_first_plan_of_a_pull_request_creates_the_comment(planned: Path) -> None:
    calls = comment_on(planned, [{"id": 1, "user": {"type": "User"}, "body": "LGTM"}], "2")
    assert [call["method"] for call in calls] == ["issues.listComments", "issues.createComment"]
    assert calls[1]["params"]["issue_number"] == 7
    assert calls[1]["params"]["body"].startswith(MARKER + "\n")


@needs_node
def test_a_failed_plan_replaces_the_comment_with_a_failure_note(tmp_path: Path) -> None:
    calls = comment_on(tmp_path, [{"id": 5, "user": {"type": "Bot"}, "body": MARKER + "\nan older plan"}], "1")
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


def find_reviewed_plan(tmp_path: Path, responses: dict[str, Any]) -> dict[str, Any]:
    context = {"repo": {"owner": "acme", "repo": "egain-config"}, "sha": MERGE_SHA, "runId": 9000}
    result: dict[str, Any] = run_github_script("apply", "reviewed", context, responses, cwd=tmp_path)
    return result


@needs_node
def test_the_merge_finds_the_plan_of_the_merged_pull_requests_newest_successful_run(tmp_path: Path) -> None:
    merged = merged_pull(7, MERGE_SHA, HEAD_SHA)
    other = merged_pull(3, "f" * 40, "e" * 40)
    runs = [
        {"id": 101, "created_at": "2025-01-02T08:00:00Z", "html_url": "https://github.com/runs/101"},
        {"id": 102, "created_at": "2025-01-02T09:00:00Z", "html_url": "https://github.com/runs/102"},
    ]
    result = find_reviewed_plan(
        tmp_path,
        {
            "repos.listPullRequestsAssociatedWithCommit": [other, merged],
            "actions.getWorkflowRun": {"id": 9000, "workflow_id": 55},
            "actions.listWorkflowRuns": runs,
            "actions.listWorkflowRunArtifacts": {"artifacts": [{"name": "egain-plan", "expired": False}]},
        },
    )
    assert result["outputs"] == {"run-id": "102"}
    listed = next(call["params"] for call in result["calls"] if call["method"] == "actions.listWorkflowRuns")
    assert listed["workflow_id"] == 55
    assert listed["event"] == "pull_request"
    assert listed["head_sha"] == HEAD_SHA
    assert listed["status"] == "success"
    artifacts = next(c["params"] for c in result["calls"] if c["method"] == "actions.listWorkflowRunArtifacts")
    assert artifacts["run_id"] == 102
    assert artifacts["name"] == job_step(workflow()["jobs"]["apply"], "actions/download-artifact")["with"]["name"]


@needs_node
def test_a_direct_push_or_an_expired_plan_leaves_the_merge_without_a_reviewed_plan(tmp_path: Path) -> None:
    direct = find_reviewed_plan(tmp_path, {"repos.listPullRequestsAssociatedWithCommit": []})
    assert direct["outputs"] == {}
    assert "planned and applied afresh" in direct["notices"][0]
    merged = merged_pull(7, MERGE_SHA, HEAD_SHA)
    expired = find_reviewed_plan(
        tmp_path,
        {
            "repos.listPullRequestsAssociatedWithCommit": [merged],
            "actions.getWorkflowRun": {"id": 9000, "workflow_id": 55},
            "actions.listWorkflowRuns": [{"id": 101, "created_at": "2025-01-02T08:00:00Z", "html_url": "u"}],
            "actions.listWorkflowRunArtifacts": {"artifacts": [{"name": "egain-plan", "expired": True}]},
        },
    )
    assert expired["outputs"] == {}
    assert "No plan kept for #7" in expired["notices"][0]

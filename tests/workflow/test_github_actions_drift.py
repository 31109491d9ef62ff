"""examples/ci/github-actions-drift.yml: plan main against the tenant on a schedule; one issue while
they differ, updated on each run, closed once they agree. Its steps run as a runner runs them
(tests/workflow/harness.py) against a served sandbox, the issue step under node against a fake
GitHub issue tracker that keeps its issues from one run to the next."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from egain_provision.render.markdown import MARKER as PLAN_MARKER
from egain_provision.sandbox.auth import DEFAULT_SCOPE
from egain_provision.sandbox.testing import ServedSandbox
from tests.support import FULL_SETUP, SECRET_ENV, SECRETS, Tenant, create_full_setup, run_cli, target_env
from tests.workflow.ci_support import MERGE_SHA, REPO
from tests.workflow.conftest import Installed
from tests.workflow.harness import Runner, StepRun, load_yaml, run_github_script, script_env

DRIFT_FILE = REPO / "examples" / "ci" / "github-actions-drift.yml"
MARKER = "<!-- egain-provision:drift -->"
LABEL = "egain-drift"

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node runs the github-script step")


class IssueTracker:
    """The repository's issues as the drift step sees and changes them through the API."""

    def __init__(self) -> None:
        self.issues: list[dict[str, Any]] = []
        self.comments: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []

    def add(self, **issue: Any) -> None:
        self.issues.append({"number": 100 + len(self.issues), "state": "open", "labels": [], **issue})

    def answers(self) -> dict[str, Any]:
        listed = [i for i in self.issues if i["state"] == "open" and LABEL in i["labels"]]
        number = 100 + len(self.issues)
        return {
            "issues.listForRepo": listed,
            "issues.create": {"number": number},
            "issues.update": {},
            "issues.createComment": {},
        }

    def record(self, calls: list[dict[str, Any]]) -> None:
        """Apply what the step asked for, as GitHub would."""
        for call in calls:
            params = call["params"]
            self.calls.append(call)
            if call["method"] == "issues.listForRepo":
                assert params["state"] == "open"
                assert params["labels"] == LABEL
            elif call["method"] == "issues.create":
                self.add(title=params["title"], body=params["body"], labels=params["labels"], user={"type": "Bot"})
            elif call["method"] == "issues.update":
                issue = next(i for i in self.issues if i["number"] == params["issue_number"])
                issue.update({key: value for key, value in params.items() if key in ("body", "state")})
            elif call["method"] == "issues.createComment":
                self.comments.append(params)


def workflow() -> dict[str, Any]:
    return load_yaml(DRIFT_FILE)


class Drift:
    """Scheduled runs of the drift job, one fresh runner each, sharing the sandbox and the issue tracker."""

    def __init__(self, sandbox: ServedSandbox, installed: Installed, root: Path) -> None:
        self.sandbox, self.installed, self.root = sandbox, installed, root
        self.tracker = IssueTracker()
        self.manifests = root / "main"
        self.manifests.mkdir()
        (self.manifests / "setup.yaml").write_text(FULL_SETUP, encoding="utf-8")
        self.count = 0

    def run(self) -> list[StepRun]:
        self.count += 1
        store = {
            "EGAIN_API_URL": self.sandbox.base_url,
            "EGAIN_TOKEN_URL": self.sandbox.token_url,
            "EGAIN_CLIENT_ID": self.sandbox.client_id,
            "EGAIN_CLIENT_SECRET": self.sandbox.client_secret,
            "EGAIN_SCOPE": DEFAULT_SCOPE,
        }
        runner = Runner(
            self.root / f"run-{self.count}",
            store,
            DRIFT_FILE,
            action_path=self.installed.action_path,
            venv=self.installed.venv,
        )
        shutil.copytree(self.manifests, runner.workspace / "manifests")
        runner.env["MANIFESTS"] = "manifests"
        runner.env.update(SECRET_ENV)
        return runner.run_job("drift", {"issue": self.issue_step})

    def issue_step(self, runner: Runner, step: Mapping[str, Any]) -> StepRun:
        context = {
            "repo": {"owner": "acme", "repo": "egain-config"},
            "sha": MERGE_SHA,
            "runId": 5000 + self.count,
            "serverUrl": "https://github.com",
        }
        cwd = runner.temp / "script"
        cwd.mkdir()
        result = run_github_script(step, context, self.tracker.answers(), cwd=cwd, env=script_env(runner, step))
        self.tracker.record(result["calls"])
        return StepRun("issue", 0, stdout="\n".join(result["notices"]))

    def open_issues(self) -> list[dict[str, Any]]:
        return [i for i in self.tracker.issues if i["state"] == "open"]


@pytest.fixture
def drift(sandbox: ServedSandbox, installed: Installed, tmp_path: Path) -> Drift:
    return Drift(sandbox, installed, tmp_path)


def test_it_runs_on_a_schedule_and_by_hand_with_the_least_permissions() -> None:
    on = workflow()["on"]
    assert on["schedule"][0]["cron"]
    assert "workflow_dispatch" in on
    assert workflow()["permissions"] == {}
    job = workflow()["jobs"]["drift"]
    assert job["permissions"] == {"contents": "read", "issues": "write"}
    assert job["concurrency"]["group"] != "egain-${{ vars.EGAIN_TENANT }}", "never in the apply queue"
    for step in job["steps"]:
        assert "${{" not in step.get("run", "")


@needs_node
def test_a_tenant_that_matches_main_opens_no_issue(drift: Drift, tenant: Tenant) -> None:
    create_full_setup(tenant)
    runs = drift.run()
    assert [run.exit_code for run in runs] == [0, 0]
    assert runs[0].outputs["exitcode"] == "0"
    assert drift.tracker.issues == []
    assert [call["method"] for call in drift.tracker.calls] == ["issues.listForRepo"]


@needs_node
def test_drift_opens_one_issue_updates_it_while_it_lasts_and_closes_it_when_fixed(drift: Drift, tenant: Tenant) -> None:
    create_full_setup(tenant)
    # Someone edits the tenant in the console: raw HTTP on the sandbox, as the tenant's API would take it.
    tenant.edit("channels", "custom.web", displayName="Edited in the console")
    first = drift.run()
    assert first[0].outputs["exitcode"] == "2"
    [issue] = drift.open_issues()
    assert issue["labels"] == [LABEL]
    assert issue["title"] == "egain-provision: the tenant drifted from main"
    assert issue["body"].startswith(MARKER + "\n")
    assert PLAN_MARKER in issue["body"]
    assert "Edited in the console" in issue["body"]
    assert "opened #100" in first[1].stdout

    # More drift: the same issue now shows both changes, and no second issue is opened.
    tenant.edit("clientApplications", "order-bot-app", description="Edited again")
    second = drift.run()
    assert second[0].outputs["exitcode"] == "2"
    assert len(drift.tracker.issues) == 1
    [issue] = drift.open_issues()
    assert "Edited again" in issue["body"]
    assert "updated #100" in second[1].stdout

    # Main applied again (the fix the issue suggests): the tenant matches, the issue is closed with a comment.
    journal = str(drift.root / "journal.jsonl")
    command = [
        "apply",
        "--target",
        drift.sandbox.base_url,
        "--auto-approve",
        "--journal",
        journal,
        str(drift.manifests),
    ]
    applied = run_cli(command, env=target_env(drift.sandbox))
    assert applied.exit_code == 0, applied.output
    assert "0 created, 2 updated" in applied.stdout
    fixed = drift.run()
    assert fixed[0].outputs["exitcode"] == "0", fixed[0].output
    assert drift.open_issues() == []
    assert drift.tracker.issues[0]["state"] == "closed"
    assert "matches main" in drift.tracker.comments[-1]["body"]
    assert drift.tracker.comments[-1]["issue_number"] == 100
    texts = [issue["body"] for issue in drift.tracker.issues] + [c["body"] for c in drift.tracker.comments]
    for text in texts:
        assert not any(secret in text for secret in SECRETS)


@needs_node
def test_a_planning_error_fails_the_job_and_leaves_the_issue_alone(drift: Drift, tenant: Tenant) -> None:
    create_full_setup(tenant)
    tenant.edit("channels", "custom.web", displayName="Edited in the console")
    drift.run()
    [issue] = drift.open_issues()
    body = issue["body"]
    (drift.manifests / "setup.yaml").write_text(FULL_SETUP.replace("type: oauth2", "type: oauth9"), encoding="utf-8")
    runs = drift.run()
    assert [run.name for run in runs] == ["Plan main against the tenant"]
    assert runs[0].exit_code == 1
    assert drift.open_issues() == [issue]
    assert issue["body"] == body
    assert len(drift.tracker.calls) == 2, "only the first run talked to the issue tracker"


@needs_node
def test_an_issue_a_person_opened_with_the_marker_is_not_the_drift_issue(drift: Drift, tenant: Tenant) -> None:
    drift.tracker.add(title="about drift", body=f"What is {MARKER}?", labels=[LABEL], user={"type": "User"})
    create_full_setup(tenant)
    tenant.edit("channels", "custom.web", displayName="Edited in the console")
    drift.run()
    assert len(drift.open_issues()) == 2
    assert drift.tracker.issues[0]["body"] == f"What is {MARKER}?"

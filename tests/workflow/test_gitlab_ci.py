"""examples/ci/gitlab-ci.yml as GitLab runs it: each job's `script:` lines, taken from the file, run in
order in one bash (`set -eo pipefail`, as GitLab's runner does), with GitLab's predefined variables,
the file's variables and the project's CI/CD variables, against a served sandbox as the tenant and a
recording stand-in of the GitLab API (tests/workflow/fake_gitlab.py).

The test plays the rest of GitLab: the `rules:` decide which jobs run, `before_script` (the install)
is the test's own tool on PATH, the checkout copies the manifests into CI_PROJECT_DIR, and after a
plan job the pipeline is registered with the artifacts the file keeps (only when the job passed).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from egain_provision.render.markdown import MARKER
from egain_provision.sandbox.testing import ServedSandbox
from tests.check.bots import CALLBACK_PATH, TOKEN_PATH, serve_bot
from tests.check.manifests import write_setup
from tests.support import FULL_SETUP, SECRET_ENV, Tenant, create_full_setup
from tests.workflow.ci_support import (
    BASH,
    CONNECTION_SECRETS,
    HEAD_SHA,
    MERGE_SHA,
    REPO,
    assert_no_secret_values,
    files_text,
    tenant_secrets,
    tool_path,
    write_manifests,
)
from tests.workflow.fake_gitlab import BOT_USER, PERSON, PROJECT_ID, FakeGitLab

PIPELINE_FILE = REPO / "examples" / "ci" / "gitlab-ci.yml"
GITLAB_TOKEN = "glpat-N0tes-T0ken-Hx61"
MR = 7
NEXT_SHA = "bcd23456" + "0" * 32
RULE_TOKEN = re.compile(r'\s*(?:\$(\w+)|"([^"]*)"|(==|!=|&&|\|\||\(|\)))')


def pipeline() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(PIPELINE_FILE.read_text("utf-8"))
    return loaded


def job_definition(name: str) -> dict[str, Any]:
    """A job with what it `extends` merged under it, as GitLab merges one level of hidden job."""
    job = dict(pipeline()[name])
    base = pipeline()[job.pop("extends")] if "extends" in job else {}
    return {**base, **job}


def rule_matches(expression: str, env: Mapping[str, str]) -> bool:
    """A `rules: if:` expression of the kinds the file uses: $VAR, "text", ==, !=, &&, ||, parentheses."""
    words, position = [], 0
    while position < len(expression.rstrip()):
        match = RULE_TOKEN.match(expression, position)
        assert match, f"a rule this test cannot read: {expression[position:]!r}"
        variable, text, operator = match.groups()
        if variable is not None:
            words.append(repr(env.get(variable)))
        elif text is not None:
            words.append(repr(text))
        else:
            words.append({"&&": "and", "||": "or"}.get(operator, operator))
        position = match.end()
    result: bool = eval(" ".join(words), {"__builtins__": {}})
    return result


def runs(rules: list[dict[str, Any]], env: Mapping[str, str]) -> bool:
    return any(rule_matches(rule["if"], env) for rule in rules)


@dataclass(frozen=True)
class JobRun:
    exit_code: int
    log: str


class GitLabJob:
    """One job on a fresh runner: CI_PROJECT_DIR holding the checkout, a TMPDIR, and the variables
    GitLab gives it, in GitLab's precedence: predefined, the file's, the job's, the project's."""

    def __init__(self, root: Path, name: str, project: Mapping[str, str], predefined: Mapping[str, str]) -> None:
        self.name = name
        self.definition = job_definition(name)
        self.project_dir = root / "builds" / "acme" / "egain-config"
        self.tmp = root / "tmp"
        self.project_dir.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(exist_ok=True)
        self.env = {
            "PATH": os.pathsep.join(tool_path()),
            "HOME": str(root),
            "LANG": "C.UTF-8",
            "TMPDIR": str(self.tmp),
            "CI": "true",
            "GITLAB_CI": "true",
            "CI_PROJECT_DIR": str(self.project_dir),
            "CI_JOB_NAME": name,
            **predefined,
            **{key: str(value) for key, value in pipeline()["variables"].items()},
            **{key: str(value) for key, value in self.definition.get("variables", {}).items()},
            **project,
        }

    def checkout(self, manifests: Path) -> None:
        shutil.copytree(manifests, self.project_dir / "manifests")

    def would_run(self) -> bool:
        return runs(pipeline()["workflow"]["rules"], self.env) and runs(self.definition["rules"], self.env)

    def run(self) -> JobRun:
        """The job's script lines in order, in one shell that stops at the first failing line."""
        assert self.would_run(), f"{self.name} does not run in this pipeline"
        script = self.tmp / f"{self.name}.sh"
        script.write_text("\n".join(self.definition["script"]) + "\n", encoding="utf-8")
        completed = subprocess.run(
            [*BASH, str(script)],
            cwd=self.project_dir,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
        )
        return JobRun(completed.returncode, completed.stdout)

    def kept_artifacts(self) -> dict[str, bytes]:
        """The files of `artifacts: paths` the job left, as GitLab uploads them."""
        kept = {}
        for path in self.definition["artifacts"]["paths"]:
            if (self.project_dir / path).is_file():
                kept[path] = (self.project_dir / path).read_bytes()
        return kept


def merge_request_variables(fake: FakeGitLab, sha: str, *, source_project: int = PROJECT_ID) -> dict[str, str]:
    return {
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_API_V4_URL": fake.url,
        "CI_PROJECT_ID": str(PROJECT_ID),
        "CI_DEFAULT_BRANCH": "main",
        "CI_COMMIT_SHA": sha,
        "CI_COMMIT_SHORT_SHA": sha[:8],
        "CI_COMMIT_REF_NAME": "change-web-chat",
        "CI_MERGE_REQUEST_IID": str(MR),
        "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": str(source_project),
        "CI_PIPELINE_ID": "5001",
        "CI_PIPELINE_URL": "https://gitlab.example.com/acme/egain-config/-/pipelines/5001",
    }


def branch_variables(fake: FakeGitLab, sha: str, *, source: str = "push", branch: str = "main") -> dict[str, str]:
    return {
        "CI_PIPELINE_SOURCE": source,
        "CI_API_V4_URL": fake.url,
        "CI_PROJECT_ID": str(PROJECT_ID),
        "CI_DEFAULT_BRANCH": "main",
        "CI_COMMIT_BRANCH": branch,
        "CI_COMMIT_REF_NAME": branch,
        "CI_COMMIT_SHA": sha,
        "CI_COMMIT_SHORT_SHA": sha[:8],
        "CI_PIPELINE_ID": "5101",
        "CI_PIPELINE_URL": "https://gitlab.example.com/acme/egain-config/-/pipelines/5101",
    }


@pytest.fixture
def project(served: ServedSandbox) -> dict[str, str]:
    """The project's masked CI/CD variables: the sandbox as the tenant, the token, the tenant name;
    MANIFESTS points at the test's manifests."""
    return {
        **tenant_secrets(served),
        "EGAIN_GITLAB_TOKEN": GITLAB_TOKEN,
        "EGAIN_TENANT": "acme-test",
        "MANIFESTS": "manifests",
    }


@pytest.fixture
def fake() -> Iterator[FakeGitLab]:
    with FakeGitLab(GITLAB_TOKEN) as gitlab:
        gitlab.open_merge_request(MR, HEAD_SHA)
        yield gitlab


def plan_merge_request(
    root: Path, fake: FakeGitLab, project: Mapping[str, str], sha: str, manifests: Path
) -> tuple[GitLabJob, JobRun]:
    """The merge request pipeline for `sha`: the plan job, then GitLab keeping its artifacts if it passed."""
    fake.push(MR, sha)
    job = GitLabJob(root, "egain-plan", project, merge_request_variables(fake, sha))
    job.checkout(manifests)
    run = job.run()
    passed = run.exit_code == 0
    fake.finish_pipeline(
        MR, sha, "egain-plan", "success" if passed else "failed", job.kept_artifacts() if passed else {}
    )
    return job, run


def apply_default_branch(
    root: Path, fake: FakeGitLab, project: Mapping[str, str], manifests: Path, source: str = "push"
) -> JobRun:
    job = GitLabJob(root, "egain-apply", project, branch_variables(fake, MERGE_SHA, source=source))
    job.checkout(manifests)
    return job.run()


def bot_notes(fake: FakeGitLab) -> list[dict[str, Any]]:
    return [note for note in fake.notes(MR) if note["author"]["id"] == BOT_USER["id"]]


def request_bodies(fake: FakeGitLab) -> list[str]:
    return [json.dumps(request.body) for request in fake.requests]


# The file itself.


def test_merge_requests_check_their_callbacks_on_the_allowed_hosts_only(
    fake: FakeGitLab, project: dict[str, str], tmp_path: Path
) -> None:
    assert (
        GitLabJob(
            tmp_path / "fork", "egain-check", {}, merge_request_variables(fake, HEAD_SHA, source_project=99)
        ).would_run()
        is False
    )
    assert GitLabJob(tmp_path / "main", "egain-check", {}, branch_variables(fake, MERGE_SHA)).would_run() is False
    with serve_bot() as bot:
        elsewhere = f"http://0.0.0.0:{bot.port}"
        setup = tmp_path / "setup"
        setup.mkdir()
        write_setup(setup, bot, token_url=elsewhere + TOKEN_PATH, callback_url=elsewhere + CALLBACK_PATH)
        variables = {**project, **SECRET_ENV}
        refused = GitLabJob(tmp_path / "refused", "egain-check", variables, merge_request_variables(fake, HEAD_SHA))
        refused.checkout(setup)
        refused_run = refused.run()
        assert bot.received == []
        allowed = GitLabJob(
            tmp_path / "allowed",
            "egain-check",
            {**variables, "EGAIN_PROVISION_ALLOW_HOST": "0.0.0.0"},
            merge_request_variables(fake, HEAD_SHA),
        )
        allowed.checkout(setup)
        allowed_run = allowed.run()
        assert len(bot.requests_to(CALLBACK_PATH)) == 1
    assert refused_run.exit_code == 1
    assert "--allow-host 0.0.0.0" in refused_run.log
    assert allowed_run.exit_code == 0, allowed_run.log
    assert_no_secret_values(refused_run.log, allowed_run.log)


def test_merge_requests_plan_and_the_default_branch_applies(fake: FakeGitLab, tmp_path: Path) -> None:
    def jobs(predefined: dict[str, str]) -> list[str]:
        names = ("egain-plan", "egain-test", "egain-apply")
        return [name for name in names if GitLabJob(tmp_path / name, name, {}, predefined).would_run()]

    assert jobs(merge_request_variables(fake, HEAD_SHA)) == ["egain-plan", "egain-test"]
    # A fork's merge request has none of the project's variables: it is not planned, but its
    # conversations are tested (against a sandbox, with throwaway credentials).
    assert jobs(merge_request_variables(fake, HEAD_SHA, source_project=99)) == ["egain-test"]
    assert jobs(branch_variables(fake, MERGE_SHA)) == ["egain-apply"]
    assert jobs(branch_variables(fake, MERGE_SHA, source="web")) == ["egain-apply"]
    assert jobs(branch_variables(fake, MERGE_SHA, branch="feature")) == []
    assert jobs(branch_variables(fake, MERGE_SHA, source="schedule")) == []


def test_applies_to_one_tenant_share_one_resource_group() -> None:
    assert job_definition("egain-apply")["resource_group"] == "egain-$EGAIN_TENANT"
    assert "EGAIN_TENANT" not in pipeline()["variables"], "a project variable, so every project shares the group"
    assert "resource_group" not in job_definition("egain-plan")


def test_secrets_come_from_project_variables_and_only_a_passing_plan_is_kept() -> None:
    declared = set(pipeline()["variables"])
    for job in ("egain-plan", "egain-apply"):
        declared |= set(job_definition(job).get("variables", {}))
    assert not declared & {*CONNECTION_SECRETS, "EGAIN_GITLAB_TOKEN"}
    assert not [name for name in declared if name.startswith("EGAIN_VAR_")]
    plan = job_definition("egain-plan")
    assert "plan.json" in plan["artifacts"]["paths"]
    assert "when" not in plan["artifacts"], "GitLab's default, on_success: a failed or refused plan is never kept"
    assert plan["before_script"] == job_definition("egain-apply")["before_script"]
    assert '"$EGAIN_PROVISION_PIP"' in plan["before_script"][0]


# The conversations job.


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_the_test_job_runs_the_byoc_scenarios_through_a_sandbox_and_the_reference_bot(
    fake: FakeGitLab, project: dict[str, str], tmp_path: Path
) -> None:
    # The job as written, on ports this test got instead of 8765 (sandbox) and 8766 (bot); the
    # project's variables name the tenant, which the job must not use.
    ports = {"8765": str(_free_port()), "8766": str(_free_port())}

    def moved(text: str) -> str:
        return text.replace("8765", ports["8765"]).replace("8766", ports["8766"])

    job = GitLabJob(
        tmp_path, "egain-test", {**project, "MANIFESTS": "examples/byoc"}, merge_request_variables(fake, HEAD_SHA)
    )
    job.definition = json.loads(moved(json.dumps(job.definition)))
    job.env = json.loads(moved(json.dumps(job.env)))
    for path in (REPO / "examples" / "byoc").rglob("*"):
        if path.is_file() and path.suffix in (".yaml", ".py", ".png"):
            target = job.project_dir / path.relative_to(REPO)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(moved(path.read_text("utf-8")).encode() if path.suffix != ".png" else path.read_bytes())

    run = job.run()
    assert run.exit_code == 0, run.log
    assert "3 scenarios: 3 passed" in run.log
    results = (job.project_dir / job.definition["artifacts"]["reports"]["junit"]).read_text("utf-8")
    assert 'failures="0"' in results and 'tests="3"' in results


# Merge request pipelines.


def test_a_merge_request_plan_posts_exactly_one_note_and_keeps_the_plan(
    fake: FakeGitLab, project: dict[str, str], tenant: Tenant, tmp_path: Path
) -> None:
    job, run = plan_merge_request(tmp_path / "push1", fake, project, HEAD_SHA, write_manifests(tmp_path / "m"))
    assert run.exit_code == 0, run.log
    assert "plan exit code 2" in run.log
    (note,) = fake.notes(MR)
    assert note["author"] == BOT_USER
    assert note["body"].startswith(MARKER + "\n")
    assert note["body"].startswith((job.project_dir / "plan.md").read_text("utf-8"))
    assert "9 to create" in note["body"]
    assert (
        "Planned at abc12345 in [pipeline 5001](https://gitlab.example.com/acme/egain-config/-/pipelines/5001)"
        in note["body"]
    )
    writes = [call for call in fake.calls() if call[0] != "GET"]
    assert writes == [("POST", f"/api/v4/projects/{PROJECT_ID}/merge_requests/{MR}/notes")]
    kept = json.loads(job.kept_artifacts()["plan.json"])
    assert kept["signature"].startswith("hmac-sha256:"), "signed with the EGAIN_PLAN_KEY variable"
    assert sum(tenant.counts().values()) == 0, "a plan changes nothing"
    assert_no_secret_values(run.log, *request_bodies(fake), *files_text(job.project_dir), extra=(GITLAB_TOKEN,))


def test_a_second_push_updates_the_same_note_and_leaves_other_notes(
    project: dict[str, str], tenant: Tenant, tmp_path: Path
) -> None:
    with FakeGitLab(GITLAB_TOKEN, page_size=1) as fake:
        fake.open_merge_request(MR, HEAD_SHA)
        quoted = fake.add_note(MR, PERSON, f"Why does the bot post `{MARKER}`?")
        _, first = plan_merge_request(tmp_path / "push1", fake, project, HEAD_SHA, write_manifests(tmp_path / "m1"))
        assert first.exit_code == 0, first.log
        (posted,) = bot_notes(fake)
        for number in range(3):
            fake.add_note(MR, PERSON, f"comment {number}")  # the plan note is now on a later page
        changed = FULL_SETUP.replace("displayName: Web chat", "displayName: Web chat v2")
        _, second = plan_merge_request(
            tmp_path / "push2", fake, project, NEXT_SHA, write_manifests(tmp_path / "m2", changed)
        )
        assert second.exit_code == 0, second.log
        assert f"updated the plan note {posted['id']}" in second.log
        (updated,) = bot_notes(fake)
        assert updated["id"] == posted["id"]
        assert "Planned at bcd23456" in updated["body"]
        assert "Web chat v2" in updated["body"]
        assert len(fake.notes(MR)) == 5
        assert next(note for note in fake.notes(MR) if note["id"] == quoted)["body"].startswith("Why does")
        writes = [call[0] for call in fake.calls() if call[0] != "GET"]
        assert writes == ["POST", "PUT"]
        assert_no_secret_values(first.log, second.log, *request_bodies(fake), extra=(GITLAB_TOKEN,))


def test_a_failed_validate_posts_a_failure_note_and_fails_the_job(
    fake: FakeGitLab, project: dict[str, str], tmp_path: Path
) -> None:
    broken = FULL_SETUP.replace("type: custom_bot\n    application", "type: robot\n    application")
    job, run = plan_merge_request(tmp_path / "push1", fake, project, HEAD_SHA, write_manifests(tmp_path / "m", broken))
    assert run.exit_code == 1
    assert "manifests/setup.yaml:" in run.log and "plan exit code 1" in run.log
    (note,) = fake.notes(MR)
    assert note["body"].startswith(MARKER + "\n### egain-provision: no plan for abc12345")
    assert "pipelines/5001" in note["body"]
    assert job.kept_artifacts() == {} or "plan.json" not in job.kept_artifacts()


def test_a_plan_of_a_commit_the_merge_request_moved_past_posts_nothing(
    fake: FakeGitLab, project: dict[str, str], tmp_path: Path
) -> None:
    job = GitLabJob(tmp_path, "egain-plan", project, merge_request_variables(fake, HEAD_SHA))
    job.checkout(write_manifests(tmp_path / "m"))
    fake.push(MR, NEXT_SHA)  # a newer push landed while this plan ran
    run = job.run()
    assert run.exit_code == 0, run.log
    assert "not posting: the merge request moved on to bcd23456" in run.log
    assert fake.notes(MR) == []


def test_the_gitlab_api_refusing_the_token_fails_the_job_without_showing_it(
    fake: FakeGitLab, project: dict[str, str], tmp_path: Path
) -> None:
    wrong = {**project, "EGAIN_GITLAB_TOKEN": "glpat-Wr0ng-T0ken-Qz17"}
    _, run = plan_merge_request(tmp_path, fake, wrong, HEAD_SHA, write_manifests(tmp_path / "m"))
    assert run.exit_code == 1
    assert f"GitLab API: GET {fake.url}/projects/{PROJECT_ID}/merge_requests/{MR} answered 401 Unauthorized" in run.log
    assert_no_secret_values(run.log, extra=(GITLAB_TOKEN, "glpat-Wr0ng-T0ken-Qz17"))


def test_a_plan_with_more_deletes_than_allowed_is_posted_and_fails_the_job(
    fake: FakeGitLab, project: dict[str, str], tenant: Tenant, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    pruning = {**project, "EGAIN_PLAN_OPTIONS": "--prune --max-deletes 1"}
    job, run = plan_merge_request(tmp_path, fake, pruning, HEAD_SHA, write_manifests(tmp_path / "m", "version: 1\n"))
    (note,) = fake.notes(MR)
    assert "plan exit code 4" in run.log, run.log
    # The plan rendered in full with its refusal: the reviewer sees every delete that was refused.
    assert run.exit_code == 4
    assert note["body"].startswith((job.project_dir / "plan.md").read_text("utf-8"))
    assert "Refused: more deletes than --max-deletes allows" in note["body"]
    assert "ERROR: the plan deletes more than --max-deletes allows" in run.log
    assert fake.project.artifacts == {}, "a refused plan is never kept for the merge"
    assert sum(tenant.counts().values()) == 9


# The default branch, after a merge.


def test_merge_applies_the_reviewed_plan_and_the_tenant_then_matches(
    fake: FakeGitLab, project: dict[str, str], tenant: Tenant, tmp_path: Path
) -> None:
    manifests = write_manifests(tmp_path / "m")
    _, planned = plan_merge_request(tmp_path / "mr", fake, project, HEAD_SHA, manifests)
    assert planned.exit_code == 0, planned.log
    fake.merge(MR, MERGE_SHA)
    applied = apply_default_branch(tmp_path / "main", fake, project, manifests)
    assert applied.exit_code == 0, applied.log
    assert f"Applying the plan reviewed on !{MR}: https://gitlab.example.com/acme/egain-config/-/jobs/" in applied.log
    assert "9 created, 0 updated, 0 deleted, 0 failed, 0 skipped" in applied.log
    assert "no reviewed plan" not in applied.log
    assert tenant.names("accounts") == ["order-account"]
    downloads = [path for method, path in fake.calls() if path.endswith("/artifacts/plan.json")]
    assert len(downloads) == 1
    fake.open_merge_request(MR, NEXT_SHA)  # the next merge request, on the applied tenant
    _, again = plan_merge_request(tmp_path / "next", fake, project, NEXT_SHA, manifests)
    assert "plan exit code 0" in again.log, again.log
    assert_no_secret_values(
        planned.log, applied.log, again.log, *request_bodies(fake), *files_text(tmp_path), extra=(GITLAB_TOKEN,)
    )


def test_merge_refuses_a_plan_the_tenant_moved_away_from_and_changes_nothing(
    fake: FakeGitLab, project: dict[str, str], tenant: Tenant, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    manifests = write_manifests(tmp_path / "m", FULL_SETUP.replace("displayName: Web chat", "displayName: Web chat v2"))
    _, planned = plan_merge_request(tmp_path / "mr", fake, project, HEAD_SHA, manifests)
    assert "plan exit code 2" in planned.log, planned.log
    tenant.edit("channels", "custom.web", displayName="Edited by someone else")
    fake.merge(MR, MERGE_SHA)
    applied = apply_default_branch(tmp_path / "main", fake, project, manifests)
    assert applied.exit_code == 1
    assert 'channels "custom.web"' in applied.log
    assert "nothing was applied" in applied.log
    assert tenant.find("channels", "custom.web")["displayName"] == "Edited by someone else"


def no_reviewed_plan(case: str, fake: FakeGitLab, project: dict[str, str], tmp_path: Path, manifests: Path) -> None:
    """Merge request !7 at HEAD_SHA, merged as MERGE_SHA, left without a reviewed plan in one of four ways."""
    fake.push(MR, HEAD_SHA)
    if case == "failed":
        # An older pipeline passed, but the newest one (whose note the reviewer saw) did not.
        fake.finish_pipeline(MR, HEAD_SHA, "egain-plan", "success", {"plan.json": b"{}"})
        fake.finish_pipeline(MR, HEAD_SHA, "egain-plan", "failed", {})
    elif case == "running":
        fake.finish_pipeline(MR, HEAD_SHA, "egain-plan", "running", {})
    elif case == "expired":
        _, planned = plan_merge_request(tmp_path / "mr", fake, project, HEAD_SHA, manifests)
        assert planned.exit_code == 0, planned.log
        fake.expire_artifacts()
    fake.merge(MR, MERGE_SHA)


# What the error says is missing; \d+ a pipeline's id.
NO_PLAN_REASONS = {
    "failed": r"pipeline \d+ has no passed egain-plan job \(failed\)",
    "running": r"pipeline \d+ has no passed egain-plan job \(running\)",
    "expired": r"the plan of pipeline \d+ has expired",
    "never planned": r"it was never planned",
}


@pytest.mark.parametrize("case", NO_PLAN_REASONS)
def test_a_merge_request_merged_without_a_reviewed_plan_applies_nothing_and_says_how_to_proceed(
    case: str, fake: FakeGitLab, project: dict[str, str], tenant: Tenant, tmp_path: Path
) -> None:
    manifests = write_manifests(tmp_path / "m")
    no_reviewed_plan(case, fake, project, tmp_path, manifests)
    applied = apply_default_branch(tmp_path / "main", fake, project, manifests)
    assert applied.exit_code == 1, applied.log
    named = re.escape(f"ERROR: merge request !{MR} was merged without a reviewed plan of its final commit abc12345")
    assert re.search(rf"{named} \({NO_PLAN_REASONS[case]}\), so nothing was applied", applied.log), applied.log
    assert "run a pipeline on main by hand (Build > Pipelines > Run pipeline)" in applied.log
    assert "Plan:" not in applied.log, "the tool never ran"
    assert sum(tenant.counts().values()) == 0
    assert_no_secret_values(applied.log, extra=(GITLAB_TOKEN,))


def test_a_direct_push_applies_nothing_unless_direct_pushes_are_allowed(
    fake: FakeGitLab, project: dict[str, str], tenant: Tenant, tmp_path: Path
) -> None:
    manifests = write_manifests(tmp_path / "m")
    refused = apply_default_branch(tmp_path / "refused", fake, project, manifests)
    assert refused.exit_code == 1
    assert "ERROR: def56789 was pushed to main without a merge request, so no plan of it was reviewed" in refused.log
    assert "set EGAIN_APPLY_DIRECT_PUSHES to true" in refused.log
    assert sum(tenant.counts().values()) == 0
    allowed = {**project, "EGAIN_APPLY_DIRECT_PUSHES": "true"}
    direct = apply_default_branch(tmp_path / "direct", fake, allowed, manifests)
    assert direct.exit_code == 0, direct.log
    assert "def56789 was pushed without a merge request and EGAIN_APPLY_DIRECT_PUSHES is true" in direct.log
    assert "Plan: 9 to create" in direct.log
    assert tenant.names("accounts") == ["order-account"]
    assert_no_secret_values(refused.log, direct.log, extra=(GITLAB_TOKEN,))


def test_a_pipeline_run_by_hand_plans_and_applies_afresh(
    fake: FakeGitLab, project: dict[str, str], tenant: Tenant, tmp_path: Path
) -> None:
    """The way out after a merge left without a reviewed plan: the manual pipeline looks no plan up."""
    manifests = write_manifests(tmp_path / "m")
    no_reviewed_plan("failed", fake, project, tmp_path, manifests)
    by_hand = apply_default_branch(tmp_path / "web", fake, project, manifests, source="web")
    assert by_hand.exit_code == 0, by_hand.log
    assert "a pipeline run by hand: planning and applying main at def56789 afresh" in by_hand.log
    assert "Plan: 9 to create" in by_hand.log
    assert sum(tenant.counts().values()) == 9
    assert not [path for _, path in fake.calls() if "/merge_requests" in path], "no plan is looked up"
    assert_no_secret_values(by_hand.log, extra=(GITLAB_TOKEN,))

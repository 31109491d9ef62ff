"""action.yml, the composite action: its steps run as a runner runs them (tests/workflow/harness.py),
the tool installed from the action's own checkout with no package index, against a served sandbox."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from egain_provision import __version__
from egain_provision.render.markdown import MARKER
from egain_provision.render.summary import MARKER as APPLY_MARKER
from egain_provision.sandbox.auth import DEFAULT_SCOPE
from egain_provision.sandbox.testing import ServedSandbox
from tests.support import FULL_SETUP, SECRET_ENV, Tenant, create_full_setup
from tests.workflow.conftest import Installed, run_install_step
from tests.workflow.harness import Runner, StepRun, action


@pytest.fixture
def job(sandbox: ServedSandbox, installed: Installed, tmp_path: Path) -> Runner:
    """A job whose only step is the action: a workflow written for the test, its env the sandbox."""
    workflow = {
        "env": {
            "EGAIN_API_URL": sandbox.base_url,
            "EGAIN_TOKEN_URL": sandbox.token_url,
            "EGAIN_CLIENT_ID": sandbox.client_id,
            "EGAIN_CLIENT_SECRET": sandbox.client_secret,
            "EGAIN_SCOPE": DEFAULT_SCOPE,
            **SECRET_ENV,
        },
        "jobs": {},
    }
    workflow_file = tmp_path / "workflow.yml"
    workflow_file.write_text(yaml.safe_dump(workflow), encoding="utf-8")
    runner = Runner(tmp_path / "job", {}, workflow_file, action_path=installed.action_path, venv=installed.venv)
    (runner.workspace / "manifests").mkdir()
    (runner.workspace / "manifests" / "setup.yaml").write_text(FULL_SETUP, encoding="utf-8")
    return runner


def use(runner: Runner, **inputs: str) -> StepRun:
    """One step `uses: <owner>/egain-provision@v1` with `inputs`."""
    step: Mapping[str, Any] = {
        "name": "egain-provision",
        "id": "step",
        "uses": "acme/egain-provision@v1",
        "with": inputs,
    }
    run = runner.run_step(step, {})
    assert run is not None
    return run


# Installing.


def test_the_action_installs_the_tool_from_its_own_checkout_with_no_package_index(installed: Installed) -> None:
    """pip ran with PIP_NO_INDEX and no configuration; the wheelhouse (PyPI's stand-in, for the
    dependencies) holds no egain-provision: the tool can only have come from the action's checkout."""
    assert not [wheel for wheel in installed.wheelhouse.iterdir() if wheel.name.startswith("egain_provision")]
    assert f"egain-provision {__version__} (Python" in installed.install.stdout
    python = installed.venv / "bin" / "python"
    script = "import importlib.metadata as m; print(m.distribution('egain-provision').read_text('direct_url.json'))"
    # Away from the checkout, whose egg-info (the editable install) would answer instead.
    found = subprocess.run(
        [str(python), "-I", "-c", script], cwd=installed.venv, capture_output=True, text=True, check=True
    )
    assert json.loads(found.stdout)["url"] == installed.action_path.as_uri()
    assert installed.github_path == [str(installed.venv / "bin")], "the tool is on PATH for the steps after it"


def test_a_second_use_in_the_same_job_reuses_the_install(installed: Installed, tmp_path: Path) -> None:
    runner = Runner(tmp_path, {}, None, action_path=installed.action_path, venv=installed.venv)
    again, github_path = run_install_step(runner, installed.wheelhouse)
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith(f"egain-provision {__version__}")
    assert "pip" not in again.output
    assert github_path == [str(runner.temp / "egain-provision" / "venv" / "bin")]


def test_a_version_that_is_not_a_release_is_refused_before_pip_runs(installed: Installed, tmp_path: Path) -> None:
    runner = Runner(tmp_path, {}, None, action_path=installed.action_path)
    pwned = tmp_path / "pwned"
    run, _ = run_install_step(runner, installed.wheelhouse, version=f"1.0$(touch {pwned})")
    assert run.exit_code == 1
    assert "::error title=egain-provision::version must be a release such as 0.2.0" in run.stdout
    assert not (runner.temp / "egain-provision").exists()
    assert not pwned.exists(), "the version is never shell code"


def test_every_input_reaches_the_scripts_through_the_environment_only() -> None:
    for step in action()["runs"]["steps"]:
        assert "${{" not in step["run"], f"{step['name']}: a ${{{{ }}}} expression in a shell script"
        assert step["shell"] == "bash"
    assert set(action()["outputs"]) == {"exitcode", "markdown", "plan-file"}


# The commands.


def test_plan_writes_the_markdown_and_the_plan_file_and_outputs_the_detailed_exit_code(
    job: Runner, tenant: Tenant
) -> None:
    run = use(job, command="plan", manifests="manifests")
    assert run.exit_code == 0, run.output
    assert run.outputs["exitcode"] == "2"
    markdown = Path(run.outputs["markdown"])
    assert markdown == job.temp / "egain-provision" / "plan.md", "outside the checkout"
    assert markdown.read_text("utf-8").startswith(MARKER + "\n")
    assert json.loads(Path(run.outputs["plan-file"]).read_text("utf-8"))["format_version"]
    assert "9 to create" in (job.temp / "step_summaries.md").read_text("utf-8"), "the run's summary page"
    assert sum(tenant.counts().values()) == 0


def test_plan_of_a_converged_tenant_outputs_0_and_apply_of_its_saved_plan_posts_a_summary(job: Runner) -> None:
    applied = use(job, command="apply", manifests="manifests")
    assert applied.outputs["exitcode"] == "0", applied.output
    summary = Path(applied.outputs["markdown"]).read_text("utf-8")
    assert summary.startswith(APPLY_MARKER + "\n")
    assert "**9 created**" in summary
    again = use(job, command="plan", manifests="manifests", **{"plan-file": str(job.temp / "again.json")})
    assert again.outputs["exitcode"] == "0"
    assert again.outputs["plan-file"] == str(job.temp / "again.json")
    nothing = use(job, command="apply", **{"plan-file": again.outputs["plan-file"]})
    assert nothing.exit_code == 0, nothing.output
    assert "nothing to apply" in Path(nothing.outputs["markdown"]).read_text("utf-8")


def test_apply_of_a_saved_plan_that_is_not_there_fails_without_touching_the_tenant(job: Runner, tenant: Tenant) -> None:
    run = use(job, command="apply", manifests="manifests", **{"plan-file": str(job.temp / "missing.json")})
    assert run.exit_code == 1
    assert "::error title=egain-provision::no saved plan at" in run.stdout
    assert sum(tenant.counts().values()) == 0


def test_validate_annotates_and_fails_with_its_exit_code(job: Runner) -> None:
    (job.workspace / "manifests" / "setup.yaml").write_text(FULL_SETUP.replace("type: oauth2", "type: oauth9"), "utf-8")
    run = use(job, command="validate", manifests="manifests")
    assert run.exit_code == 1
    assert "::error file=manifests/setup.yaml,line=" in run.stdout


def test_a_plan_error_fails_the_step_and_leaves_no_plan(job: Runner) -> None:
    job.env["EGAIN_CLIENT_SECRET"] = "not-the-secret"
    run = use(job, command="plan", manifests="manifests")
    assert run.exit_code == 1
    assert run.outputs == {"exitcode": "1"}
    assert not (job.temp / "egain-provision" / "plan.json").exists()


def test_inputs_are_arguments_never_shell_code(job: Runner) -> None:
    """Every input carries a command substitution. Were one pasted into a `run:` as a ${{ }}, the runner
    would hand it to bash as text, as GitHub does, and the substitution would create the file."""
    pwned = job.workspace / "pwned"
    touch = f"$(touch {pwned})"
    plan = use(
        job,
        command="plan",
        manifests=f"manifests\n{touch}",
        args=f"--parallelism 2 `touch {pwned}`",
        **{"fail-on-refusal": touch},
    )
    assert plan.exit_code != 0
    assert "touch" in plan.stderr, "click names the stray argument"
    apply = use(job, command="apply", **{"plan-file": f"{touch}.json"})
    assert apply.exit_code == 1
    assert f"no saved plan at {touch}.json" in apply.stdout
    unknown = use(job, command=f"plan{touch}", manifests="manifests")
    assert unknown.exit_code == 1
    assert not pwned.exists()


def test_several_manifest_paths_one_per_line_and_extra_arguments(job: Runner) -> None:
    text = FULL_SETUP
    head, tail = text[: text.index("\nclientApplications:") + 1], text[text.index("\nclientApplications:") + 1 :]
    (job.workspace / "manifests" / "setup.yaml").unlink()
    (job.workspace / "manifests" / "auth.yaml").write_text(head, "utf-8")
    (job.workspace / "rest").mkdir()
    (job.workspace / "rest" / "rest.yaml").write_text("version: 1\n" + tail, "utf-8")
    run = use(job, command="plan", manifests="  manifests\n\n  rest/rest.yaml  \n", args="--kind authentications")
    assert run.exit_code == 0, run.output
    markdown = Path(run.outputs["markdown"]).read_text("utf-8")
    assert "2 to create" in markdown


def test_an_unknown_command_is_refused(job: Runner) -> None:
    run = use(job, command="destroy", manifests="manifests")
    assert run.exit_code == 1
    assert "command must be validate, plan, check or apply, not 'destroy'" in run.stdout


def test_a_plan_refused_for_too_many_deletes_outputs_4_and_fails_unless_told_not_to(
    job: Runner, tenant: Tenant
) -> None:
    create_full_setup(tenant)
    (job.workspace / "manifests" / "setup.yaml").write_text(FULL_SETUP[: FULL_SETUP.index("\nclientApplications:") + 1])
    refused = use(job, command="plan", manifests="manifests", args="--prune --max-deletes 2")
    assert refused.exit_code == 4
    assert refused.outputs["exitcode"] == "4"
    assert "order-account" in Path(refused.outputs["markdown"]).read_text("utf-8")
    posted_first = use(
        job, command="plan", manifests="manifests", args="--prune --max-deletes 2", **{"fail-on-refusal": "false"}
    )
    assert posted_first.exit_code == 0
    assert posted_first.outputs["exitcode"] == "4"
    assert "::warning title=egain-provision::the plan deletes more than --max-deletes allows" in posted_first.stdout

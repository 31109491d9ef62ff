"""A small GitHub Actions runner for the example workflows and the composite action (action.yml).

A job's steps run in order, as Actions runs them: each `run:` under `bash -eo pipefail` with
`CI=true` and no stdin, with its `env:` and `with:` expressions evaluated (secrets, vars, env,
runner.temp, steps.*.outputs, inputs), its `if:` honoured, GITHUB_OUTPUT, GITHUB_PATH and
GITHUB_STEP_SUMMARY kept. A `${{ }}` inside a `run:` script is replaced by its value as text before
bash sees the script, as Actions does: a value pasted there runs as shell code here too. A step
that uses this repository's action (`<owner>/egain-provision@...`) runs action.yml's own steps the
same way. Any other action is played by the test (a `Play`), or is a no-op; the github-script
steps run under node against a recording fake of the GitHub API.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import tomllib
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.workflow.ci_support import BASH, MERGE_SHA, REPO, tool_path

ACTION_FILE = REPO / "action.yml"
GITHUB_SCRIPT = Path(__file__).with_name("github_script.js")
# How a workflow names this repository's action once adapted: <owner>/egain-provision@<ref>.
THIS_ACTION = re.compile(r"^[^/]+/egain-provision@\S+$")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
COMPARISON = re.compile(r"^([\w.-]+)\s*(==|!=)\s*'([^']*)'$")


@dataclass
class StepRun:
    """One step as the runner executed it; `outputs` are what it wrote to GITHUB_OUTPUT."""

    name: str
    exit_code: int
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def load_yaml(path: Path) -> dict[str, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(path.read_text("utf-8"))
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean true; Actions reads it as "on".
    if True in loaded:
        loaded["on"] = loaded.pop(True)
    return loaded


def action() -> dict[str, Any]:
    return load_yaml(ACTION_FILE)


def evaluate(value: Any, lookup: Callable[[str], str]) -> str:
    """A YAML scalar as Actions passes it (`false` is "false") with each `${{ name.path }}` replaced;
    any other expression fails the test loudly."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return EXPRESSION.sub(lambda match: lookup(match[1]), text)


def condition(expression: str, lookup: Callable[[str], str], failed: bool) -> bool:
    """An `if:` as Actions reads it: terms joined by &&; without a status function, success() is implied."""
    body = EXPRESSION.sub(lambda match: match[1], expression.strip())
    result, status = True, False
    for term in (part.strip() for part in body.split("&&")):
        if term in ("!cancelled()", "always()"):
            status = True
        elif term in ("success()", "failure()"):
            status = True
            result = result and failed == (term == "failure()")
        else:
            match = COMPARISON.match(term)
            assert match, f"an if: this runner cannot evaluate: {expression}"
            result = result and (lookup(match[1]) == match[3]) == (match[2] == "==")
    return result and (status or not failed)


def read_outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text("utf-8").splitlines() if "=" in line)


Play = Callable[["Runner", Mapping[str, Any]], StepRun | None]


class Runner:
    """A fresh GitHub-hosted runner for one job of `workflow_file` (none: a job of no workflow, for
    the action's own steps): a workspace holding the checkout, RUNNER_TEMP, and the environment the
    workflow declares, its secrets read from `store`. With `venv`, the action is already installed."""

    def __init__(
        self,
        root: Path,
        store: Mapping[str, str],
        workflow_file: Path | None,
        *,
        action_path: Path,
        venv: Path | None = None,
    ) -> None:
        self.workspace = root / "workspace"
        self.temp = root / "temp"
        self.workspace.mkdir(parents=True)
        self.temp.mkdir()
        if venv is not None:
            # The action installed once for the session: its install step finds it and reuses it.
            (self.temp / "egain-provision").mkdir()
            (self.temp / "egain-provision" / "venv").symlink_to(venv, target_is_directory=True)
        self.store = store
        self.workflow = load_yaml(workflow_file) if workflow_file else {"env": {}, "jobs": {}}
        self.action_path = action_path
        self.steps: dict[str, dict[str, str]] = {}
        # The `github` context: a push of the merge commit unless a test says otherwise.
        self.github = {"event_name": "push", "sha": MERGE_SHA}
        self.path = tool_path()
        self.env = {
            "HOME": str(root),
            "LANG": "C.UTF-8",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "RUNNER_TEMP": str(self.temp),
        }
        self.env.update({name: evaluate(value, self.lookup) for name, value in self.workflow["env"].items()})

    def lookup(self, expression: str, inputs: Mapping[str, str] | None = None) -> str:
        """The value of one `${{ }}` expression this runner knows; a missing step output or secret is ""."""
        parts = expression.split(".")
        if parts[0] in ("secrets", "vars") and len(parts) == 2:
            return self.store.get(parts[1], "")
        if parts[0] == "env" and len(parts) == 2:
            return self.env.get(parts[1], "")
        if expression == "runner.temp":
            return str(self.temp)
        if parts[0] == "github" and len(parts) == 2 and parts[1] in self.github:
            return self.github[parts[1]]
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return self.steps.get(parts[1], {}).get(parts[3], "")
        if parts[0] == "inputs" and len(parts) == 2 and inputs is not None:
            return inputs[parts[1]]
        raise AssertionError(f"an expression this runner cannot evaluate: {expression}")

    def run_job(self, job: str, plays: Mapping[str, Play] | None = None) -> list[StepRun]:
        """The job's steps in order; `plays` answer for other actions, by step id or action name."""
        runs: list[StepRun] = []
        failed = False
        for step in self.workflow["jobs"][job]["steps"]:
            if not condition(str(step.get("if", "success()")), self.lookup, failed):
                continue
            run = self.run_step(step, plays or {})
            if run is None:
                continue
            runs.append(run)
            failed = failed or run.exit_code != 0
        return runs

    def run_step(self, step: Mapping[str, Any], plays: Mapping[str, Play]) -> StepRun | None:
        uses = str(step.get("uses", ""))
        env = {name: evaluate(value, self.lookup) for name, value in step.get("env", {}).items()}
        run: StepRun | None
        if "run" in step:
            run = self.execute(step.get("name", ""), evaluate(step["run"], self.lookup), env)
        elif THIS_ACTION.match(uses):
            run = self.run_action(step, env)
        else:
            play = plays.get(step.get("id", "")) or plays.get(uses.split("@")[0])
            run = play(self, step) if play else None
        # A failed `run:` step keeps what it wrote to GITHUB_OUTPUT; a failed action is not relied on to.
        if run is not None and "id" in step and (run.exit_code == 0 or "run" in step):
            self.steps[step["id"]] = run.outputs
        return run

    def run_action(self, step: Mapping[str, Any], env: Mapping[str, str]) -> StepRun:
        """This repository's composite action: action.yml's steps, with the step's `with:` as inputs."""
        declared = action()
        given = {name: evaluate(value, self.lookup) for name, value in step.get("with", {}).items()}
        assert set(given) <= set(declared["inputs"]), f"unknown inputs {set(given) - set(declared['inputs'])}"
        inputs = {name: str(spec.get("default", "")) for name, spec in declared["inputs"].items()} | given
        inner: dict[str, dict[str, str]] = {}

        def lookup(expression: str) -> str:
            parts = expression.split(".")
            if parts[0] == "steps" and len(parts) == 4:
                return inner.get(parts[1], {}).get(parts[3], "")
            return self.lookup(expression, inputs)

        stdout = stderr = ""
        exit_code = 0
        for inner_step in declared["runs"]["steps"]:
            inner_env = {**env, **{n: evaluate(v, lookup) for n, v in inner_step.get("env", {}).items()}}
            inner_env["GITHUB_ACTION_PATH"] = str(self.action_path)
            run = self.execute(evaluate(inner_step["name"], lookup), evaluate(inner_step["run"], lookup), inner_env)
            inner[inner_step.get("id", "")] = run.outputs
            stdout, stderr = stdout + run.stdout, stderr + run.stderr
            if run.exit_code != 0:
                exit_code = run.exit_code
                break
        outputs = {name: evaluate(spec["value"], lookup) for name, spec in declared["outputs"].items()}
        return StepRun(step.get("name", ""), exit_code, stdout, stderr, {k: v for k, v in outputs.items() if v})

    def execute(self, name: str, script: str, env: Mapping[str, str], timeout: int = 120) -> StepRun:
        """One `run:` script, its expressions already replaced, under bash as the runner runs it."""
        files = {key: self.temp / f"github_{key.lower()}" for key in ("OUTPUT", "PATH", "STEP_SUMMARY")}
        for path in files.values():
            path.write_text("", encoding="utf-8")
        (self.temp / "step.sh").write_text(script, encoding="utf-8")
        completed = subprocess.run(
            [*BASH, str(self.temp / "step.sh")],
            cwd=self.workspace,
            env={
                **self.env,
                "GITHUB_EVENT_NAME": self.github["event_name"],
                "GITHUB_SHA": self.github["sha"],
                **env,
                "PATH": os.pathsep.join(self.path),
                **{f"GITHUB_{key}": str(path) for key, path in files.items()},
            },
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        # Each line of GITHUB_PATH goes before PATH for the steps after this one.
        self.path[:0] = reversed(files["PATH"].read_text("utf-8").split())
        summary = files["STEP_SUMMARY"].read_text("utf-8")
        with (self.temp / "step_summaries.md").open("a", encoding="utf-8") as summaries:
            summaries.write(summary)
        return StepRun(name, completed.returncode, completed.stdout, completed.stderr, read_outputs(files["OUTPUT"]))


def run_github_script(
    step: Mapping[str, Any],
    context: Mapping[str, Any],
    responses: Mapping[str, Any],
    *,
    cwd: Path,
    env: Mapping[str, str],
) -> dict[str, Any]:
    """A github-script step's script under node in `cwd`, with `env`; its calls, outputs and notices."""
    assert str(step["uses"]).startswith("actions/github-script@")
    name = step.get("id", "script")
    script = cwd / f"{name}.js"
    script.write_text(step["with"]["script"], encoding="utf-8")
    scenario = cwd / f"{name}.json"
    scenario.write_text(json.dumps({"context": context, "responses": responses}), encoding="utf-8")
    completed = subprocess.run(
        ["node", str(GITHUB_SCRIPT), str(script), str(scenario)],
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", ""), **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert completed.returncode == 0, completed.stderr
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def script_env(runner: Runner, step: Mapping[str, Any]) -> dict[str, str]:
    """A github-script step's environment: the job's, then its own `env:`, evaluated where the runner stands."""
    return {**runner.env, **{name: evaluate(value, runner.lookup) for name, value in step.get("env", {}).items()}}


# Installing the action as a runner would, with no package index at all.


def copy_checkout(into: Path) -> Path:
    """The repository's files (tracked, or new and not ignored), as `uses: <owner>/egain-provision@ref`
    checks the action out: symbolic links stay links (egain_provision/data is one)."""
    command = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    listed = subprocess.run(command, cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode("utf-8").split("\0")):
        source, target = REPO / name, into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        elif source.is_file():
            shutil.copy2(source, target)
    return into


def build_wheelhouse(into: Path) -> Path:
    """Wheels of egain-provision's dependencies and its build backend, repacked from the installed
    distributions this test session runs with: a stand-in for PyPI that holds no egain-provision."""
    into.mkdir(parents=True)
    backend = [Requirement(text) for text in load_toml_build_requires()]
    for dist in dependency_closure(importlib.metadata.distribution("egain-provision").requires or [], backend):
        repack(dist, into)
    return into


def load_toml_build_requires() -> list[str]:
    with (REPO / "pyproject.toml").open("rb") as file:
        requires: list[str] = tomllib.load(file)["build-system"]["requires"]
    return requires


def dependency_closure(requires: list[str], extra: list[Requirement]) -> list[importlib.metadata.Distribution]:
    """The installed distributions `requires` (and `extra`) need, transitively, markers evaluated."""
    found: dict[str, importlib.metadata.Distribution] = {}
    pending = [Requirement(text) for text in requires] + extra
    while pending:
        requirement = pending.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(requirement.name)
        if name in found:
            continue
        found[name] = importlib.metadata.distribution(name)
        pending += [Requirement(text) for text in found[name].requires or []]
    return list(found.values())


def repack(dist: importlib.metadata.Distribution, into: Path) -> Path:
    """One installed distribution as the wheel it was installed from: its files, its metadata, a new RECORD."""
    info = next(Path(str(f)).parts[0] for f in dist.files or [] if str(f).endswith(".dist-info/METADATA"))
    project, version = info.removesuffix(".dist-info").rsplit("-", 1)
    wheel_file = (dist.read_text("WHEEL") or "").splitlines()
    tags = [line.split(":", 1)[1].strip().split("-") for line in wheel_file if line.startswith("Tag:")]
    tag = "-".join(".".join(sorted({t[i] for t in tags})) for i in range(3))
    wheel = into / f"{project}-{version}-{tag}.whl"
    skipped = {f"{info}/{name}" for name in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")}
    record = []
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in dist.files or []:
            name = str(file)
            # Scripts outside site-packages are made again from entry_points.txt; bytecode is compiled again.
            if name.startswith("..") or "__pycache__" in name or name in skipped:
                continue
            data = Path(str(dist.locate_file(file))).read_bytes()
            archive.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{name},sha256={digest},{len(data)}")
        record.append(f"{info}/RECORD,,")
        archive.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return wheel

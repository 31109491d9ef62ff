"""`.pre-commit-hooks.yaml`: loaded by pre-commit's own loader, its hook run on a commit's files as
pre-commit runs it, and `pre-commit try-repo` end to end where pip can install the hook's env."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pre_commit.clientlib import load_manifest
from pre_commit.commands.run import Classifier, filter_by_include_exclude

from tests.support import FULL_SETUP

REPO = Path(__file__).resolve().parents[2]
HOOKS_FILE = REPO / ".pre-commit-hooks.yaml"
HOOK_ID = "egain-provision-validate"
# What pip says when it cannot reach an index: then try-repo cannot build the hook's environment.
OFFLINE = re.compile(
    r"NewConnectionError|Temporary failure in name resolution|Network is unreachable|"
    r"No matching distribution found|ProxyError|Max retries exceeded"
)

WORKFLOW = """\
name: manifests
on: [push]
jobs:
  check: {runs-on: ubuntu-latest, steps: [{run: egain-provision validate manifests}]}
"""
CONFIG = f"""\
repos:
  - repo: https://example.com/egain-provision
    rev: v0.1.0
    hooks: [{{id: {HOOK_ID}}}]
"""
BROKEN = FULL_SETUP.replace("callback: https://web.example.com/egain/callback", "callbak: https://web.example.com/x")


def hook(hook_id: str = HOOK_ID) -> dict[str, Any]:
    hooks = load_manifest(str(HOOKS_FILE))
    (found,) = [item for item in hooks if item["id"] == hook_id]
    found_hook: dict[str, Any] = found
    return found_hook


def commit_files(root: Path, broken: bool = False) -> list[str]:
    """A repository's changed files: manifests, a CI file, a variable file, pre-commit's config, a README."""
    (root / "manifests").mkdir(parents=True)
    files = {
        "manifests/setup.yaml": BROKEN if broken else FULL_SETUP,
        "manifests/staging.vars.yaml": "ENV: staging\nCALLBACK_HOST: staging.example.com\n",
        ".github/workflows/manifests.yml": WORKFLOW,
        ".pre-commit-config.yaml": CONFIG,
        "README.md": "# manifests\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return sorted(files)


def run_hook_as_pre_commit(
    root: Path, filenames: list[str], hook_id: str = HOOK_ID
) -> tuple[list[str], subprocess.CompletedProcess[str]]:
    """The files pre-commit hands the hook, and the hook's run: `entry + args + files` in the repository.

    The caller runs this in `root` (pre-commit's classifier looks the names up from there)."""
    spec = hook(hook_id)
    classifier = Classifier(filenames)
    names = filter_by_include_exclude(classifier.filenames, spec["files"], spec["exclude"])
    selected = list(classifier.by_types(names, spec["types"], spec["types_or"], spec["exclude_types"]))
    command = [*shlex.split(spec["entry"]), *spec["args"], *selected]
    # A developer's shell: the tool on PATH, none of the manifests' secrets exported.
    env = {key: value for key, value in os.environ.items() if not key.startswith("EGAIN_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    completed = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=60, check=False)
    return selected, completed


def test_the_hooks_file_loads_with_pre_commits_own_loader() -> None:
    spec = hook()
    assert spec["language"] == "python"
    assert shlex.split(spec["entry"])[:2] == ["egain-provision", "validate"]
    assert spec["types"] == ["yaml"]
    assert spec["pass_filenames"] is True


def test_the_hook_passes_a_commit_of_manifests_and_skips_other_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    selected, completed = run_hook_as_pre_commit(tmp_path, commit_files(tmp_path))
    assert "README.md" not in selected
    assert set(selected) == {
        ".github/workflows/manifests.yml",
        ".pre-commit-config.yaml",
        "manifests/setup.yaml",
        "manifests/staging.vars.yaml",
    }
    assert completed.returncode == 0, completed.stdout + completed.stderr
    for other in (".github/workflows/manifests.yml", ".pre-commit-config.yaml", "manifests/staging.vars.yaml"):
        assert f"{other}: skipped: not a manifest" in completed.stderr
    # The secrets are not exported: a warning each, and the commit goes through.
    assert "warning: environment variable EGAIN_VAR_BOT_TOKEN_PAYLOAD is not set" in completed.stdout
    assert "valid: 9 objects in 1 file" in completed.stdout


def test_the_hook_fails_a_commit_with_a_broken_manifest_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _, completed = run_hook_as_pre_commit(tmp_path, commit_files(tmp_path, broken=True))
    assert completed.returncode == 1
    assert re.search(r"^manifests/setup\.yaml:\d+:\d+: error: unknown field 'callbak'", completed.stdout, re.M)


def test_the_fmt_hook_rewrites_a_manifest_and_leaves_other_yaml_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    files = commit_files(tmp_path)
    manifest = tmp_path / "manifests/setup.yaml"
    compact = "".join(line[2:] if line.startswith("  ") else line for line in FULL_SETUP.splitlines(True))
    manifest.write_text(compact + "# end\n", encoding="utf-8")
    workflow = (tmp_path / ".github/workflows/manifests.yml").read_text(encoding="utf-8")
    _, completed = run_hook_as_pre_commit(tmp_path, files, "egain-provision-fmt")
    assert completed.returncode == 0, completed.stderr
    assert "reformatted manifests/setup.yaml" in completed.stderr
    assert manifest.read_text(encoding="utf-8") == FULL_SETUP + "# end\n"
    assert (tmp_path / ".github/workflows/manifests.yml").read_text(encoding="utf-8") == workflow


def git(root: Path, *args: str) -> None:
    identity = ["-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", *identity, *args], cwd=root, check=True, capture_output=True, timeout=60)


def try_repo(root: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """`pre-commit try-repo` of this checkout (HEAD and its uncommitted changes) on `root`'s files."""
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), HOOK_ID, "--all-files", "--color", "never"]
    env = {key: value for key, value in os.environ.items() if not key.startswith("EGAIN_")}
    env.update(PRE_COMMIT_HOME=str(home), PIP_DISABLE_PIP_VERSION_CHECK="1")
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_pre_commit_try_repo_installs_the_hook_and_runs_it(tmp_path: Path) -> None:
    root = tmp_path / "config-repo"
    root.mkdir()
    git(root, "init", "-q")
    commit_files(root)
    git(root, "add", "-A")
    passed = try_repo(root, tmp_path / "pre-commit-home")
    log = tmp_path / "pre-commit-home" / "pre-commit.log"
    details = passed.stdout + passed.stderr + (log.read_text("utf-8", errors="replace") if log.exists() else "")
    if passed.returncode == 3 and OFFLINE.search(details):
        pytest.skip("pre-commit could not pip-install the hook's environment (no package index reachable)")
    assert passed.returncode == 0, details
    assert re.search(r"^egain-provision validate\.+Passed$", passed.stdout, re.M), passed.stdout
    (root / "manifests" / "setup.yaml").write_text(BROKEN, encoding="utf-8")
    failed = try_repo(root, tmp_path / "pre-commit-home")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert re.search(r"^egain-provision validate\.+Failed$", failed.stdout, re.M)
    assert "manifests/setup.yaml:" in failed.stdout
    assert "unknown field 'callbak'" in failed.stdout

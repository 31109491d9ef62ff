"""The distribution as a user gets it: the wheel and sdist `python -m build` makes, their contents, and
the wheel installed into a fresh virtual environment outside the checkout, run from a folder of its own.

The build runs without isolation (this environment's setuptools, no index needed). The fresh
environment takes the wheel alone (`--no-deps --no-index`) and finds the dependencies in the dev
environment through a .pth line, so the test needs no network: the installed wheel, not the
checkout, answers every command (checked by where `egain_provision` is imported from).
"""

from __future__ import annotations

import email
import json
import os
import site
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from egain_provision import __version__

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = ("manifest", "plan")
PAYLOAD = '{"clientId": "wheel", "clientSecret": "wh33l-s3cret-Pq55"}'


@dataclass(frozen=True)
class Dist:
    wheel: Path
    sdist: Path


@dataclass(frozen=True)
class Installed:
    """A virtual environment holding only the wheel, and an empty folder to run it in."""

    venv: Path
    workdir: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def run(self, *args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """`egain-provision ARGS` from the environment's bin, in `workdir`, with a bare environment."""
        base = {"PATH": f"{self.venv / 'bin'}{os.pathsep}/usr/bin:/bin", "HOME": str(self.workdir), "LANG": "C.UTF-8"}
        return subprocess.run(
            [str(self.venv / "bin" / "egain-provision"), *args],
            cwd=self.workdir,
            env={**base, **(env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def run(command: list[str], cwd: Path) -> str:
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, f"{command}:\n{completed.stdout}\n{completed.stderr}"
    return completed.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """`python -m build` of the checkout: the sdist, then the wheel built from that sdist."""
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)], cwd=REPO)
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return Dist(wheel, sdist)


@pytest.fixture(scope="module")
def installed(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("installed")
    venv = root / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=root)
    purelib = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    # Appended after the environment's own site-packages: the dependencies, never a second egain_provision
    # (the dev install's editable hook is a .pth of that folder, which a .pth line does not run).
    (Path(purelib) / "dev-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "--disable-pip-version-check"]
    run([*pip, "install", "--quiet", "--no-deps", "--no-index", str(dist.wheel)], cwd=root)
    workdir = root / "work"
    workdir.mkdir()
    return Installed(venv, workdir)


def test_the_wheel_ships_the_schemas_the_license_and_the_console_script(dist: Dist) -> None:
    with zipfile.ZipFile(dist.wheel) as wheel:
        names = set(wheel.namelist())
        info = f"egain_provision-{__version__}.dist-info"
        for which in SCHEMAS:
            # egain_provision/data is a symlink to ../schemas in the checkout: the wheel holds the files.
            shipped = wheel.read(f"egain_provision/data/{which}.schema.json")
            assert shipped == (REPO / "schemas" / f"{which}.schema.json").read_bytes()
        assert "egain_provision/py.typed" in names
        assert wheel.read(f"{info}/licenses/LICENSE") == (REPO / "LICENSE").read_bytes()
        assert "egain-provision = egain_provision.cli:main" in wheel.read(f"{info}/entry_points.txt").decode()
        metadata = email.message_from_bytes(wheel.read(f"{info}/METADATA"))
    assert not [name for name in names if name.startswith(("tests/", "benchmarks/", "tools/", "examples/"))]
    assert metadata["Name"] == "egain-provision"
    assert metadata["Version"] == __version__
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata["Requires-Python"] == ">=3.11"
    assert "click>=8.1" in metadata.get_all("Requires-Dist", [])


def test_the_sdist_holds_what_builds_and_tests_the_tool(dist: Dist) -> None:
    with tarfile.open(dist.sdist) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    expected = {
        "LICENSE",
        "README.md",
        "pyproject.toml",
        "Makefile",
        "Dockerfile",
        ".dockerignore",
        ".pre-commit-hooks.yaml",
        "schemas/manifest.schema.json",
        "egain_provision/data/manifest.schema.json",
        "tests/support.py",
        "tests/packaging/test_distribution.py",
        "examples/byoc/10-authentications.yaml",
        "examples/ci/gitlab-ci.yml",
    }
    assert expected <= names, sorted(expected - names)
    assert any(name.startswith("schemas/fragments/") for name in names)
    assert not [name for name in names if "__pycache__" in name or name.startswith((".venv/", ".egain/", ".git/"))]


def test_twine_accepts_both_distributions(dist: Dist) -> None:
    output = run([sys.executable, "-m", "twine", "check", "--strict", str(dist.wheel), str(dist.sdist)], cwd=REPO)
    assert output.count("PASSED") == 2, output


def test_the_installed_wheel_runs_from_its_own_environment(installed: Installed) -> None:
    where = subprocess.run(
        [
            str(installed.python),
            "-c",
            "import egain_provision, egain_provision.schemas as s; "
            "print(egain_provision.__file__); print(s.resources.files('egain_provision').joinpath('data'))",
        ],
        cwd=installed.workdir,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert all(Path(path).is_relative_to(installed.venv) for path in where), where
    assert not Path(where[1]).is_symlink(), "the installed data folder is a copy, not the checkout's link"
    version = installed.run("--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith(f"egain-provision {__version__} (Python ")


def test_the_installed_wheel_validates_and_plans_the_example_on_its_sandbox(installed: Installed) -> None:
    examples = installed.workdir / "examples"
    subprocess.run(["cp", "-R", str(REPO / "examples" / "byoc"), str(examples)], check=True, timeout=60)
    env = {"EGAIN_VAR_BOT_TOKEN_PAYLOAD": PAYLOAD}
    validate = installed.run("validate", "examples", env=env)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert validate.stdout.startswith("valid: ")
    plan = installed.run("plan", "--target", "sandbox", "--format", "json", "examples", env=env)
    assert plan.returncode == 0, plan.stderr
    planned = json.loads(plan.stdout)
    assert planned["summary"]["create"] > 0
    assert (installed.workdir / ".egain" / "sandbox.db").is_file()
    schema = installed.run("schema", "manifest")
    assert json.loads(schema.stdout) == json.loads((REPO / "schemas" / "manifest.schema.json").read_text("utf-8"))
    assert "wh33l-s3cret-Pq55" not in validate.stdout + validate.stderr + plan.stdout + plan.stderr

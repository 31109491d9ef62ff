"""The Dockerfile: its facts checked on every run (slim base, the wheel installed, a non-root user, the
tool as entrypoint), and the image built and run wherever a Docker daemon answers."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from egain_provision import __version__

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
PAYLOAD = '{"clientId": "image", "clientSecret": "1mage-s3cret-Rt22"}'


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined, comments dropped."""
    joined = DOCKERFILE.read_text("utf-8").replace("\\\n", " ")
    found = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, arguments = stripped.partition(" ")
            found.append((keyword.upper(), " ".join(arguments.split())))
    return found


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(index for index, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def test_the_image_is_a_slim_python_with_the_wheel_built_in_an_earlier_stage() -> None:
    stages = [arguments for keyword, arguments in instructions() if keyword == "FROM"]
    assert len(stages) == 2, stages
    assert stages[0].endswith(" AS build")
    assert stages[1].startswith("python:3.") and stages[1].endswith("-slim")
    build = instructions()[: [keyword for keyword, _ in instructions()].index("FROM", 1)]
    assert any(keyword == "RUN" and "-m build --wheel" in arguments for keyword, arguments in build)
    final = final_stage()
    assert ("COPY", "--from=build /dist/*.whl /tmp/") in final
    installs = [arguments for keyword, arguments in final if keyword == "RUN" and "pip install" in arguments]
    assert len(installs) == 1 and "/tmp/*.whl" in installs[0]
    # Nothing of the source tree reaches the final image but the wheel.
    assert not [
        arguments for keyword, arguments in final if keyword in ("COPY", "ADD") and "--from=build" not in arguments
    ]


def test_the_image_runs_the_tool_in_work_as_a_user_that_is_not_root() -> None:
    final = final_stage()
    users = [arguments for keyword, arguments in final if keyword == "USER"]
    assert users and users[-1] not in ("root", "0"), users
    # Numeric (hadolint DL3066): runAsNonRoot can check a uid, not a name.
    assert users[-1].isdigit(), users
    keywords = [keyword for keyword, _ in final]
    last_run = max(index for index, keyword in enumerate(keywords) if keyword == "RUN")
    assert keywords.index("USER") > last_run, "USER comes after the installs"
    assert ("WORKDIR", "/work") in final
    (entrypoint,) = [arguments for keyword, arguments in final if keyword == "ENTRYPOINT"]
    assert json.loads(entrypoint) == ["egain-provision"]


def test_the_build_context_leaves_out_local_state_and_secrets() -> None:
    ignored = {line.strip() for line in DOCKERIGNORE.read_text("utf-8").splitlines() if line.strip()}
    assert {".git", ".venv", ".egain", "**/.env", "**/*.db"} <= ignored


def docker_daemon() -> str | None:
    """Why the image cannot be built here, or None when `docker info` answers."""
    if shutil.which("docker") is None:
        return "no docker command"
    try:
        info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        return "`docker info` did not answer within 60 s"
    return None if info.returncode == 0 else "no Docker daemon (`docker info` failed)"


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    reason = docker_daemon()
    if reason is not None:
        pytest.skip(f"the image is built only where a Docker daemon runs: {reason}")
    tag = f"egain-provision-test:{uuid.uuid4().hex[:12]}"
    built = subprocess.run(["docker", "build", "-t", tag, str(REPO)], capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stdout + built.stderr
    yield tag
    subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True, timeout=120, check=False)


def docker_run(image: str, *args: str, volume: Path | None = None) -> subprocess.CompletedProcess[str]:
    mount = ["-v", f"{volume}:/work:ro"] if volume is not None else []
    command = ["docker", "run", "--rm", "-e", "EGAIN_VAR_BOT_TOKEN_PAYLOAD", *mount, image, *args]
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "EGAIN_VAR_BOT_TOKEN_PAYLOAD": PAYLOAD}
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_the_built_image_answers_as_a_user_that_is_not_root(image: str) -> None:
    version = docker_run(image, "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith(f"egain-provision {__version__} (Python 3.12")
    uid = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "id", image, "-u"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert uid.stdout.strip() not in ("", "0")


def test_the_built_image_validates_mounted_manifests(image: str, tmp_path: Path) -> None:
    shutil.copytree(REPO / "examples" / "byoc", tmp_path / "byoc")
    validate = docker_run(image, "validate", "byoc", volume=tmp_path)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert validate.stdout.startswith("valid: ")
    assert "1mage-s3cret-Rt22" not in validate.stdout + validate.stderr

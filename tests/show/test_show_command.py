"""`egain-provision show PLANFILE`: a saved plan rendered again, checked as apply checks it, offline."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from egain_provision.plan import digest_of
from tests.support import CliResult, run_cli, write_manifest


def sandbox_env(tmp_path: Path) -> dict[str, str | None]:
    return {"EGAIN_SANDBOX_DB": str(tmp_path / "sandbox.db")}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def offline_env() -> dict[str, str | None]:
    """No tenant reachable and no implicit sandbox: any attempt to read one fails."""
    return {"EGAIN_API_URL": f"http://127.0.0.1:{closed_port()}/conversation/conversationmgr/v3", "CI": "true"}


def saved_plan(tmp_path: Path, fmt: str) -> tuple[Path, CliResult]:
    """`plan --out` of the full setup against an empty embedded sandbox, printed in `fmt`."""
    manifest = write_manifest(tmp_path / "manifests")
    planfile = tmp_path / "plan.json"
    args = ["plan", "--target", "sandbox", str(manifest), "--out", str(planfile), "--format", fmt, "--no-color"]
    result = run_cli(args, env=sandbox_env(tmp_path))
    assert result.exit_code == 0, result.output
    return planfile, result


def show(planfile: Path, *args: str) -> CliResult:
    return run_cli(["show", str(planfile), *args], env=offline_env())


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "github"])
def test_show_renders_a_saved_plan_as_plan_printed_it(tmp_path: Path, fmt: str) -> None:
    planfile, planned = saved_plan(tmp_path, fmt)
    shown = show(planfile, "--format", fmt, "--no-color")
    assert shown.exit_code == 0, shown.output
    assert shown.stdout == planned.stdout
    assert "bot-first" in shown.stdout


def test_show_defaults_to_the_text_plan(tmp_path: Path) -> None:
    planfile, planned = saved_plan(tmp_path, "text")
    assert show(planfile).stdout == planned.stdout


def test_show_needs_no_tenant_even_under_ci(tmp_path: Path) -> None:
    planfile, _ = saved_plan(tmp_path, "text")
    plan = run_cli(["plan", str(write_manifest(tmp_path / "again"))], env=offline_env())
    assert plan.exit_code == 1  # the same environment leaves plan without a reachable tenant
    assert show(planfile).exit_code == 0


def test_show_refuses_an_edited_plan(tmp_path: Path) -> None:
    planfile, _ = saved_plan(tmp_path, "text")
    planfile.write_text(planfile.read_text("utf-8").replace('"bot-first"', '"bot-last"'), "utf-8")
    result = show(planfile)
    assert result.exit_code == 1
    assert f"{planfile}: the plan file was edited: its content does not match its digest" in result.stderr
    assert result.stdout == ""


def test_show_refuses_a_plan_of_a_newer_format(tmp_path: Path) -> None:
    planfile, _ = saved_plan(tmp_path, "text")
    document = json.loads(planfile.read_text("utf-8"))
    document["format_version"] = "2.0"
    document["digest"] = digest_of({key: value for key, value in document.items() if key != "digest"})
    planfile.write_text(json.dumps(document), "utf-8")
    result = show(planfile)
    assert result.exit_code == 1
    assert "plan format_version '2.0' is not supported" in result.stderr
    assert "create the plan again with this version of egain-provision" in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("version: 1\nauthentications: []\n", "not a plan file: not JSON"),
        ('{"format_version": "1.1"}', "not an egain-provision plan file"),
        ("[1, 2]", "not an egain-provision plan file"),
    ],
)
def test_show_refuses_a_file_that_is_not_a_plan(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "not-a-plan.json"
    path.write_text(content, "utf-8")
    result = show(path)
    assert result.exit_code == 1
    assert f"{path}: {message}" in result.stderr
    assert "plan --out FILE" in result.stderr


def test_show_of_a_missing_file_names_it(tmp_path: Path) -> None:
    result = show(tmp_path / "nope.json")
    assert result.exit_code == 1
    assert f"{tmp_path / 'nope.json'}: cannot read the plan file" in result.stderr

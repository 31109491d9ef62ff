"""What stops planning reaches machines as located diagnostics, as validate's findings do."""

from __future__ import annotations

import json
from pathlib import Path

from egain_provision.sandbox.testing import ServedSandbox
from tests.support import FULL_SETUP, run_cli, target_env, write_manifest

# The participant names an application nobody declares and the tenant does not hold:
# validate can only warn (it might exist), plan knows it does not.
DANGLING = FULL_SETUP.replace("application: order-bot-app\n    ", "application: order-bot-ap\n    ", 1)


def plan(sandbox: ServedSandbox, *args: str) -> tuple[int, str, str]:
    result = run_cli(["plan", "--target", sandbox.base_url, *args], env=target_env(sandbox))
    return result.exit_code, result.stdout, result.stderr


def dangling_line(manifest: Path) -> int:
    return 1 + manifest.read_text().splitlines().index("    application: order-bot-ap")


def test_plan_json_lists_an_unresolvable_reference_with_its_file_line_and_hint(
    clean_sandbox: ServedSandbox, tmp_path: Path
) -> None:
    assert DANGLING != FULL_SETUP
    manifest = write_manifest(tmp_path, DANGLING)
    code, out, err = plan(clean_sandbox, "--format", "json", str(manifest))
    assert code == 1
    [problem] = json.loads(out)
    assert problem["severity"] == "error"
    assert (problem["file"], problem["line"]) == (str(manifest), dangling_line(manifest))
    assert problem["path"] == "application"
    assert "neither declared in the manifests nor present in the tenant" in problem["message"]
    assert problem["hint"] == "did you mean 'order-bot-app'?"
    assert "prevent planning" in err


def test_plan_github_annotates_the_line_of_the_problem(clean_sandbox: ServedSandbox, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, DANGLING)
    code, out, _ = plan(clean_sandbox, "--format", "github", str(manifest))
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith(f"::error file={manifest},line={dangling_line(manifest)},col=")
    assert "did you mean 'order-bot-app'?" in first


def test_plan_json_reports_manifest_errors_as_diagnostics(clean_sandbox: ServedSandbox, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, FULL_SETUP.replace("maxTextLength: 800", "maxTextLength: many"))
    code, out, _ = plan(clean_sandbox, "--format", "json", str(manifest))
    assert code == 1
    problems = json.loads(out)
    assert problems and all(p["severity"] == "error" and p["file"] == str(manifest) for p in problems)
    assert any(p["path"].endswith("maxTextLength") for p in problems)


def test_plan_text_still_prints_problems_as_one_error(clean_sandbox: ServedSandbox, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, DANGLING)
    code, out, err = plan(clean_sandbox, str(manifest))
    assert code == 1
    assert out == ""
    assert f"{manifest}:{dangling_line(manifest)}:" in err


def test_a_literal_id_of_an_object_that_does_not_exist_is_a_plan_error(
    clean_sandbox: ServedSandbox, tmp_path: Path
) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    manifest = write_manifest(
        tmp_path, FULL_SETUP.replace("    application: order-bot-app\n", f'    application: {{id: "{missing}"}}\n', 1)
    )
    code, out, _ = plan(clean_sandbox, "--format", "json", str(manifest))
    assert code == 1
    [problem] = json.loads(out)
    assert problem["message"] == f"Client Application {{id: {missing}}} does not exist in the tenant"
    assert problem["path"] == "application" and problem["line"] > 1

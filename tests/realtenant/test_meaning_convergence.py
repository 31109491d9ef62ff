"""Against each normalising tenant and a tenant with numeric `modified`: apply, then plan, converges.

A normalisation the spec gives a meaning to (defaults at every depth, integers and booleans answered
as strings) plans as no change; one it does not (trimmed, lower-cased, `/` appended, reordered) is a
plan note with its fix and no update, so a second apply sends nothing. Never an endless diff.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from egain_provision.apply import Executor
from egain_provision.context import RunContext
from egain_provision.planner import PlanOptions
from egain_provision.sandbox.testing import ServedSandbox
from egain_provision.targets import url_target
from egain_provision.workflow import compute_plan, load_valid_manifests
from tests.realtenant.stand_ins import stand_in
from tests.support import FULL_SETUP, SECRET_ENV, Tenant, run_cli, target_env, write_manifest

# FULL_SETUP with a value for every class to act on: blanks, an upper-case e-mail, two ordered intents.
MANIFEST = (
    FULL_SETUP.replace("description: Order bot", 'description: " Order bot "')
    .replace(
        "callback: https://web.example.com/egain/callback\n        notificationEmail: ops@example.com",
        "callback: https://web.example.com/egain/callback\n        notificationEmail: Ops@Example.com",
    )
    .replace(
        "        - {value: order_status, displayValue: Order status}\n",
        "        - {value: order_status, displayValue: Order status}\n"
        "        - {value: order_return, displayValue: Order return}\n",
    )
)
# Per class: the normalisation the plan notes afterwards, and one field it names (None: the comparison
# absorbs it by the spec's meaning, no note).
EXPECTED_NOTES: dict[str, tuple[str, str] | None] = {
    "trim": ("description", "surrounding blanks"),
    "lowercase-email": ("roles[customer].notificationEmail", "case"),
    "trailing-slash": ("roles[customer].callback", "trailing slash"),
    "reverse-ordered": ("intents.intent", "order"),
    "nested-defaults": None,
    "integers-as-strings": None,
    "booleans-as-strings": None,
}


@pytest.fixture(autouse=True)
def _journal_in_the_test_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def cli(sandbox: ServedSandbox, *args: str) -> tuple[int, str]:
    result = run_cli([args[0], "--target", sandbox.base_url, *args[1:]], env={**target_env(sandbox), **SECRET_ENV})
    return result.exit_code, result.stdout + result.stderr


def plan_json(sandbox: ServedSandbox, manifest: str) -> tuple[int, str]:
    """`plan --detailed-exitcode --format json`: the exit code and stdout alone (stderr says what it spent)."""
    args = ["plan", "--target", sandbox.base_url, manifest, "--detailed-exitcode", "--format", "json"]
    result = run_cli(args, env={**target_env(sandbox), **SECRET_ENV})
    return result.exit_code, result.stdout if result.exit_code == 0 else result.stdout + result.stderr


def puts(sandbox: ServedSandbox) -> list[str]:
    return [r["path"] for r in sandbox.requests() if r["method"] == "PUT"]


@pytest.mark.parametrize("normalisation", sorted(EXPECTED_NOTES))
def test_apply_then_plan_converges_on_a_normalising_tenant(tmp_path: Path, normalisation: str) -> None:
    manifest = str(write_manifest(tmp_path, MANIFEST))
    with stand_in(tmp_path, f"normalising-{normalisation}") as sandbox:
        code, output = cli(sandbox, "apply", manifest, "--auto-approve")
        expected = EXPECTED_NOTES[normalisation]
        # Absorbed by meaning: done. Otherwise apply's re-read reports what is stored, with exit 5.
        assert code == (0 if expected is None else 5), output
        code, output = plan_json(sandbox, manifest)
        assert code == 0, output
        notes = {(note["path"], note["normalisation"]) for note in json.loads(output)["normalisations"]}
        if expected is None:
            assert notes == set()
        else:
            assert expected in notes and {found for _, found in notes} == {expected[1]}
        sandbox.clear_requests()
        code, output = cli(sandbox, "apply", manifest, "--auto-approve")
        assert code == 0, output
        assert puts(sandbox) == []  # nothing written again: the difference is no apply's to remove


def test_the_fix_a_note_gives_converges_without_a_note(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, MANIFEST)
    with stand_in(tmp_path, "normalising-lowercase-email") as sandbox:
        assert cli(sandbox, "apply", str(manifest), "--auto-approve")[0] == 5
        _, output = cli(sandbox, "plan", str(manifest), "--no-color")
        assert 'write `"ops@example.com"` in the manifest to converge' in output
        manifest.write_text(MANIFEST.replace("Ops@Example.com", "ops@example.com"), encoding="utf-8")
        code, output = cli(sandbox, "plan", str(manifest), "--detailed-exitcode", "--no-color")
        assert code == 0 and "Note:" not in output, output


def test_every_normalisation_at_once_converges(tmp_path: Path) -> None:
    manifest = str(write_manifest(tmp_path, MANIFEST))
    with stand_in(tmp_path, "normalising-all") as sandbox:
        assert cli(sandbox, "apply", manifest, "--auto-approve")[0] == 5
        code, output = plan_json(sandbox, manifest)
        assert code == 0, output
        found = {note["normalisation"] for note in json.loads(output)["normalisations"]}
        assert found == {"surrounding blanks", "case", "trailing slash", "order"}


def plan_a_change(sandbox: ServedSandbox, tmp_path: Path) -> str:
    assert cli(sandbox, "apply", str(write_manifest(tmp_path, FULL_SETUP)), "--auto-approve")[0] == 0
    saved = str(tmp_path / "plan.json")
    changed = FULL_SETUP.replace("displayName: Web chat", "displayName: Web chat v2")
    code, output = cli(sandbox, "plan", str(write_manifest(tmp_path, changed, name="changed.yaml")), "--out", saved)
    assert code == 0, output
    return saved


def test_a_numeric_modified_is_sent_back_as_read(tmp_path: Path) -> None:
    with stand_in(tmp_path, "numeric-modified") as sandbox:
        saved = plan_a_change(sandbox, tmp_path)
        [action] = json.loads(Path(saved).read_text())["actions"]
        assert isinstance(action["modified"], int)
        code, output = cli(sandbox, "apply", saved)
        assert code == 0, output
        [put] = [r for r in sandbox.requests() if r["method"] == "PUT"]
        assert "/channels/" in put["path"]
        tenant = Tenant(sandbox)
        try:
            assert tenant.find("channels", "custom.web")["displayName"] == "Web chat v2"
        finally:
            tenant.close()


def test_a_saved_plan_refuses_another_clients_change_on_a_numeric_modified_tenant(tmp_path: Path) -> None:
    with stand_in(tmp_path, "numeric-modified") as sandbox:
        saved = plan_a_change(sandbox, tmp_path)
        tenant = Tenant(sandbox)
        try:
            tenant.edit("channels", "custom.web", displayName="Edited by someone else")
            code, output = cli(sandbox, "apply", saved)
            assert code == 1, output
            assert 'channels "custom.web"' in output and "the tenant changed since this plan was made" in output
            assert tenant.find("channels", "custom.web")["displayName"] == "Edited by someone else"
        finally:
            tenant.close()


def test_an_update_carries_the_numeric_modified_so_the_tenant_refuses_a_stale_write(tmp_path: Path) -> None:
    # The plan is executed directly (no saved-plan check): the tenant's own check on `modified` must refuse it.
    with stand_in(tmp_path, "numeric-modified") as sandbox:
        assert cli(sandbox, "apply", str(write_manifest(tmp_path, FULL_SETUP)), "--auto-approve")[0] == 0
        changed = write_manifest(tmp_path, FULL_SETUP.replace("displayName: Web chat", "displayName: v2"), "c.yaml")
        manifest_set = load_valid_manifests([str(changed)], {}, environ=SECRET_ENV)
        target = url_target(sandbox.base_url, target_env(sandbox))
        tenant = Tenant(sandbox)

        async def plan_then_someone_edits() -> list[tuple[str, str]]:
            plan = await compute_plan(manifest_set, RunContext(target), PlanOptions())
            tenant.edit("channels", "custom.web", displayName="Edited by someone else")
            async with target.client() as client:
                result = await Executor(client, plan).run()
            return [(outcome.action.address, outcome.status) for outcome in result.outcomes]

        try:
            assert asyncio.run(plan_then_someone_edits()) == [("channels/custom.web", "conflict")]
            assert tenant.find("channels", "custom.web")["displayName"] == "Edited by someone else"
        finally:
            tenant.close()

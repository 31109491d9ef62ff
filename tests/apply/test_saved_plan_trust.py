"""A saved plan carries what it was made under, and apply and show check every action against it;
with EGAIN_PLAN_KEY it is signed, and only the key's holder can make a plan apply accepts.

Each forgery here recomputes the digest, as anyone who can edit the artifact can.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from egain_provision.plan import digest_of
from egain_provision.sandbox.testing import ServedSandbox
from tests.support import CliResult, Tenant, run_cli, target_env, write_manifest

KEY = "k" * 16 + "0123456789abcdef0123"
OTHER_KEY = "o" * 40
PASSWORD = "${env:EGAIN_VAR_AGENT_PASSWORD}"  # tests.support sets it for every run_cli


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cli(sandbox: ServedSandbox, command: str, *args: str, key: str | None = None) -> CliResult:
    env: dict[str, str | None] = {**target_env(sandbox), "EGAIN_PLAN_KEY": key}
    if command == "show":
        return run_cli([command, *args], env=env)
    return run_cli([command, "--target", sandbox.base_url, *args], env=env)


def team_manifest(tmp_path: Path, team: str, *names: str) -> str:
    items = "".join(
        f'  - {{name: {name}, type: basic, basicAuth: {{username: u, password: "{PASSWORD}"}}}}\n' for name in names
    )
    listed = f"authentications:\n{items}" if items else "authentications: []\n"
    text = f'version: 1\nscope:\n  "*": [team-{team}-*]\n{listed}'
    return str(write_manifest(tmp_path / team, text))


def basic(name: str) -> dict[str, Any]:
    return {"name": name, "type": "basic", "basicAuth": {"username": "u", "password": "p-1"}}


def forge(saved: Path, edit: Any) -> None:
    """Edit a saved plan and recompute its digest, as anyone who can write the file can."""
    document = json.loads(saved.read_text("utf-8"))
    edit(document)
    document.pop("digest")
    document["digest"] = digest_of({key: value for key, value in document.items() if key != "signature"})
    saved.write_text(json.dumps(document), "utf-8")


def team_b_plan_deleting_team_a(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path, key: str | None) -> Path:
    """Team b's prune plan, saved, its delete of team-b-old turned into one of team a's team-a-keep."""
    victim = tenant.find("authentications", "team-a-keep")
    saved = tmp_path / "plan.json"
    planned = cli(sandbox, "plan", team_manifest(tmp_path, "b"), "--prune", "--out", str(saved), key=key)
    assert planned.exit_code == 0, planned.output

    def retarget(document: dict[str, Any]) -> None:
        [delete] = document["actions"]
        delete.update(natural_key="team-a-keep", id=victim["id"], modified=victim["modified"])
        delete["address"] = f"authentications/team-a-keep#{victim['id']}"

    forge(saved, retarget)
    return saved


@pytest.fixture
def two_teams(tenant: Tenant) -> Tenant:
    tenant.create("authentications", basic("team-a-keep"))
    tenant.create("authentications", basic("team-b-old"))
    return tenant


def test_a_delete_outside_the_plans_own_scope_is_refused_by_apply_and_show(
    sandbox: ServedSandbox, two_teams: Tenant, tmp_path: Path
) -> None:
    saved = team_b_plan_deleting_team_a(sandbox, two_teams, tmp_path, key=None)
    applied = cli(sandbox, "apply", str(saved))
    assert applied.exit_code == 1, applied.output
    assert "'team-a-keep' is outside the scope the plan was made under" in applied.stderr
    assert two_teams.names("authentications") == ["team-a-keep", "team-b-old"]
    shown = cli(sandbox, "show", str(saved))
    assert shown.exit_code == 1
    assert "team-a-keep" in shown.stdout  # shown in full, then refused as apply would
    assert "outside the scope the plan was made under" in shown.stderr


def test_more_deletes_than_the_plans_limit_are_refused_and_show_says_so(
    sandbox: ServedSandbox, two_teams: Tenant, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    assert cli(sandbox, "plan", team_manifest(tmp_path, "b"), "--prune", "--out", str(saved)).exit_code == 0
    forge(saved, lambda document: document.update(max_deletes=0))
    shown = cli(sandbox, "show", str(saved))
    assert shown.exit_code == 1
    assert "more than its --max-deletes 0" in shown.stderr
    assert cli(sandbox, "apply", str(saved)).exit_code == 1
    assert "team-b-old" in two_teams.names("authentications")


def test_an_interpolated_secret_moved_into_a_plain_field_is_refused(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    assert cli(sandbox, "plan", team_manifest(tmp_path, "b", "team-b-new"), "--out", str(saved)).exit_code == 0

    def leak(document: dict[str, Any]) -> None:
        [create] = document["actions"]
        create["body"]["description"] = {"$sensitive": PASSWORD}
        create["sensitive"]["description"] = PASSWORD

    forge(saved, leak)
    applied = cli(sandbox, "apply", str(saved))
    assert applied.exit_code == 1
    assert "description would receive ${env:EGAIN_VAR_AGENT_PASSWORD}, but description is not a secret field" in (
        applied.stderr
    )
    assert tenant.names("authentications") == []


def test_plan_does_not_save_a_plan_that_reads_the_environment_into_a_plain_field(
    sandbox: ServedSandbox, tmp_path: Path
) -> None:
    text = (
        f"version: 1\nauthentications:\n  - {{name: a, description: '{PASSWORD}', type: basic, "
        f"basicAuth: {{username: u, password: '{PASSWORD}'}}}}\n"
    )
    saved = tmp_path / "plan.json"
    planned = cli(sandbox, "plan", str(write_manifest(tmp_path, text)), "--out", str(saved))
    assert planned.exit_code == 1
    assert f"the plan was not saved to {saved}: apply would refuse it" in planned.stderr
    assert not saved.exists()


def test_a_plan_signed_with_the_key_applies_and_the_key_is_never_shown(
    sandbox: ServedSandbox, two_teams: Tenant, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    planned = cli(sandbox, "plan", team_manifest(tmp_path, "b"), "--prune", "--out", str(saved), key=KEY)
    assert planned.exit_code == 0, planned.output
    assert json.loads(saved.read_text("utf-8"))["signature"].startswith("hmac-sha256:")
    shown = cli(sandbox, "show", str(saved), key=KEY)
    applied = cli(sandbox, "apply", str(saved), key=KEY)
    assert applied.exit_code == 0, applied.output
    assert two_teams.names("authentications") == ["team-a-keep"]
    for output in (planned.output, shown.output, applied.output, saved.read_text("utf-8")):
        assert KEY not in output


def test_with_the_key_set_a_re_digested_edit_is_refused_by_apply_and_show(
    sandbox: ServedSandbox, two_teams: Tenant, tmp_path: Path
) -> None:
    saved = team_b_plan_deleting_team_a(sandbox, two_teams, tmp_path, key=KEY)
    for command in ("apply", "show"):
        result = cli(sandbox, command, str(saved), key=KEY)
        assert result.exit_code == 1
        assert "the plan's signature does not verify with EGAIN_PLAN_KEY" in result.stderr
        assert KEY not in result.output
    assert two_teams.names("authentications") == ["team-a-keep", "team-b-old"]


@pytest.mark.parametrize(
    ("signed_with", "applied_with", "refusal"),
    [
        (None, KEY, "the plan is not signed, but EGAIN_PLAN_KEY is set"),
        (KEY, None, "the plan is signed, but EGAIN_PLAN_KEY is not set"),
        (KEY, OTHER_KEY, "signature does not verify"),
    ],
    ids=["unsigned", "no key at apply", "another key"],
)
def test_a_plan_whose_signature_cannot_be_verified_is_refused(
    sandbox: ServedSandbox,
    two_teams: Tenant,
    tmp_path: Path,
    signed_with: str | None,
    applied_with: str | None,
    refusal: str,
) -> None:
    saved = tmp_path / "plan.json"
    assert (
        cli(sandbox, "plan", team_manifest(tmp_path, "b"), "--prune", "--out", str(saved), key=signed_with).exit_code
        == 0
    )
    applied = cli(sandbox, "apply", str(saved), key=applied_with)
    assert applied.exit_code == 1
    assert refusal in applied.stderr
    assert two_teams.names("authentications") == ["team-a-keep", "team-b-old"]


def test_show_without_the_key_renders_a_signed_plan_and_says_its_signature_was_not_checked(
    sandbox: ServedSandbox, two_teams: Tenant, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    assert cli(sandbox, "plan", team_manifest(tmp_path, "b"), "--prune", "--out", str(saved), key=KEY).exit_code == 0
    shown = cli(sandbox, "show", str(saved))
    assert shown.exit_code == 0
    assert "its signature was not checked (EGAIN_PLAN_KEY is not set)" in shown.stderr


def test_a_key_too_short_to_sign_with_is_refused_without_showing_it(sandbox: ServedSandbox, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    planned = cli(sandbox, "plan", team_manifest(tmp_path, "b"), "--out", str(saved), key="short-key-1")
    assert planned.exit_code == 1
    assert "EGAIN_PLAN_KEY is too short" in planned.stderr
    assert "short-key-1" not in planned.output

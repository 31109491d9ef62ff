"""Scope and ignore globs: a `${var:...}` value in one is literal, and a scope entry may exclude
(`"!team-a-b-*"`), so a team owning `team-a-*` leaves team `team-a-b-*`'s objects alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from egain_provision.sandbox.testing import ServedSandbox
from tests.support import CliResult, Tenant, run_cli, target_env, write_manifest

NAMES = ["team-a-1", "team-a-b-1", "team-b-1", "team-c-1"]


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def teams(tenant: Tenant) -> Tenant:
    for name in NAMES:
        tenant.create(
            "authentications", {"name": name, "type": "basic", "basicAuth": {"username": "u", "password": "p"}}
        )
    return tenant


def plan(sandbox: ServedSandbox, tmp_path: Path, header: str, *args: str) -> CliResult:
    manifest = write_manifest(tmp_path, f"version: 1\n{header}authentications: []\n")
    return run_cli(["plan", "--target", sandbox.base_url, str(manifest), "--prune", *args], env=target_env(sandbox))


def deleted(result: CliResult) -> list[str]:
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return sorted(action["natural_key"] for action in document["actions"] if action["action"] == "delete")


@pytest.mark.parametrize("value", ["*", "?", "[abc]", "[!x]"])
def test_a_variable_cannot_widen_a_scope_glob(
    sandbox: ServedSandbox, teams: Tenant, tmp_path: Path, value: str
) -> None:
    header = 'scope:\n  "*": ["team-${var:T}-*"]\n'
    assert deleted(plan(sandbox, tmp_path, header, "--var", f"T={value}", "--format", "json")) == []


def test_a_variable_in_an_ignore_glob_ignores_only_its_literal_value(
    sandbox: ServedSandbox, teams: Tenant, tmp_path: Path
) -> None:
    header = 'scope:\n  "*": ["team-c-*"]\nignore:\n  authentications: ["team-c-${var:I}"]\n'
    assert deleted(plan(sandbox, tmp_path, header, "--var", "I=*", "--format", "json")) == ["team-c-1"]


def test_a_scope_exclusion_keeps_a_nested_prefix_out_and_the_plan_names_it(
    sandbox: ServedSandbox, teams: Tenant, tmp_path: Path
) -> None:
    header = 'scope:\n  "*": ["team-a-*", "!team-a-b-*"]\n'
    result = plan(sandbox, tmp_path, header, "--format", "json")
    assert deleted(result) == ["team-a-1"]
    document = json.loads(result.stdout)
    assert document["excluded"] == {"authentications: !team-a-b-*": 1}
    assert document["made_under"]["scope_excluded"] == {kind: ["team-a-b-*"] for kind in document["kinds"]}
    text = plan(sandbox, tmp_path, header)
    assert "left alone by the scope's exclusions: authentications: !team-a-b-* 1." in text.stdout
    markdown = plan(sandbox, tmp_path, header, "--format", "markdown")
    assert "`authentications: !team-a-b-*` 1" in markdown.stdout


def test_without_the_exclusion_the_wider_scope_prunes_the_nested_team(
    sandbox: ServedSandbox, teams: Tenant, tmp_path: Path
) -> None:
    header = 'scope:\n  "*": ["team-a-*"]\n'
    assert deleted(plan(sandbox, tmp_path, header, "--format", "json")) == ["team-a-1", "team-a-b-1"]


def test_an_object_declared_under_an_exclusion_is_outside_the_scope(sandbox: ServedSandbox, tmp_path: Path) -> None:
    text = (
        'version: 1\nscope:\n  "*": ["team-a-*", "!team-a-b-*"]\nauthentications:\n'
        "  - {name: team-a-b-2, type: basic, basicAuth: {username: u, password: p}}\n"
    )
    result = run_cli(["validate", str(write_manifest(tmp_path, text))])
    assert result.exit_code == 1
    assert "'team-a-b-2' is outside the scope of these manifests" in result.output


def test_a_variable_cannot_start_an_exclusion(sandbox: ServedSandbox, teams: Tenant, tmp_path: Path) -> None:
    header = 'scope:\n  "*": ["team-a-*", "${var:X}"]\n'
    # Literal: an (unmatched) name "!team-a-b-*", not an exclusion, so team-a-b-1 stays owned.
    assert deleted(plan(sandbox, tmp_path, header, "--var", "X=!team-a-b-*", "--format", "json")) == [
        "team-a-1",
        "team-a-b-1",
    ]

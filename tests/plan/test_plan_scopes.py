"""`scope:` against a served sandbox: manifest sets sharing one tenant each see only what they own.

Prune, the "not managed" list and the --max-deletes limit speak only of owned live objects; the
others are counted as out of scope and never touched.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from egain_provision.plan import digest_of
from egain_provision.sandbox.testing import ServedSandbox
from tests.support import CliResult, Tenant, run_cli, target_env, write_manifest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "environments"
ENVIRONMENTS = ("staging", "production")
# What one environment of examples/environments declares, per kind.
DECLARED = {
    "authentications": 1,
    "clientApplications": 3,
    "participants": 1,
    "channels": 1,
    "orchestrations": 1,
    "accounts": 1,
}
PASSWORD = "${env:EGAIN_VAR_AGENT_PASSWORD}"  # tests.support sets it for every run_cli


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Apply writes .egain/journal.jsonl under the working directory: keep it in the test's folder."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cli(sandbox: ServedSandbox, command: str, *args: str) -> CliResult:
    return run_cli([command, "--target", sandbox.base_url, *args], env=target_env(sandbox))


def environment(name: str, base: Path = EXAMPLES / "base") -> list[str]:
    return [str(base), "--var-file", str(EXAMPLES / f"{name}.vars.yaml")]


def json_plan(sandbox: ServedSandbox, *args: str) -> dict[str, Any]:
    result = cli(sandbox, "plan", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def deletes(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(a["kind"], a["natural_key"]) for a in document["actions"] if a["action"] == "delete"]


def basic_auth(name: str) -> dict[str, Any]:
    return {"name": name, "type": "basic", "basicAuth": {"username": "u", "password": "p-1"}}


def auth_manifest(scope: str, *names: str) -> str:
    items = "".join(
        f'  - {{name: {name}, type: basic, basicAuth: {{username: u, password: "{PASSWORD}"}}}}\n' for name in names
    )
    return f"version: 1\nscope:\n{scope}authentications:\n{items}"


@pytest.fixture
def shared(sandbox: ServedSandbox, tenant: Tenant) -> Tenant:
    """Staging and production of examples/environments applied into one tenant, plus one leftover of each."""
    for name in ENVIRONMENTS:
        applied = cli(sandbox, "apply", "--auto-approve", *environment(name))
        assert applied.exit_code == 0, applied.output
        tenant.create("authentications", basic_auth(f"shop-{name}-legacy"))
    return tenant


@pytest.mark.parametrize(("mine", "theirs"), [ENVIRONMENTS, ENVIRONMENTS[::-1]])
def test_each_environment_prunes_and_lists_only_its_own_objects(
    sandbox: ServedSandbox, shared: Tenant, mine: str, theirs: str
) -> None:
    out_of_scope = {kind: count + (kind == "authentications") for kind, count in DECLARED.items()}
    listed = json_plan(sandbox, *environment(mine))
    assert listed["actions"] == []
    assert [(u["kind"], u["natural_key"]) for u in listed["unmanaged"]] == [("authentications", f"shop-{mine}-legacy")]
    assert listed["out_of_scope"] == out_of_scope

    pruned = json_plan(sandbox, *environment(mine), "--prune")
    assert deletes(pruned) == [("authentications", f"shop-{mine}-legacy")]
    assert pruned["unmanaged"] == [] and pruned["out_of_scope"] == out_of_scope

    applied = cli(sandbox, "apply", "--auto-approve", "--prune", *environment(mine))
    assert applied.exit_code == 0, applied.output
    assert f"shop-{mine}-legacy" not in shared.names("authentications")
    assert f"shop-{theirs}-legacy" in shared.names("authentications")
    converged = cli(sandbox, "plan", "--prune", "--detailed-exitcode", *environment(theirs))
    assert converged.exit_code == 3  # only their own leftover is left to prune: nothing of theirs went missing
    assert json_plan(sandbox, *environment(theirs), "--prune")["actions"][0]["natural_key"] == f"shop-{theirs}-legacy"


def test_without_its_scope_the_example_would_prune_the_other_environment(
    sandbox: ServedSandbox, shared: Tenant, tmp_path: Path
) -> None:
    """The issue's report, kept as the contrast: the same base with `scope:` removed deletes production."""
    base = tmp_path / "base"
    shutil.copytree(EXAMPLES / "base", base)
    setup = base / "setup.yaml"
    text = setup.read_text("utf-8")
    start = text.index("scope:")
    setup.write_text(text[:start] + text[text.index("authentications:", start) :], "utf-8")
    document = json_plan(sandbox, *environment("staging", base), "--prune", "--max-deletes", "20")
    production = [key for _, key in deletes(document) if "production" in key]
    assert len(production) == sum(DECLARED.values()) + 1
    assert document["out_of_scope"] == {}


def test_objects_out_of_scope_are_never_deleted_nor_counted_toward_max_deletes(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    for name in ("team-a-old-1", "team-a-old-2", "team-b-1", "team-b-2", "team-b-3"):
        tenant.create("authentications", basic_auth(name))
    manifest = str(write_manifest(tmp_path, auth_manifest('  "*": [team-a-*]\n', "team-a-keep")))

    document = json_plan(sandbox, manifest, "--prune", "--max-deletes", "2")
    assert deletes(document) == [("authentications", "team-a-old-1"), ("authentications", "team-a-old-2")]
    assert document["out_of_scope"] == {"authentications": 3}
    refused = cli(sandbox, "plan", manifest, "--prune", "--max-deletes", "1")
    assert refused.exit_code == 1
    assert "the plan deletes 2 objects, more than --max-deletes 1" in refused.stderr

    applied = cli(sandbox, "apply", "--auto-approve", manifest, "--prune", "--max-deletes", "2")
    assert applied.exit_code == 0, applied.output
    assert tenant.names("authentications") == ["team-a-keep", "team-b-1", "team-b-2", "team-b-3"]


def test_text_and_markdown_plans_count_what_is_out_of_scope(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    tenant.create("authentications", basic_auth("team-b-1"))
    tenant.create("channels", {"type": "custom.team-b", "displayName": "B", "icon": "aWNvbg=="})
    manifest = str(write_manifest(tmp_path, auth_manifest('  "*": [team-a-*]\n', "team-a-keep")))
    counted = "Out of scope (not owned by these manifests; never changed or deleted): authentications 1, channels 1."
    for fmt in ("text", "markdown"):
        result = cli(sandbox, "plan", manifest, "--prune", "--format", fmt, "--no-color")
        assert result.exit_code == 0, result.output
        assert counted in result.stdout
        assert "team-b" not in result.stdout


def test_a_kind_entry_replaces_the_star_default_in_the_tenant_too(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    tenant.create("authentications", basic_auth("team-a-old"))
    tenant.create("authentications", basic_auth("auth-a-old"))
    tenant.create("channels", {"type": "custom.team-a-old", "displayName": "A", "icon": "aWNvbg=="})
    scope = '  "*": ["*team-a-*"]\n  authentications: [auth-a-*]\n'
    manifest = str(write_manifest(tmp_path, auth_manifest(scope, "auth-a-keep")))
    document = json_plan(sandbox, manifest, "--prune")
    assert deletes(document) == [("channels", "custom.team-a-old"), ("authentications", "auth-a-old")]
    assert document["out_of_scope"] == {"authentications": 1}


def test_plan_refuses_a_declared_object_outside_the_scope(sandbox: ServedSandbox, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, auth_manifest("  authentications: [team-a-*]\n", "team-b-web"))
    result = cli(sandbox, "plan", str(manifest))
    assert result.exit_code == 1
    assert f"{manifest}:5:12: Authentication 'team-b-web' is outside the scope of these manifests" in result.stderr
    assert "Traceback" not in result.output


def test_unknown_fields_of_objects_out_of_scope_are_not_warned_about(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    for name in ("team-a-old", "team-b-1"):
        tenant.create("authentications", basic_auth(name))
    with sqlite3.connect(sandbox.config.db_path) as db:
        db.execute("UPDATE objects SET body = json_set(body, '$.tenantId', 't-1') WHERE label = 'team-b-1'")
    manifest = str(write_manifest(tmp_path, auth_manifest('  "*": [team-a-*]\n', "team-a-keep")))
    assert json_plan(sandbox, manifest)["warnings"] == []
    with sqlite3.connect(sandbox.config.db_path) as db:
        db.execute("UPDATE objects SET body = json_set(body, '$.tenantId', 't-1') WHERE label = 'team-a-old'")
    assert json_plan(sandbox, manifest)["warnings"] == ["tenant answers field tenantId on authentications; not managed"]


def test_a_saved_plan_older_than_format_1_3_is_refused_with_a_way_forward(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    """Plans saved before they recorded what they were made under (scope, ignore) cannot be checked: plan again."""
    manifest = str(write_manifest(tmp_path, auth_manifest('  "*": [team-a-*]\n', "team-a-keep")))
    saved = tmp_path / "plan.json"
    assert cli(sandbox, "plan", manifest, "--out", str(saved)).exit_code == 0
    document = json.loads(saved.read_text("utf-8"))
    del document["made_under"], document["excluded"], document["digest"]
    document["format_version"] = "1.2"
    document["digest"] = digest_of(document)
    saved.write_text(json.dumps(document), "utf-8")
    applied = cli(sandbox, "apply", "--auto-approve", str(saved))
    assert applied.exit_code == 1
    assert "format 1.2, made by an older egain-provision" in applied.stderr
    assert "create the plan again" in applied.stderr
    assert "team-a-keep" not in tenant.names("authentications")

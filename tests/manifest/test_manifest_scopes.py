"""`scope:` as `validate` reads it: what a manifest set owns, and declared objects outside it."""

from __future__ import annotations

import pytest

from egain_provision.commands.common import parse_variables
from egain_provision.model import Ownership
from tests.manifest.manifest_support import EXAMPLE_ENV, EXAMPLES, Workspace, run_cli

BASIC_AUTH = 'type: basic, basicAuth: {username: u, password: "${env:EGAIN_VAR_AGENT_DESK_PASSWORD}"}'


def auths(*names: str) -> str:
    return "authentications:\n" + "".join(f'  - {{name: "{name}", {BASIC_AUTH}}}\n' for name in names)


def channel(type_: str) -> str:
    return f"channels:\n  - {{type: {type_}, displayName: Chat, icon: aWNvbg==}}\n"


def errors(ws: Workspace, *names: str, **kwargs: dict[str, str]) -> list[tuple[str, str, str, str]]:
    return [row for row in ws.diagnostics(*names, **kwargs) if row[0] == "error"]


def test_a_declared_object_outside_its_scope_is_an_error_at_its_name(ws: Workspace) -> None:
    ws.write("m.yaml", 'version: 1\nscope:\n  "*": ["team-a-*"]\n' + auths("team-a-web", "team-b-web"))
    assert errors(ws) == [
        (
            "error",
            ws.at("m.yaml", '"team-b-web"'),
            "authentications[1].name",
            "Authentication 'team-b-web' is outside the scope of these manifests (scope of authentications: team-a-*)",
        )
    ]


def test_validate_prints_the_location_and_a_hint(
    capsys: pytest.CaptureFixture[str], ws: Workspace, example_env: None
) -> None:
    path = ws.write("m.yaml", 'version: 1\nscope:\n  "*": ["team-a-*"]\n' + auths("team-b-web"))
    result = run_cli(capsys, "validate", "--no-color", str(path))
    assert result.code == 1
    line, column = ws.at("m.yaml", '"team-b-web"').split(":")[1:]
    assert f"{path}:{line}:{column}: error: Authentication 'team-b-web' is outside the scope" in result.out
    assert "hint: widen `scope:` (authentications, or \"*\") to cover 'team-b-web', or rename the object" in result.out


def test_without_scope_the_set_owns_everything(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\n" + auths("anything"))
    manifest_set = ws.load()
    assert manifest_set.diagnostics == []
    assert manifest_set.ownership == Ownership()
    assert manifest_set.ownership.owns("accounts", "whatever")


def test_star_covers_every_kind_without_an_entry_and_a_kind_entry_replaces_it(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        'version: 1\nscope:\n  "*": ["team-a-*"]\n  channels: ["custom.team-a"]\n  participants: []\n'
        + auths("team-a-web")
        + channel("custom.team-a"),
    )
    manifest_set = ws.load()
    assert manifest_set.diagnostics == []
    ownership = manifest_set.ownership
    assert ownership.owns("accounts", "team-a-web") and ownership.owns("orchestrations", "team-a-flow")
    # The kind's own entry replaces "*": a channel named like the other kinds is not owned.
    assert ownership.owns("channels", "custom.team-a") and not ownership.owns("channels", "team-a-x")
    assert not ownership.owns("participants", "team-a-bot")  # [] owns none
    assert not ownership.owns("accounts", "team-b-web")


def test_a_kind_the_scope_leaves_out_owns_nothing(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nscope:\n  accounts: [shop-*]\n" + channel("custom.shop"))
    assert [row[3] for row in errors(ws)] == [
        "Channel 'custom.shop' is outside the scope of these manifests (scope: owns no channels)"
    ]


def test_globs_match_case_sensitively_like_ignore(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nscope:\n  authentications: [Team-*]\n" + auths("Team-x", "team-y"))
    assert [row[2] for row in errors(ws)] == ["authentications[1].name"]


def test_scopes_of_several_files_add_up_and_a_file_without_one_adds_nothing(ws: Workspace) -> None:
    ws.write("a.yaml", "version: 1\nscope:\n  authentications: [a-*]\n" + auths("a-one"))
    ws.write("b.yaml", 'version: 1\nscope:\n  "*": [b-*]\n' + auths("b-one", "a-two"))
    ws.write("c.yaml", "version: 1\n" + auths("c-one"))
    manifest_set = ws.load()
    assert manifest_set.ownership.globs is not None
    assert manifest_set.ownership.globs["authentications"] == ("a-*", "b-*")
    assert manifest_set.ownership.globs["accounts"] == ("b-*",)
    # a-two is owned through a.yaml's scope though it is declared in b.yaml; c-one by no file.
    assert [(row[1], row[2]) for row in errors(ws)] == [(ws.at("c.yaml", '"c-one"'), "authentications[0].name")]


def test_several_documents_of_one_file_merge_like_files(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nscope: {authentications: [a-*]}\n---\nversion: 1\n" + auths("a-one"))
    assert ws.diagnostics() == []


def test_scope_globs_are_interpolated(ws: Workspace) -> None:
    ws.write("m.yaml", 'version: 1\nscope:\n  "*": ["shop-${var:ENV}-*"]\n' + auths("shop-${var:ENV}-web"))
    assert ws.diagnostics(variables={"ENV": "staging"}) == []
    assert ws.load(variables={"ENV": "staging"}).ownership.owns("accounts", "shop-staging-web")
    ws.write("other.yaml", "version: 1\n" + auths("shop-production-web"))
    assert [row[3] for row in errors(ws, variables={"ENV": "staging"})] == [
        "Authentication 'shop-production-web' is outside the scope of these manifests "
        "(scope of authentications: shop-staging-*)"
    ]


def test_an_unset_variable_in_a_scope_glob_is_reported_where_it_is_written(ws: Workspace) -> None:
    ws.write("m.yaml", 'version: 1\nscope:\n  "*": ["shop-${var:ENV}-*"]\n')
    assert errors(ws) == [("error", ws.at("m.yaml", '"shop-'), "scope.*[0]", "variable 'ENV' is not set")]


def test_an_ignore_glob_from_the_environment_is_an_error_too(ws: Workspace) -> None:
    ws.write("m.yaml", 'version: 1\nignore:\n  accounts: ["${env:EGAIN_VAR_TEAM}-*", legacy-*]\n')
    [row] = errors(ws, env={"EGAIN_VAR_TEAM": "team-a"})
    assert row[1:3] == (ws.at("m.yaml", '"${env'), "ignore.accounts[0]")
    assert row[3].startswith("an ignore glob cannot come from ${env:...}")
    assert "team-a" not in " ".join(map(str, row))


def test_a_scope_glob_from_the_environment_is_an_error(ws: Workspace) -> None:
    ws.write("m.yaml", 'version: 1\nscope:\n  "*": ["${env:EGAIN_VAR_TEAM}-*"]\n')
    [row] = errors(ws, env={"EGAIN_VAR_TEAM": "team-a"})
    assert row[1:3] == (ws.at("m.yaml", '"${env'), "scope.*[0]")
    assert row[3].startswith("a scope glob cannot come from ${env:...}")


def test_a_previous_name_outside_the_scope_is_an_error(ws: Workspace) -> None:
    ws.write(
        "m.yaml",
        "version: 1\nscope: {authentications: [a-*]}\nauthentications:\n"
        f"  - {{name: a-web, previousNames: [b-web], {BASIC_AUTH}}}\n",
    )
    [row] = errors(ws)
    assert row[1:3] == (ws.at("m.yaml", "b-web"), "authentications[0].previousNames[0]")
    assert "a rename cannot take over an object they do not own" in row[3]


def test_the_schema_names_a_misspelt_kind_in_scope(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nscope:\n  acounts: [a-*]\n")
    [row] = ws.diagnostics()
    assert row[:3] == ("error", ws.at("m.yaml", "acounts"), "scope.acounts")
    assert "unknown field 'acounts'" in row[3]


def test_an_empty_scope_owns_nothing(ws: Workspace) -> None:
    ws.write("m.yaml", "version: 1\nscope: {}\n" + auths("a-web"))
    assert [row[3] for row in errors(ws)] == [
        "Authentication 'a-web' is outside the scope of these manifests (scope: owns no authentications)"
    ]


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_the_environments_example_owns_only_its_own_environment(environment: str) -> None:
    from egain_provision.manifest import load_manifests

    other = "production" if environment == "staging" else "staging"
    variables = parse_variables((), (str(EXAMPLES / "environments" / f"{environment}.vars.yaml"),))
    manifest_set = load_manifests([EXAMPLES / "environments" / "base"], variables=variables, environ=EXAMPLE_ENV)
    assert manifest_set.diagnostics == []
    ownership = manifest_set.ownership
    for obj in manifest_set.objects:
        assert ownership.owns(obj.kind, obj.natural_key)
        assert not ownership.owns(obj.kind, obj.natural_key.replace(environment, other))

"""Export names every variable and file after one object: names that meet after the exporter's
normalisation (punctuation, case, non-ASCII) still get their own, the same on every run, and the plan
right after the export is empty."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from egain_provision.export import distinct_names, env_name, slug
from egain_provision.kinds import KINDS_BY_NAME
from egain_provision.sandbox.testing import ServedSandbox
from tests.support import Tenant, run_cli, target_env

PNG = b"\x89PNG\r\n\x1a\n"
PAIRS = {
    "punctuation": ("svc-a.b", "svc-a_b"),
    "case": ("Svc", "svc"),
    "non-ASCII": ("café-x", "caf-x"),
    "only non-ASCII": ("日本", "中国"),
    "three ways": ("a b", "a-b", "A_B"),
}
CHANNEL_PAIRS = {"punctuation": ("custom.a-b", "custom.a_b"), "case": ("custom.Web", "custom.web")}


def create(sandbox: ServedSandbox, kind: str, bodies: list[dict[str, Any]]) -> None:
    tenant = Tenant(sandbox)
    try:
        for body in bodies:
            tenant.create(kind, body)
    finally:
        tenant.close()


def export_and_plan(sandbox: ServedSandbox, out: Path, secrets: dict[str, str]) -> tuple[str, int]:
    """Export into `out`, then plan it with each object's secret set under the variable export chose."""
    env = target_env(sandbox)
    exported = run_cli(["export", "--target", sandbox.base_url, "--out", str(out)], env=env)
    assert exported.exit_code == 0, exported.output
    document = yaml.safe_load((out / "tenant.yaml").read_text("utf-8"))
    variables = {}
    for auth in document.get("authentications", []):
        variable = re.fullmatch(r"\$\{env:(\w+)\}", auth["basicAuth"]["password"])
        assert variable is not None
        variables[variable.group(1)] = secrets[auth["name"]]
    plan = run_cli(["plan", "--target", sandbox.base_url, str(out), "--detailed-exitcode"], env={**env, **variables})
    return (out / ".env.example").read_text("utf-8"), plan.exit_code


@pytest.mark.parametrize("names", PAIRS.values(), ids=PAIRS.keys())
def test_authentications_whose_names_meet_get_one_variable_each_and_plan_empty(
    clean_sandbox: ServedSandbox, tmp_path: Path, names: tuple[str, ...]
) -> None:
    secrets = {name: f"password-of-{index}" for index, name in enumerate(names)}
    bodies = [
        {"name": name, "type": "basic", "basicAuth": {"username": "u", "password": secrets[name]}} for name in names
    ]
    create(clean_sandbox, "authentications", bodies)
    listed, code = export_and_plan(clean_sandbox, tmp_path / "one", secrets)
    assert code == 0
    variables = [line.partition("=")[0] for line in listed.splitlines() if not line.startswith("#")]
    assert len(variables) == len(set(variables)) == len(names)
    again, _ = export_and_plan(clean_sandbox, tmp_path / "two", secrets)
    assert again == listed  # the same names on every run


@pytest.mark.parametrize("types", CHANNEL_PAIRS.values(), ids=CHANNEL_PAIRS.keys())
def test_channels_whose_types_meet_get_one_icon_file_each_and_plan_empty(
    clean_sandbox: ServedSandbox, tmp_path: Path, types: tuple[str, ...]
) -> None:
    icons = [base64.b64encode(PNG + bytes([index])).decode() for index in range(len(types))]
    create(
        clean_sandbox,
        "channels",
        [{"type": kind, "displayName": kind, "icon": icons[i]} for i, kind in enumerate(types)],
    )
    _, code = export_and_plan(clean_sandbox, tmp_path / "out", {})
    assert code == 0
    written = sorted(path.name.lower() for path in (tmp_path / "out" / "icons").iterdir())
    assert len(written) == len(set(written)) == len(types)  # distinct even on a case-insensitive file system


def test_names_are_plain_slugs_unless_they_meet_and_do_not_depend_on_order() -> None:
    plain = {("a", "x-y"): "X_Y", ("a", "x_y"): "X_Y", ("a", "z"): "Z"}
    chosen = distinct_names(plain)
    assert chosen[("a", "z")] == "Z"
    assert len(set(chosen.values())) == 3 and all("__" in chosen[key] for key in list(plain)[:2])
    assert distinct_names(dict(reversed(plain.items()))) == chosen


@given(st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=12, unique=True))
def test_any_names_get_distinct_variables_and_files_whatever_their_order(keys: list[str]) -> None:
    auth = KINDS_BY_NAME["authentications"]
    variables = {
        ("authentications", key, "basicAuth.password"): env_name(auth, key, "basicAuth.password") for key in keys
    }
    files = {("icons", key): f"icons/{slug(key)}" for key in keys}
    chosen = distinct_names(variables)
    assert len(set(chosen.values())) == len(keys)
    assert distinct_names(dict(reversed(variables.items()))) == chosen
    assert len({name.lower() for name in distinct_names(files, fold_case=True).values()}) == len(keys)

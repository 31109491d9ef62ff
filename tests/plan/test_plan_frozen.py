"""A plan is a value: once computed, nothing can change it; binding makes new bodies."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from egain_provision.apply import bind
from egain_provision.errors import PlanError
from egain_provision.live import LiveState
from egain_provision.manifest import load_manifests
from egain_provision.manifest.interpolate import Interpolator
from egain_provision.plan import Plan
from egain_provision.planner import PlanOptions, build_plan
from tests.support import FULL_SETUP, SECRET_ENV, write_manifest


def planned(tmp_path: Path) -> Plan:
    manifest_set = load_manifests([str(write_manifest(tmp_path))], variables={}, environ=SECRET_ENV)
    assert not manifest_set.has_errors
    return build_plan(manifest_set.objects, LiveState(kinds=()), target="t", target_identity="t", options=PlanOptions())


def test_a_planned_action_cannot_be_changed(tmp_path: Path) -> None:
    action = planned(tmp_path).actions[-1]
    with pytest.raises(dataclasses.FrozenInstanceError):
        action.depends_on = []  # type: ignore[misc]
    with pytest.raises(AttributeError):
        action.depends_on.append("x")  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        action.sensitive["oauth2.payload"] = None  # type: ignore[index]


def test_a_plan_cannot_be_changed(tmp_path: Path) -> None:
    plan = planned(tmp_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.actions = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        plan.warnings.append("x")  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        plan.unchanged["channels"] = 1  # type: ignore[index]


def test_binding_a_saved_plan_fills_secrets_into_new_bodies_only(tmp_path: Path) -> None:
    saved = Plan.from_json(planned(tmp_path).to_json())
    executable = bind(saved, Interpolator({}, SECRET_ENV))
    [auth] = [a for a in saved.actions if a.natural_key == "bot-callback"]
    payload = SECRET_ENV["EGAIN_VAR_BOT_TOKEN_PAYLOAD"]
    bound = executable.body(auth)
    assert bound is not None and bound["oauth2"]["payload"] == payload
    assert auth.body is not None and auth.body["oauth2"]["payload"] != payload
    assert payload in executable.secrets
    assert payload not in saved.dumps()


def test_a_saved_plan_refuses_to_read_a_file_secret_again(tmp_path: Path) -> None:
    (tmp_path / "payload.txt").write_text("file-held-secret-value")
    text = FULL_SETUP.replace("payload: ${env:EGAIN_VAR_BOT_TOKEN_PAYLOAD}", "payload: ${file:payload.txt}")
    assert text != FULL_SETUP
    manifest_set = load_manifests([str(write_manifest(tmp_path, text))], variables={}, environ=SECRET_ENV)
    assert not manifest_set.has_errors
    plan = build_plan(manifest_set.objects, LiveState(kinds=()), target="t", target_identity="t")
    saved = Plan.from_json(plan.to_json())
    with pytest.raises(PlanError, match=r"comes from a \$\{file:...\}, which a saved plan cannot read again safely"):
        bind(saved, Interpolator({}, SECRET_ENV))

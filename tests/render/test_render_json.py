"""The JSON renderer and schemas/plan.schema.json: the document machines rely on."""

from __future__ import annotations

import collections
import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from egain_provision.commands.plan import apply_requests, plan_requests
from egain_provision.kinds import SETUP_ORDER
from egain_provision.limits import METHOD_ORDER, TIERS, MonthlyQuota
from egain_provision.plan import MISSING, Action, Change, Plan, PlanRequests, Unmanaged
from egain_provision.render import render_json
from egain_provision.schemas import load_schema

TARGET = "https://api.example.com/v3"


def errors(document: Any) -> list[str]:
    validator = Draft202012Validator(load_schema("plan"))
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(document)]


def test_the_schema_is_valid_json_schema_2020_12() -> None:
    Draft202012Validator.check_schema(load_schema("plan"))


def test_the_json_is_the_plan_document_indented(full_plan: Plan) -> None:
    assert render_json(full_plan) == json.dumps(full_plan.to_json(), indent=2) + "\n"


def test_a_plan_with_every_action_type_validates(full_plan: Plan) -> None:
    assert errors(json.loads(render_json(full_plan))) == []


def test_a_plan_without_changes_validates(empty_plan: Plan) -> None:
    assert errors(json.loads(render_json(empty_plan))) == []


def test_a_plan_read_back_renders_the_same_document(full_plan: Plan) -> None:
    document = json.loads(render_json(full_plan))
    assert Plan.from_json(document).to_json() == full_plan.to_json()


def test_saved_bodies_hold_expressions_not_secret_values(create_auth: Action) -> None:
    text = render_json(Plan(TARGET, TARGET, actions=[create_auth]))
    assert "never-saved" not in text
    assert '"$sensitive": "${env:EGAIN_VAR_BOT_TOKEN_PAYLOAD}"' in text
    assert '"after": "(sensitive value)"' in text


def test_the_schema_kinds_are_the_six_kinds_in_setup_order() -> None:
    assert load_schema("plan")["$defs"]["kind"]["enum"] == list(SETUP_ORDER)


@pytest.mark.parametrize(
    ("mutate", "complaint"),
    [
        (lambda doc: doc.update(extra=1), "Additional properties"),
        (lambda doc: doc.update(format_version="2.0"), "does not match"),
        (lambda doc: doc.pop("summary"), "'summary' is a required property"),
        (lambda doc: doc["actions"][0].update(action="replace"), "'replace' is not one of"),
        (lambda doc: doc["actions"][0].update(kind="widgets"), "'widgets' is not one of"),
        (lambda doc: doc["actions"][0].update(color="red"), "Additional properties"),
        (lambda doc: doc["actions"][0].pop("sensitive"), "'sensitive' is a dependency of 'body'"),
        (lambda doc: doc["actions"][0]["changes"][0].update(change="rename"), "'rename' is not one of"),
        (lambda doc: doc["actions"][0]["changes"][0].update(before="x"), "should not be valid"),
        (lambda doc: doc["actions"][0]["changes"][0].pop("after"), "'after' is a required property"),
        (lambda doc: doc["actions"][0]["changes"][0].update(known_after_apply=False), "True was expected"),
        (lambda doc: doc["actions"][0]["sensitive"].update(path=3), "3 is not of type"),
        (lambda doc: doc["unmanaged"].append({"kind": "channels", "natural_key": "x"}), "'id' is a required"),
        (lambda doc: doc["unchanged"].update(widgets=1), "'widgets' is not one of"),
    ],
)
def test_the_schema_rejects_documents_that_are_not_plans(full_plan: Plan, mutate: Any, complaint: str) -> None:
    document = json.loads(render_json(full_plan))
    mutate(document)
    assert any(complaint in error for error in errors(document)), errors(document)


@pytest.mark.parametrize("tier", sorted(TIERS))
def test_under_a_rate_tier_the_plan_records_how_many_such_runs_fit_in_its_month(full_plan: Plan, tier: str) -> None:
    reads = {"GET": 6}
    planned = dataclasses.replace(full_plan, requests=plan_requests(reads, full_plan, TIERS[tier]))
    document = json.loads(render_json(planned))
    assert errors(document) == []
    both = collections.Counter(reads) + apply_requests(full_plan)
    quota = TIERS[tier].monthly_quota
    assert quota is not None
    assert document["requests"]["monthly_quota"] == {
        "tier": tier,
        "per_method": quota,
        "busiest_method": max(METHOD_ORDER, key=lambda method: both[method]),
        "runs": quota // max(both.values()),
    }
    assert Plan.from_json(document).to_json() == document


@pytest.mark.parametrize(
    ("mutate", "complaint"),
    [
        (lambda requests: requests["plan"].update(get=1), "does not match"),
        (lambda requests: requests["apply_estimate"].update(POST=0), "less than the minimum"),
        (lambda requests: requests.pop("apply_estimate"), "'apply_estimate' is a required property"),
        (lambda requests: requests["monthly_quota"].pop("runs"), "'runs' is a required property"),
        (lambda requests: requests["monthly_quota"].update(tier="<b>"), "does not match"),
    ],
)
def test_the_schema_rejects_requests_that_are_not_counts_per_method(
    full_plan: Plan, mutate: Any, complaint: str
) -> None:
    planned = dataclasses.replace(full_plan, requests=plan_requests({"GET": 6}, full_plan, TIERS["developer"]))
    document = json.loads(render_json(planned))
    mutate(document["requests"])
    assert any(complaint in error for error in errors(document)), errors(document)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)
changes = st.builds(
    Change,
    path=st.text(min_size=1, max_size=20),
    before=st.just(MISSING) | json_values,
    after=json_values,
    sensitive=st.booleans(),
    known_after_apply=st.booleans(),
) | st.builds(Change, path=st.text(max_size=20), before=json_values, after=st.just(MISSING))
actions = st.builds(
    Action,
    action=st.sampled_from(["create", "update", "delete"]),
    kind=st.sampled_from(SETUP_ORDER),
    natural_key=st.text(min_size=1, max_size=12),
    id=st.none() | st.text(min_size=1, max_size=8),
    modified=st.none() | st.just("2024-05-01T10:00:00Z"),
    previous_key=st.none() | st.text(min_size=1, max_size=12),
    changes=st.lists(changes, max_size=4),
    body=st.none() | st.dictionaries(st.text(min_size=1, max_size=5), json_values, max_size=3),
    notes=st.lists(st.text(max_size=20), max_size=2),
)
per_method = st.dictionaries(st.sampled_from(METHOD_ORDER), st.integers(0, 10**6))
quotas = st.builds(
    MonthlyQuota,
    tier=st.sampled_from([*TIERS, "given"]),
    per_method=st.integers(1, 10**6),
    busiest_method=st.sampled_from(METHOD_ORDER),
    runs=st.integers(0, 10**6),
)
plans = st.builds(
    Plan,
    target=st.text(max_size=20),
    target_identity=st.text(max_size=20),
    actions=st.lists(actions, max_size=4),
    unchanged=st.dictionaries(st.sampled_from(SETUP_ORDER), st.integers(0, 50)),
    unmanaged=st.lists(st.builds(Unmanaged, st.sampled_from(SETUP_ORDER), st.text(max_size=8), st.text(max_size=8))),
    ignored=st.dictionaries(st.sampled_from(SETUP_ORDER), st.integers(0, 50)),
    warnings=st.lists(st.text(max_size=20), max_size=2),
    prune=st.booleans(),
    max_deletes=st.none() | st.integers(0, 20),
    only=st.lists(st.builds("{}/{}".format, st.sampled_from(SETUP_ORDER), st.text(min_size=1, max_size=8)), max_size=2),
    requests=st.none() | st.builds(PlanRequests, per_method, per_method, st.none() | quotas),
)


@settings(deadline=None)
@given(plans)
def test_any_plan_validates_against_the_schema(plan: Plan) -> None:
    assert errors(json.loads(render_json(plan))) == []


@settings(deadline=None)
@given(plans)
def test_any_plan_survives_a_save_and_load(plan: Plan) -> None:
    assert Plan.from_json(json.loads(render_json(plan))).to_json() == plan.to_json()

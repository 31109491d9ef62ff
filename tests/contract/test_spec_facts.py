"""tests/contract/egain-spec-facts.json is what tools/spec_facts.py derives from eGain's spec, and only facts."""

from __future__ import annotations

from typing import Any

from tests.contract.spec_support import FACTS, facts, spec_or_skip
from tools.spec_facts import derive, render


def test_checked_in_facts_equal_what_the_spec_derives() -> None:
    spec = spec_or_skip()
    assert FACTS.read_text("utf-8") == render(derive(spec)), "run: python tools/spec_facts.py"


def test_facts_cover_the_five_operations_of_each_of_the_six_setup_resources() -> None:
    operations = facts()["operations"]
    resources = {op["path"].split("/")[1] for op in operations.values()}
    assert resources == {
        "authentications",
        "clientapplications",
        "participants",
        "channels",
        "orchestrations",
        "accounts",
    }
    assert len(operations) == 30
    assert {key.split(" ")[0] for key in operations} == {"GET", "POST", "PUT", "DELETE"}


def test_every_write_has_a_request_body_and_every_operation_its_permissions() -> None:
    for key, operation in facts()["operations"].items():
        assert ("requestBody" in operation) == (operation["method"] in ("POST", "PUT")), key
        assert operation["permissions"], key
        assert operation["responses"], key


def test_facts_carry_no_prose_from_the_spec() -> None:
    def prose_keys(node: Any, path: str) -> list[str]:
        found = []
        if isinstance(node, dict):
            for key, value in node.items():
                # Keys of a `fields` map are the API's field names (one is `description`), not prose.
                if not path.endswith(".fields") and key in ("description", "example", "examples", "summary", "title"):
                    found.append(f"{path}.{key}")
                found += prose_keys(value, f"{path}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                found += prose_keys(value, f"{path}[{index}]")
        return found

    assert prose_keys(facts(), "") == []


def test_rate_limit_plans_carry_the_published_tiers_of_sla_yaml() -> None:
    plans = facts()["rateLimits"]
    assert {"developer", "basic", "enterprise"} <= set(plans)
    assert plans["developer"]["rates"]["default"]["post"] == {
        "burst": [{"max": 1}],
        "requests": [{"max": 0.16, "period": "second"}],
    }
    assert plans["enterprise"]["quotas"]["default"]["put"] == {"requests": [{"max": 500000, "period": "month"}]}

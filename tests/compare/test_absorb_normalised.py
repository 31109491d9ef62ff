"""Which differences between a live and a declared document are the tenant's normalisation (noted, not planned)."""

from __future__ import annotations

from typing import Any

import pytest

from egain_provision.normalisation import Normalisation
from egain_provision.normalize import sensitive_token
from egain_provision.planner.normalised import absorb_normalised

N = Normalisation

ABSORBED: list[tuple[dict[str, Any], dict[str, Any], list[tuple[str, Normalisation]]]] = [
    ({"email": "ops@example.com"}, {"email": "Ops@Example.com"}, [("email", N.CASE)]),
    ({"name": "Web"}, {"name": " Web "}, [("name", N.BLANKS)]),
    ({"roles": {"[customer]": {"callback": "https://a.example/cb/"}}},
     {"roles": {"[customer]": {"callback": "https://a.example/cb"}}},
     [("roles[customer].callback", N.TRAILING_SLASH)]),
    ({"code": "30"}, {"code": 30}, [("code", N.NUMBER_AS_STRING)]),
    ({"intents": ["b", "a"]}, {"intents": ["a", "b"]}, [("intents", N.ORDER)]),
    ({"bots": [{"id": "y"}, {"id": "x"}]}, {"bots": [{"id": "x"}, {"id": "y"}]}, [("bots", N.ORDER)]),
    ({"items": [{"v": "A"}, {"v": "b"}]}, {"items": [{"v": "a"}, {"v": "b"}]}, [("items[0].v", N.CASE)]),
]


@pytest.mark.parametrize(("live", "declared", "expected"), ABSORBED)
def test_a_normalised_value_is_taken_as_declared_and_noted(
    live: dict[str, Any], declared: dict[str, Any], expected: list[tuple[str, Normalisation]]
) -> None:
    absorbed, found = absorb_normalised(live, declared)
    assert absorbed == declared
    assert [(path, stored.normalisation) for path, stored in found] == expected


KEPT: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"name": "web"}, {"name": "desk"}),
    ({"name": " WEB "}, {"name": "web"}),
    ({"extra": "kept"}, {}),
    ({}, {"added": "x"}),
    ({"intents": ["a"]}, {"intents": ["a", "b"]}),
    ({"secret": sensitive_token("HUNTER2")}, {"secret": sensitive_token("hunter2")}),
]


@pytest.mark.parametrize(("live", "declared"), KEPT)
def test_any_other_difference_is_left_for_the_diff(live: dict[str, Any], declared: dict[str, Any]) -> None:
    absorbed, found = absorb_normalised(live, declared)
    assert (absorbed, found) == (live, [])


def test_a_normalised_value_beside_a_real_change_leaves_only_the_change() -> None:
    live = {"email": "ops@example.com", "name": "old"}
    absorbed, found = absorb_normalised(live, {"email": "OPS@example.com", "name": "new"})
    assert absorbed == {"email": "OPS@example.com", "name": "old"}
    assert [path for path, _ in found] == ["email"]
    assert live == {"email": "ops@example.com", "name": "old"}  # the live document is not changed in place

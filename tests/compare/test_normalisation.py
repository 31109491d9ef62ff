"""Which normalisation turns a value sent into the value a tenant stores, and the fix to write (table-driven)."""

from __future__ import annotations

from typing import Any

import pytest

from egain_provision.normalisation import Normalisation, classify
from egain_provision.plan import MISSING

N = Normalisation

CLASSIFIED: list[tuple[Any, Any, Any, Normalisation]] = [
    ("Ops@Example.com", "ops@example.com", MISSING, N.CASE),
    ("web", "WEB", MISSING, N.CASE),
    ("  Web chat ", "Web chat", MISSING, N.BLANKS),
    ("Web\n", "Web", MISSING, N.BLANKS),
    ("https://web.example.com/cb", "https://web.example.com/cb/", MISSING, N.TRAILING_SLASH),
    ("https://web.example.com/cb/", "https://web.example.com/cb", MISSING, N.TRAILING_SLASH),
    (30, "30", MISSING, N.NUMBER_AS_STRING),
    (30.0, "30", MISSING, N.NUMBER_AS_STRING),
    (1.5, "1.5", MISSING, N.NUMBER_AS_STRING),
    (True, "true", MISSING, N.NUMBER_AS_STRING),
    (False, "false", MISSING, N.NUMBER_AS_STRING),
    (MISSING, 10000, 10000, N.DEFAULT_ADDED),
    (MISSING, {"enabled": True}, {"enabled": True}, N.DEFAULT_ADDED),
    (["a", "b", "c"], ["c", "b", "a"], MISSING, N.ORDER),
    ([{"name": "x"}, {"name": "y"}], [{"name": "y"}, {"name": "x"}], MISSING, N.ORDER),
    (MISSING, "kept", MISSING, N.KEPT_AFTER_REMOVAL),
    (MISSING, 30, 10000, N.KEPT_AFTER_REMOVAL),
]

UNCLASSIFIED: list[tuple[Any, Any]] = [
    ("same", "same"),
    (30, 30),
    (30, 30.0),
    ("web", "other"),
    (" Ops@Example.com ", "ops@example.com"),  # two rewritings at once are no known normalisation
    ("https://a.example/cb", "https://a.example/cb//"),
    ("30", 30),  # a string stored as a number is no tenant normalisation we know
    (1, "true"),
    (True, "1"),
    (["a", "b"], ["a", "b", "b"]),
    (["a", "b"], ["a"]),
    ("kept", MISSING),
    (MISSING, MISSING),
]


@pytest.mark.parametrize(("sent", "stored", "default", "expected"), CLASSIFIED)
def test_a_normalised_value_is_classified(sent: Any, stored: Any, default: Any, expected: Normalisation) -> None:
    found = classify(sent, stored, default)
    assert found is not None
    assert found.normalisation is expected
    assert (found.sent, found.stored) == (sent, stored)


@pytest.mark.parametrize(("sent", "stored"), UNCLASSIFIED)
def test_anything_else_is_no_normalisation(sent: Any, stored: Any) -> None:
    assert classify(sent, stored) is None


def test_the_fix_writes_the_stored_form() -> None:
    found = classify("Ops@Example.com", "ops@example.com")
    assert found is not None and found.converges
    assert found.fix == 'write `"ops@example.com"` in the manifest to converge'


def test_a_default_added_is_declared_as_the_default() -> None:
    found = classify(MISSING, 10000, 10000)
    assert found is not None and found.converges
    assert found.fix == "declare `10000` (the spec's default) to converge"


def test_a_field_kept_after_removal_cannot_be_fixed_by_a_put() -> None:
    found = classify(MISSING, "kept")
    assert found is not None and not found.converges
    assert found.fix.startswith("a PUT cannot remove it on this tenant")


def test_an_order_fix_writes_the_stored_order() -> None:
    found = classify(["a", "b"], ["b", "a"])
    assert found is not None
    assert found.fix == 'write `["b", "a"]` in the manifest to converge'

"""Property tests run without a wall-clock deadline: a loaded CI machine must not fail them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st


def test_the_suite_loads_a_profile_without_deadlines() -> None:
    assert settings().deadline is None


@given(st.integers())
def test_a_property_test_inherits_no_deadline(value: int) -> None:
    assert settings().deadline is None

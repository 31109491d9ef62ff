"""What holds for every format: secrets stay masked, rendering only reads the plan, dispatch by name."""

from __future__ import annotations

import copy

import pytest

from egain_provision.plan import Plan
from egain_provision.render import FORMATS, render, render_json, render_markdown, render_text


@pytest.mark.parametrize("fmt", FORMATS)
def test_sensitive_changes_render_as_sensitive_value_in_every_format(full_plan: Plan, fmt: str) -> None:
    text = render(full_plan, fmt, color=False)
    assert "(sensitive value)" in text
    assert "never-saved" not in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_rendering_reads_the_plan_without_changing_it(full_plan: Plan, fmt: str) -> None:
    before = copy.deepcopy(full_plan)
    first = render(full_plan, fmt, color=True)
    assert render(full_plan, fmt, color=True) == first
    assert full_plan == before


def test_each_format_name_selects_its_renderer(full_plan: Plan) -> None:
    assert render(full_plan, "text", color=True) == render_text(full_plan, color=True)
    assert render(full_plan, "json", color=True) == render_json(full_plan)
    assert render(full_plan, "markdown", color=True) == render_markdown(full_plan)


def test_an_unknown_format_is_refused(full_plan: Plan) -> None:
    with pytest.raises(ValueError, match="unknown plan format 'yaml'; expected one of text, json, markdown"):
        render(full_plan, "yaml", color=False)

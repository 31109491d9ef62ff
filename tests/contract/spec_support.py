"""Where eGain's OpenAPI source and the facts derived from it live, for the contract tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / ".." / "shared" / "egain-oas"
FACTS = Path(__file__).with_name("egain-spec-facts.json")


def spec_or_skip() -> Path:
    """The spec folder, or skip the test saying why."""
    if not (SPEC / "published").is_dir():
        pytest.skip(f"eGain's OpenAPI source is not at {SPEC} (../shared/egain-oas/ beside the repository)")
    return SPEC


def facts() -> dict[str, Any]:
    """The checked-in facts file (it needs no spec to read)."""
    loaded: dict[str, Any] = json.loads(FACTS.read_text("utf-8"))
    return loaded

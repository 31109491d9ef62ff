"""The stand-ins table: every entry is a valid sandbox setting that differs from the plain sandbox."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from egain_provision.sandbox.config import SandboxConfig
from egain_provision.sandbox.faults import FaultSettings
from egain_provision.sandbox.variants import Variants
from tests.realtenant.stand_ins import STAND_INS, stand_in


@pytest.mark.parametrize("name", sorted(STAND_INS))
def test_each_stand_in_is_a_valid_tenant_behaviour(tmp_path: Path, name: str) -> None:
    config = SandboxConfig(db_path=str(tmp_path / "unused.db"), **STAND_INS[name])
    variants, faults = Variants.from_config(config), FaultSettings.from_config(config)
    assert (variants, faults) != (Variants(), FaultSettings())


def test_a_stand_in_serves_its_settings(tmp_path: Path) -> None:
    with stand_in(tmp_path, "lagging-lists-lost-answers", list_lag=1.5) as sandbox:
        options = httpx.get(sandbox.url + "/_sandbox/options").json()
        faults = httpx.get(sandbox.url + "/_sandbox/faults").json()
    assert (options["list_lag"], options["list_lag_writes"], faults["lost_answer_as"]) == (1.5, True, "502")

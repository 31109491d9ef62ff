"""Export of what a manifest cannot name: kept as a literal id, with a warning, never dropped."""

from __future__ import annotations

from egain_provision.export import build_export
from egain_provision.kinds import KINDS_BY_NAME
from egain_provision.live import LiveState, to_live_object

GONE = "11111111-2222-4333-8444-555555555555"


def test_an_orchestration_pointing_at_an_id_that_no_longer_exists_is_exported_with_a_literal_id() -> None:
    live = LiveState(kinds=("orchestrations",))
    item = {
        "id": "99999999-8888-4777-8666-555555555555",
        "name": "orphan-flow",
        "created": "2026-11-24T00:00:00.000Z",
        "modified": "2026-11-24T00:00:00.000Z",
        "applications": {"agentConfiguration": {"agents": [{"id": GONE}]}},
    }
    obj = to_live_object(KINDS_BY_NAME["orchestrations"], item)
    assert obj is not None
    live.add(obj)
    export = build_export(live, ["orchestrations"], split_by_kind=False)
    [exported] = export.documents["tenant.yaml"]["orchestrations"]
    assert exported["applications"]["agentConfiguration"]["agents"] == [{"id": GONE}]
    assert any(GONE in warning and "does not exist in the tenant" in warning for warning in export.warnings)

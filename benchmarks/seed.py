"""A converged tenant without 30,000 HTTP creates: the setups' objects stored straight into a sandbox database.

Each object goes through what the sandbox does with a create (`sandbox/rules.py` `validate`, then
`Store.create`: unique names, references checked and recorded, ids and timestamps its own), without
the HTTP round trip, the latency or the executor. The bodies are the ones apply would send: setup 0
of benchmarks/tenant.py planned against an empty tenant (the provisioner's own manifest reading and
planning), and every other setup made from it by putting that setup's values where setup 0's are
(the setups differ only in their values: names, addresses, entry points), references then filled
in with the ids stored before them, as the executor does. Planning each of 30,000 objects instead
would take about a minute on this machine. Seed the database before a sandbox serves it (one writer);
the benchmark's plan of the seeded tenant must then find nothing to change.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from benchmarks.tenant import BENCH_ENV, setup_objects, write_tenant
from egain_provision.apply.binding import bind
from egain_provision.kinds import KINDS_BY_NAME, SETUP_ORDER, Reference
from egain_provision.live import LiveState
from egain_provision.model import Ref
from egain_provision.planner import PlanOptions, build_plan
from egain_provision.references import KEEP, rewrite_references
from egain_provision.sandbox.rules import RESOURCES, validate
from egain_provision.sandbox.store import Store
from egain_provision.workflow import load_valid_manifests

Template = list[tuple[str, str, dict[str, Any]]]  # (kind, natural key, body to send), in plan order


def seed(db_path: Path, setups: int) -> int:
    """Store the objects of `setups` setups in the sandbox database at `db_path`; how many were stored."""
    template = first_setup_bodies()
    first = list(_leaves(setup_objects(0)))
    store = Store(str(db_path))
    stored = 0
    try:
        for index in range(setups):
            values = {old: new for old, new in zip(first, _leaves(setup_objects(index)), strict=True) if old != new}
            ids: dict[tuple[str, str], str] = {}

            def created(reference: Reference, value: Any, ids: Mapping[tuple[str, str], str] = ids) -> Any:
                return reference.api_value(ids[(value.kind, value.name)]) if isinstance(value, Ref) else KEEP

            for kind_name, natural_key, body in template:
                kind = KINDS_BY_NAME[kind_name]
                own = _with_values(body, values)
                rewrite_references(kind, own, created)
                resource = RESOURCES[kind.api_path.strip("/")]
                validated = validate(resource, own, is_update=False)
                ids[(kind_name, values.get(natural_key, natural_key))] = store.create(
                    resource, validated.body, validated.references
                )
                stored += 1
    finally:
        store.close()
    return stored


def first_setup_bodies() -> Template:
    """What apply would send to create setup 0 in an empty tenant (references still names)."""
    with tempfile.TemporaryDirectory(prefix="egain-seed-") as folder:
        manifest_set = load_valid_manifests([str(write_tenant(Path(folder), 1))], {}, environ=BENCH_ENV)
    plan = build_plan(
        manifest_set.objects,
        LiveState(kinds=tuple(SETUP_ORDER)),
        target="seed",
        target_identity="seed",
        options=PlanOptions(),
        sensitive=manifest_set.sensitive,
    )
    executable = bind(plan)
    template: Template = []
    for action in plan.actions:
        body = executable.body(action)
        if action.action != "create" or body is None:
            raise SystemExit(f"seeding: the plan of setup 0 from empty holds {action.action} {action.address}")
        template.append((action.kind, action.natural_key, body))
    return template


def _leaves(value: Any) -> Iterator[Any]:
    """Every scalar of a manifest value, in order (setups have the same shape, so their leaves pair up)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def _with_values(value: Any, values: Mapping[Any, Any]) -> Any:
    """A copy of `value` with each scalar (and each reference's name) that `values` maps replaced."""
    if isinstance(value, dict):
        return {key: _with_values(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_values(item, values) for item in value]
    if isinstance(value, Ref):
        return Ref(value.kind, values.get(value.name, value.name))
    if isinstance(value, str | int) and not isinstance(value, bool):
        return values.get(value, value)
    return value

"""Planner CPU per object on a converged 3,000-object tenant (no HTTP: the live side is synthesized).

The live objects are what the API returns after an apply of the generated manifest: the wire
body with references as ids, plus `id`, `active`, `created` and `modified`. The benchmark checks
that the planner sees them as converged (no action) before timing it, then also times a plan
in which every object's description changed, the cost of diffing an object that differs.

    .venv/bin/python -m benchmarks.bench_diff [--objects 3000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from benchmarks.tenant import BENCH_ENV, OBJECTS_PER_SETUP, tenant_manifest
from egain_provision.kinds import KINDS_BY_NAME
from egain_provision.live import LiveObject, LiveState
from egain_provision.manifest import ManifestSet, load_manifests
from egain_provision.model import DesiredObject, Ref
from egain_provision.paths import iter_slots
from egain_provision.plan import Plan
from egain_provision.planner import build_plan

TIMESTAMP = "2026-01-01T00:00:00.000Z"


def converged_live(objects: Sequence[DesiredObject]) -> LiveState:
    """The tenant right after applying `objects`: references resolved to the ids given to their targets."""
    ids = {
        (obj.kind, obj.natural_key): str(uuid.uuid5(uuid.NAMESPACE_URL, f"{obj.kind}/{obj.natural_key}"))
        for obj in objects
    }
    live = LiveState(kinds=tuple(KINDS_BY_NAME))
    for obj in objects:
        kind = KINDS_BY_NAME[obj.kind]
        body: dict[str, Any] = {"id": ids[(obj.kind, obj.natural_key)], **_plain(obj.body)}
        for reference in kind.references:
            for slot in list(iter_slots(body, reference.wire_path)):
                if isinstance(slot.value, Ref):
                    target = ids[(slot.value.kind, slot.value.name)]
                    slot.replace(target if reference.bare else {"id": target})
        body |= {"active": True, "created": TIMESTAMP, "modified": TIMESTAMP}
        live.add(LiveObject(kind=obj.kind, id=body["id"], natural_key=obj.natural_key, body=body))
    return live


def _plain(value: Any) -> Any:
    """A copy that shares no container with the desired object (Refs are immutable and kept)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def write(folder: Path, setups: int, *, revised: bool = False) -> Path:
    """The generated manifest, with every description revised if asked."""
    document = tenant_manifest(setups)
    if revised:
        for kind in KINDS_BY_NAME:
            for obj in document[kind]:
                obj["description"] = f"{obj.get('description', 'No description')} (revised)"
    path = folder / ("revised.yaml" if revised else "tenant.yaml")
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def load(path: Path) -> ManifestSet:
    manifest_set = load_manifests([str(path)], environ=BENCH_ENV)
    if manifest_set.has_errors:
        raise SystemExit(f"{path.name} does not load: {manifest_set.errors[0].message}")
    return manifest_set


def cpu_seconds(work: Callable[[], object], repeat: int) -> float:
    """The best CPU time of `repeat` runs (the least disturbed by the rest of the machine)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def plan(manifest_set: ManifestSet, live: LiveState) -> Plan:
    return build_plan(manifest_set.objects, live, target="bench", target_identity="bench", ignore=manifest_set.ignore)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    setups = max(1, args.objects // OBJECTS_PER_SETUP)
    count = setups * OBJECTS_PER_SETUP
    with tempfile.TemporaryDirectory(prefix="egain-bench-diff-") as name:
        folder = Path(name)
        tenant = write(folder, setups)
        declared, revised = load(tenant), load(write(folder, setups, revised=True))
        load_s = cpu_seconds(lambda: load(tenant), args.repeat)
    live = converged_live(declared.objects)

    converged = plan(declared, live)
    changed = plan(revised, live)
    if converged.actions or converged.unmanaged or sum(converged.unchanged.values()) != count:
        raise SystemExit(f"the synthesized tenant is not converged: {len(converged.actions)} actions planned")
    if len(changed.actions) != count or any(action.action != "update" for action in changed.actions):
        raise SystemExit("the revised manifest should update every object")

    converged_s = cpu_seconds(lambda: plan(declared, live), args.repeat)
    changed_s = cpu_seconds(lambda: plan(revised, live), args.repeat)
    print(f"planner CPU on a tenant of {count} objects (best of {args.repeat})")
    print(f"  converged (no change)        {converged_s:6.3f} s  {converged_s / count * 1e6:6.0f} us/object")
    print(f"  every description changed   {changed_s:6.3f} s  {changed_s / count * 1e6:6.0f} us/object")
    print(f"  for context, load_manifests  {load_s:6.3f} s  {load_s / count * 1e6:6.0f} us/object")


if __name__ == "__main__":
    main()

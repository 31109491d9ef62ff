"""Data flows one way: each stage imports only the stages before it (the README's Architecture section)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "egain_provision"

FOUNDATION = ("model", "errors", "paths", "kinds", "meaning", "references", "sensitive", "limits", "schemas", "redact")
TENANT = ("client", "listing", "live", "normalize", "diff", "plan", "normalisation")
# Module (or package) -> what it may import, besides itself and the foundation.
ALLOWED: dict[str, tuple[str, ...]] = {
    "sandbox": (),
    **{name: () for name in FOUNDATION},
    "manifest": ("files",),
    "listing": (),
    "client": ("listing",),
    "live": ("client", "listing"),
    "normalize": (),
    "plan": (),
    "diff": ("normalize", "plan"),
    # What a tenant's normalisation made of a value sent: read by the planner and by apply's verification.
    "normalisation": ("plan",),
    "planner": ("live", "normalize", "diff", "plan", "normalisation"),
    # The routing graph: from desired objects or a plan's actions; the Markdown plan embeds its diagram.
    "graph": ("plan",),
    "render": ("plan", "manifest.report", "graph"),
    "journal": ("files",),
    "files": (),
    "export": ("live", "normalize"),
    "targets": ("client", "sandbox"),
    "apply": (*TENANT, "journal", "targets", "manifest.interpolate"),
    # The Hub's side of each callback, from desired objects; its own reading, apart from the sandbox's hub.
    "check": ("manifest", "render"),
}
# Everything else (context, workflow, progress, commands, cli, schemagen) wires stages together.


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        names = [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found.update(name.removeprefix("egain_provision.") for name in names if name.startswith("egain_provision."))
    return found


def stage_of(module: str) -> str | None:
    for stage in sorted(ALLOWED, key=len, reverse=True):
        if module == stage or module.startswith(stage + "."):
            return stage
    return None


def allows(stage: str, imported: str) -> bool:
    permitted = (stage, *ALLOWED[stage]) + (FOUNDATION if stage != "sandbox" else ())
    return any(imported == name or imported.startswith(name + ".") for name in permitted)


STAGED = [path for path in sorted(PACKAGE.rglob("*.py")) if stage_of(module_name(path)) is not None]


@pytest.mark.parametrize("path", STAGED, ids=[module_name(path) for path in STAGED])
def test_a_stage_imports_only_earlier_stages(path: Path) -> None:
    stage = stage_of(module_name(path))
    assert stage is not None
    wrong = sorted(name for name in imports_of(path) if not allows(stage, name))
    assert wrong == [], f"{module_name(path)} ({stage}) must not import {wrong}"


def test_the_rules_see_every_import() -> None:
    assert imports_of(PACKAGE / "apply" / "executor.py") >= {"apply.scheduler", "client", "kinds"}
    assert not allows("planner", "apply.executor") and not allows("sandbox", "kinds")

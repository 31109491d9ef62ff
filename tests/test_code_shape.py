"""Code shape: no function of egain_provision/ over 60 lines, no class over 250.

A length runs from the `def`/`class` line to the last line of the body (decorators excluded);
nested functions and methods are measured too, named by their qualified name. Complexity is
ruff's (C901 at 12, in pyproject.toml).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "egain_provision"
MAX_FUNCTION_LINES = 60
MAX_CLASS_LINES = 250


def over_limit(source: str, module: str) -> dict[str, str]:
    """Each function or class of `source` longer than its limit: qualified name -> what it is and how long."""
    found: dict[str, str] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}.{child.name}"
                # `lineno` is the def/class line itself, after any decorators.
                lines = (child.end_lineno or child.lineno) - child.lineno + 1
                is_class = isinstance(child, ast.ClassDef)
                limit = MAX_CLASS_LINES if is_class else MAX_FUNCTION_LINES
                if lines > limit:
                    found[name] = f"{'class' if is_class else 'function'} of {lines} lines (limit {limit})"
                visit(child, name)
            else:
                visit(child, prefix)

    visit(ast.parse(source), module)
    return found


def package_over_limit() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found.update(over_limit(path.read_text("utf-8"), module))
    return found


def test_no_function_or_class_of_the_package_is_over_its_limit() -> None:
    found = package_over_limit()
    assert not found, "over the limit (split it up):\n" + "\n".join(f"{name}: {why}" for name, why in found.items())


def statements(count: int, indent: str) -> str:
    return "".join(f"{indent}x{i} = {i}\n" for i in range(count))


def test_lengths_run_from_the_def_line_to_the_end_and_nested_ones_go_by_qualified_name() -> None:
    source = (
        "@decorator\n@another(1)\ndef fits():\n"
        + statements(59, "    ")  # 60 lines from its def
        + "def over():\n"
        + statements(60, "    ")  # 61
        + "class C:\n    def method(self):\n"
        + statements(60, "        ")  # 61, in a class of 62
        + "def outer():\n    async def inner():\n"
        + statements(60, "        ")  # 62 and 61
    )
    assert over_limit(source, "m") == {
        "m.over": "function of 61 lines (limit 60)",
        "m.C.method": "function of 61 lines (limit 60)",
        "m.outer": "function of 62 lines (limit 60)",
        "m.outer.inner": "function of 61 lines (limit 60)",
    }
    assert over_limit("class Fits:\n" + statements(249, "    "), "m") == {}
    assert over_limit("class Big:\n" + statements(250, "    "), "m") == {"m.Big": "class of 251 lines (limit 250)"}

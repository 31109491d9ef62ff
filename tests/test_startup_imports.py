"""A snappy start: `--version`, `--help` and `validate` import only what they use (not timed here: see
benchmarks/bench_startup.py). Each runs in a fresh interpreter that then lists what it imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from egain_provision.commands import COMMANDS

LIST_MODULES = """
import json, sys
from egain_provision.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""
# What no offline command needs: the HTTP client, the event loop, the sandbox server, the differ.
TENANT_ONLY = ("httpx", "httpcore", "anyio", "asyncio", "ssl", "starlette", "uvicorn", "deepdiff")
VALID = """\
version: 1
authentications:
  - {name: agent, type: basic, basicAuth: {username: u, password: "${env:EGAIN_VAR_PASSWORD}"}}
"""
INVALID = "version: 1\nauthentications:\n  - name: agent\n    type: basik\n"


def imported(*args: str) -> set[str]:
    """The top-level packages and egain_provision modules a fresh `egain-provision ARGS` imported."""
    env = {"PATH": "/usr/bin:/bin", "EGAIN_VAR_PASSWORD": "p"}
    result = subprocess.run(
        [sys.executable, "-c", LIST_MODULES, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    report = json.loads(result.stderr.strip().splitlines()[-1])
    modules: list[str] = report["modules"]
    return {name for name in modules if name.startswith("egain_provision")} | {name.split(".")[0] for name in modules}


@pytest.mark.parametrize("args", [["--version"], ["version"], ["--help"]], ids=" ".join)
def test_the_version_and_the_help_import_no_command(args: list[str]) -> None:
    modules = imported(*args)
    assert not modules & {*TENANT_ONLY, "jsonschema", "yaml"}
    assert not {name for name in modules if name.startswith("egain_provision.commands.")}


def test_validate_of_a_valid_file_imports_neither_the_client_nor_jsonschema(tmp_path: Path) -> None:
    (tmp_path / "setup.yaml").write_text(VALID, "utf-8")
    modules = imported("validate", str(tmp_path / "setup.yaml"))
    assert "egain_provision.manifest.loader" in modules
    assert not modules & {*TENANT_ONLY, "jsonschema"}
    assert not modules & {"egain_provision.plan", "egain_provision.client", "egain_provision.context"}
    assert {name for name in modules if name.startswith("egain_provision.commands.")} == {
        "egain_provision.commands.common",
        "egain_provision.commands.validate",
    }


def test_validate_loads_jsonschema_to_explain_an_error(tmp_path: Path) -> None:
    (tmp_path / "setup.yaml").write_text(INVALID, "utf-8")
    modules = imported("validate", str(tmp_path / "setup.yaml"))
    assert "jsonschema" in modules
    assert not modules & set(TENANT_ONLY)


def test_the_command_table_lists_every_command_module() -> None:
    package = Path(__file__).resolve().parents[1] / "egain_provision" / "commands"
    modules = {path.stem for path in package.glob("*.py")} - {"__init__", "common"}
    assert {target.partition(":")[0].rpartition(".")[2] for target, _ in COMMANDS.values()} == modules

"""The README's routing graph example is what `graph` prints today."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support import run_cli

REPO = Path(__file__).resolve().parents[2]


def test_the_readme_example_is_the_current_output() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    found = re.search(r"^```sh\negain-provision graph (\S+)\n```\n\n```mermaid\n(.*?)^```$", readme, flags=re.S | re.M)
    assert found, "the Routing graph section shows a graph command and its Mermaid output"
    result = run_cli(["graph", str(REPO / found.group(1))])
    assert result.exit_code == 0, result.output
    assert found.group(2) == result.stdout

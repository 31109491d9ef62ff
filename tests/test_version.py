"""The version, one source for the package metadata and the CLI, with the Python that runs it."""

from __future__ import annotations

import platform
from importlib.metadata import version

from egain_provision import __version__
from tests.support import run_cli


def test_version_and_dash_dash_version_print_the_package_version_and_python() -> None:
    expected = f"egain-provision {__version__} (Python {platform.python_version()})"
    assert run_cli(["--version"]).stdout.strip() == expected
    assert run_cli(["version"]).stdout.strip() == expected


def test_the_installed_metadata_has_the_same_version() -> None:
    assert version("egain-provision") == __version__

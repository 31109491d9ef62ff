"""A local emulator of the eGain Conversation Manager v3 setup API, served or embedded.

An independent reading of eGain's OpenAPI source: nothing here imports the provisioner's kinds
or model, so tests of one against the other check both.
"""

from __future__ import annotations

from egain_provision.sandbox.app import create_app
from egain_provision.sandbox.config import (
    BASE_PATH,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    TOKEN_PATH,
    SandboxConfig,
)

__all__ = [
    "BASE_PATH",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "TOKEN_PATH",
    "SandboxConfig",
    "create_app",
]

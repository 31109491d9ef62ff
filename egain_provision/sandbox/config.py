"""The sandbox's start-up settings and its fixed names (paths, default credentials)."""

from __future__ import annotations

from dataclasses import dataclass

BASE_PATH = "/conversation/conversationmgr/v3"
TOKEN_PATH = "/oauth2/token"
ADMIN_PATH = "/_sandbox"
DEFAULT_CLIENT_ID = "sandbox-client"
DEFAULT_CLIENT_SECRET = "sandbox-secret"


@dataclass
class SandboxConfig:
    """How a sandbox starts: where it stores objects, who may get a token, which faults fire.

    The fault fields are only the initial values; `PUT /_sandbox/faults` changes them at runtime.
    """

    db_path: str
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    token_lifetime: float = 3600
    mask_secrets: bool = False
    latency_ms: float = 0
    latency_jitter_ms: float = 0
    error_rate: float = 0
    throttle_rate: float = 0
    retry_after: float = 1
    lost_answer_rate: float = 0
    seed: int | None = None

"""The sandbox's start-up settings and its fixed names (paths, default credentials)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

BASE_PATH = "/conversation/conversationmgr/v3"
TOKEN_PATH = "/oauth2/token"
ADMIN_PATH = "/_sandbox"
DEFAULT_CLIENT_ID = "sandbox-client"
DEFAULT_CLIENT_SECRET = "sandbox-secret"


@dataclass
class SandboxConfig:
    """How a sandbox starts: where it stores objects, who may get a token, which faults fire.

    The fault fields, `echo_defaults` and the tenant variants are only the initial values;
    `PUT /_sandbox/faults` and `PUT /_sandbox/options` change them at runtime. `mask_secrets` is
    the old spelling of `mask_style="stars"`.
    """

    db_path: str
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    token_lifetime: float = 3600
    mask_secrets: bool = False
    echo_defaults: bool = False
    latency_ms: float = 0
    latency_jitter_ms: float = 0
    error_rate: float = 0
    throttle_rate: float = 0
    retry_after: float = 1
    lost_answer_rate: float = 0
    lost_answer_as: str = "reset"
    seed: int | None = None
    # Tenant variants (sandbox/variants.py): how a real tenant may answer where the spec is silent.
    paging: str = "honour"
    omit_pagination_info: bool = False
    list_key: str = "singular"
    empty_list: int = 200
    extra_fields: bool = False
    enriched_references: bool = False
    mask_style: str = "none"
    no_modified_in_lists: bool = False
    list_lag: float = 0
    # Tenant behaviours (sandbox/tenants.py), also variants: what real tenants were seen to do.
    list_lag_writes: bool = False
    normalize: tuple[str, ...] = ()
    put_merges: bool = False
    numeric_modified: bool = False
    churn_between_pages: int = 0
    delete_delay: float = 0
    token_format: str = "json"
    # Rate limit (sandbox/ratelimit.py): RPS/BURST or a tier per client; Retry-After sent or not.
    rate_limit: str | None = None
    rate_limit_retry_after: bool = True


@dataclass(frozen=True)
class AnswerOptions:
    """How answers are shaped; `echo_defaults` adds the spec's defaults for attributes a request omitted."""

    echo_defaults: bool = False

    @classmethod
    def from_config(cls, config: SandboxConfig) -> AnswerOptions:
        """The initial options of a sandbox."""
        return cls(echo_defaults=config.echo_defaults)

    def updated(self, changes: dict[str, Any]) -> AnswerOptions:
        """These options with `changes` applied; ValueError names the first bad one."""
        known = {option.name for option in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown option(s): {', '.join(unknown)}")
        for name, value in changes.items():
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false")
        return replace(self, **changes)

    def as_json(self) -> dict[str, Any]:
        """The options as the admin endpoint shows them."""
        return asdict(self)

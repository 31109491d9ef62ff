"""Where commands point: the embedded sandbox (the default outside CI) or a real tenant URL."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from egain_provision.client import DEFAULT_SCOPE, Credentials, EgainClient
from egain_provision.errors import TargetError
from egain_provision.limits import AdaptiveLimit

DEFAULT_SANDBOX_DB = ".egain/sandbox.db"
EMBEDDED_ROOT = "http://sandbox.embedded"


@dataclass(frozen=True)
class Target:
    """A resolved target: what to call it, where its API lives, and how to authenticate."""

    label: str
    identity: str
    base_url: str
    credentials: Credentials
    sandbox_db: str | None = None

    @property
    def is_local(self) -> bool:
        """The embedded sandbox or a loopback URL (a served sandbox): no tenant's rate limit applies."""
        host = urlparse(self.base_url).hostname or ""
        return self.sandbox_db is not None or host in ("localhost", "::1") or host.startswith("127.")

    def client(self, limit: AdaptiveLimit | None = None, **settings: Any) -> EgainClient:
        """An API client for this target (in process for the embedded sandbox), sharing the run's limit.

        `settings` are EgainClient's keyword options (pacer, timeout, retry, ca_cert).
        """
        transport: httpx.AsyncBaseTransport | None = None
        if self.sandbox_db is not None:
            from egain_provision.sandbox import SandboxConfig, create_app

            try:
                app = create_app(SandboxConfig(db_path=self.sandbox_db))
            except (sqlite3.Error, OSError) as exc:
                raise TargetError(
                    f"cannot open the embedded sandbox's database {self.sandbox_db}: {exc}",
                    hint="set EGAIN_SANDBOX_DB to a file in a writable directory with free space",
                ) from None
            # Its own failures (a full disk) answer 500 with a message, as a tenant's would, not a traceback.
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        return EgainClient(self.base_url, self.credentials, transport=transport, limit=limit, **settings)


def resolve_target(option: str | None, environ: Mapping[str, str] | None = None) -> Target:
    """The target named by `--target` (sandbox or a URL), else EGAIN_API_URL, else the sandbox.

    Under CI (`CI` set) the sandbox is never chosen implicitly: a pipeline that forgot its
    tenant URL must fail, not report a green plan against an empty emulator.
    """
    env = os.environ if environ is None else environ
    if option == "sandbox":
        return embedded_sandbox(env)
    if option:
        return url_target(option, env)
    if env.get("EGAIN_API_URL"):
        return url_target(env["EGAIN_API_URL"], env)
    if env.get("CI"):
        raise TargetError(
            "no target given and CI is set",
            hint="pass --target sandbox for the embedded sandbox, or set EGAIN_API_URL / --target URL for a tenant",
        )
    return embedded_sandbox(env)


def embedded_sandbox(environ: Mapping[str, str]) -> Target:
    """The in-process sandbox persisted at EGAIN_SANDBOX_DB (default .egain/sandbox.db)."""
    from egain_provision.sandbox import BASE_PATH, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, TOKEN_PATH

    db = environ.get("EGAIN_SANDBOX_DB") or DEFAULT_SANDBOX_DB
    db_path = str(Path(db).resolve())
    credentials = Credentials(
        token_url=EMBEDDED_ROOT + TOKEN_PATH,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        scope=DEFAULT_SCOPE,
    )
    return Target(
        label=f"embedded sandbox ({db})",
        identity=f"sandbox:{db_path}",
        base_url=EMBEDDED_ROOT + BASE_PATH,
        credentials=credentials,
        sandbox_db=db_path,
    )


def url_target(url: str, environ: Mapping[str, str]) -> Target:
    """A tenant at `url`, authenticated from EGAIN_ACCESS_TOKEN or EGAIN_TOKEN_URL/CLIENT_ID/SECRET."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise TargetError(
            f"target {url!r} is not an http(s) URL",
            hint="use --target sandbox, or the API base such as https://api.egain.cloud/conversation/conversationmgr/v3",
        )
    base_url = url.rstrip("/")
    token = environ.get("EGAIN_ACCESS_TOKEN") or None
    token_url = environ.get("EGAIN_TOKEN_URL") or None
    client_id = environ.get("EGAIN_CLIENT_ID") or None
    client_secret = environ.get("EGAIN_CLIENT_SECRET") or None
    if token is None:
        missing = [
            name
            for name, value in (
                ("EGAIN_TOKEN_URL", token_url),
                ("EGAIN_CLIENT_ID", client_id),
                ("EGAIN_CLIENT_SECRET", client_secret),
            )
            if not value
        ]
        if missing:
            raise TargetError(
                f"no credentials for {base_url}: {', '.join(missing)} not set",
                hint="set EGAIN_TOKEN_URL, EGAIN_CLIENT_ID and EGAIN_CLIENT_SECRET (and EGAIN_SCOPE), "
                "or a ready token in EGAIN_ACCESS_TOKEN",
            )
    credentials = Credentials(
        token_url=token_url,
        client_id=client_id,
        client_secret=client_secret,
        scope=environ.get("EGAIN_SCOPE") or DEFAULT_SCOPE,
        access_token=token,
    )
    return Target(label=base_url, identity=base_url, base_url=base_url, credentials=credentials)

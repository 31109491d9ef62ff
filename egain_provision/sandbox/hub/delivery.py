"""Calling a client application's callback the way the spec says the Conversation Hub does.

Read from client_application.yaml and authentication.yaml: the hub posts to the role's
`callback` with the role's custom `headers`; a callback must answer within 5 seconds; an
unreachable callback makes the hub notify the role's `notificationEmail`. With an `oauth2`
authentication the hub asks `tokenRequestUrl` (with its `method`, `headers` and `payload`) for a
token, reads it at `accessTokenPath` and keeps it until a callback answers 401; with `basic` it
sends the username and password. Every attempt is recorded; a secret never is.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

# A JSONPath subset that covers what a token answer needs: `$.a.b`, `$['a']`, `$.list[0].token`.
_PATH_STEP = re.compile(r"\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]")
MAX_RECORDS = 10_000


@dataclass(frozen=True)
class Recipient:
    """Where a message goes: a client application's role, and the participant it stands for."""

    application_id: str
    application: str
    role: str
    version: str
    callback: str
    notification_email: str
    headers: tuple[tuple[str, str], ...]
    authentication_id: str | None
    participant: str | None = None

    @property
    def shown_callback(self) -> str:
        """The callback without user info, query or fragment, which may carry a credential."""
        parts = urlsplit(self.callback)
        try:
            netloc = f"{parts.hostname or ''}:{parts.port}" if parts.port else parts.hostname or ""
        except ValueError:
            return "(not a URL)"
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    def describe(self) -> dict[str, Any]:
        """The recipient as a delivery record shows it."""
        described: dict[str, Any] = {
            "application": self.application,
            "role": self.role,
            "callback": self.shown_callback,
        }
        if self.participant:
            described["participant"] = self.participant
        return described


class TokenFailure(Exception):
    """The token endpoint did not give a token; `unreachable` when it could not be reached at all."""

    def __init__(self, reason: str, *, unreachable: bool = False, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.unreachable = unreachable
        self.status = status


@dataclass(frozen=True)
class Attempt:
    """One POST to a callback: its status (None when no answer came), outcome and latency."""

    status: int | None
    outcome: str
    latency_ms: float
    error: str | None = None


def token_at(answer: Any, path: str) -> str | None:
    """The string at JSONPath `path` (a `$`-rooted subset) in `answer`, or None."""
    text = path.strip()
    if not text.startswith("$"):
        return None
    position, value = 1, answer
    while position < len(text):
        step = _PATH_STEP.match(text, position)
        if step is None:
            return None
        name, index, quoted, double = step.groups()
        if index is not None and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        elif index is None and isinstance(value, dict) and (name or quoted or double or "") in value:
            value = value[name or quoted or double or ""]
        else:
            return None
        position = step.end()
    return value if isinstance(value, str) and value else None


class Deliverer:
    """Delivers payloads to recipients, keeping one token per authentication and a record of every attempt."""

    def __init__(self, timeout: float, authentication: Callable[[str], dict[str, Any] | None], now: Callable[[], str]):
        self.timeout = timeout
        self._authentication = authentication
        self._now = now
        self._http: httpx.AsyncClient | None = None
        self._tokens: dict[str, str] = {}
        self.records: list[dict[str, Any]] = []
        self.notifications: list[dict[str, Any]] = []

    async def close(self) -> None:
        """Close the HTTP client (at the sandbox's shutdown)."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def clear(self) -> None:
        """Forget the records, the notifications and the kept tokens."""
        self.records.clear()
        self.notifications.clear()
        self._tokens.clear()

    async def deliver(self, recipient: Recipient, payload: dict[str, Any], about: dict[str, Any]) -> bool:
        """POST `payload` to the recipient's callback as declared; True when it answered 2xx.

        `about` names the conversation and message for the record.
        """
        authentication = self._authentication(recipient.authentication_id) if recipient.authentication_id else None
        scheme = _scheme(authentication)
        try:
            authorization, token_source = await self._authorization(authentication, renew=False)
        except TokenFailure as failure:
            self._record(recipient, about, scheme, None, Attempt(failure.status, "token_failed", 0.0, failure.reason))
            if failure.unreachable:
                self._notify(recipient, about, failure.reason)
            return False
        attempt = await self._post(recipient, payload, authorization)
        self._record(recipient, about, scheme, token_source, attempt)
        if attempt.status == 401 and authentication is not None and authentication.get("type") == "oauth2":
            # The spec: the hub keeps its token until the callback answers 401, then fetches a new one (once).
            try:
                authorization, token_source = await self._authorization(authentication, renew=True)
            except TokenFailure as failure:
                self._record(
                    recipient, about, scheme, None, Attempt(failure.status, "token_failed", 0.0, failure.reason)
                )
                return False
            attempt = await self._post(recipient, payload, authorization)
            self._record(recipient, about, scheme, token_source, attempt)
        if attempt.outcome in ("unreachable", "timeout"):
            self._notify(recipient, about, attempt.error or attempt.outcome)
        return attempt.outcome == "delivered"

    async def _authorization(
        self, authentication: dict[str, Any] | None, *, renew: bool
    ) -> tuple[str | None, str | None]:
        """The Authorization header value and where it came from (`basic`, `cached`, `fetched`, `renewed`)."""
        if authentication is None:
            return None, None
        if authentication.get("type") == "basic":
            basic = authentication.get("basicAuth") or {}
            pair = f"{basic.get('username', '')}:{basic.get('password', '')}".encode()
            return "Basic " + base64.b64encode(pair).decode("ascii"), "basic"
        oauth2 = authentication.get("oauth2") or {}
        # Keyed by the declaration too: a changed tokenRequestUrl or payload must not reuse an old token.
        key = hashlib.sha256(json.dumps([authentication.get("id"), oauth2], sort_keys=True).encode()).hexdigest()
        if not renew and key in self._tokens:
            return "Bearer " + self._tokens[key], "cached"
        token = await self._fetch_token(oauth2)
        self._tokens[key] = token
        return "Bearer " + token, "renewed" if renew else "fetched"

    async def _fetch_token(self, oauth2: dict[str, Any]) -> str:
        url = str(oauth2.get("tokenRequestUrl", ""))
        method = str(oauth2.get("method", "POST")).upper()
        headers = _header_pairs(oauth2.get("headers"))
        payload = oauth2.get("payload")
        try:
            response = await self._client().request(
                method, url, headers=headers, content=payload.encode() if isinstance(payload, str) else None
            )
        except httpx.TimeoutException:
            raise TokenFailure(
                f"the token endpoint did not answer within {self.timeout:g} s", unreachable=True
            ) from None
        except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
            raise TokenFailure(
                f"the token endpoint cannot be reached ({type(exc).__name__})", unreachable=True
            ) from None
        if not response.is_success:
            raise TokenFailure(f"the token endpoint answered {response.status_code}", status=response.status_code)
        try:
            answer = response.json()
        except ValueError:
            raise TokenFailure("the token endpoint's answer is not JSON", status=response.status_code) from None
        token = token_at(answer, str(oauth2.get("accessTokenPath", "")))
        if token is None:
            path = oauth2.get("accessTokenPath")
            raise TokenFailure(f"no token string at accessTokenPath {path!r} in the token endpoint's answer")
        return token

    async def _post(self, recipient: Recipient, payload: dict[str, Any], authorization: str | None) -> Attempt:
        headers = {"Content-Type": "application/json", **dict(recipient.headers)}
        if authorization is not None:
            headers["Authorization"] = authorization
        started = time.perf_counter()
        try:
            response = await self._client().post(recipient.callback, headers=headers, content=json.dumps(payload))
        except httpx.TimeoutException:
            error = f"no answer within {self.timeout:g} s"
            return Attempt(None, "timeout", _ms(started), error)
        except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
            return Attempt(None, "unreachable", _ms(started), f"cannot be reached ({type(exc).__name__})")
        outcome = "delivered" if response.is_success else "rejected"
        return Attempt(response.status_code, outcome, _ms(started))

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            # No proxies from the environment: the hub calls the callbacks the configuration names, directly.
            self._http = httpx.AsyncClient(timeout=self.timeout, trust_env=False, follow_redirects=False)
        return self._http

    def _record(
        self, recipient: Recipient, about: dict[str, Any], scheme: str, token: str | None, attempt: Attempt
    ) -> None:
        record: dict[str, Any] = {
            "seq": len(self.records) + 1,
            "at": self._now(),
            **about,
            "to": recipient.describe(),
            "auth": {"scheme": scheme, **({"token": token} if token else {})},
            "status": attempt.status,
            "outcome": attempt.outcome,
            "latencyMs": round(attempt.latency_ms, 1),
        }
        if attempt.error:
            record["error"] = attempt.error
        if len(self.records) < MAX_RECORDS:
            self.records.append(record)

    def _notify(self, recipient: Recipient, about: dict[str, Any], reason: str) -> None:
        self.notifications.append(
            {
                "at": self._now(),
                "email": recipient.notification_email,
                "application": recipient.application,
                "role": recipient.role,
                "conversation": about.get("conversation"),
                "reason": f"callback {recipient.shown_callback}: {reason}",
            }
        )


def _scheme(authentication: dict[str, Any] | None) -> str:
    if authentication is None:
        return "none"
    return f"{authentication.get('type')} ({authentication.get('name')})"


def _header_pairs(headers: Any) -> dict[str, str]:
    pairs = headers if isinstance(headers, list) else []
    return {str(pair.get("name")): str(pair.get("value", "")) for pair in pairs if isinstance(pair, dict)}


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000

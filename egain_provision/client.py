"""An async client for the eGain Conversation Manager v3 setup API.

One token per run, shared by concurrent requests and renewed once on 401; reads retried on
429 (honouring Retry-After), 5xx and connection errors; writes retried only where the server
cannot have acted (429), everything ambiguous is raised for the caller to resolve. An adaptive
limit (limits.py, shared with apply's scheduler) bounds the work in flight and halves while 429s keep coming.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from egain_provision.errors import ApiError, TargetError, TransportError, api_error_class
from egain_provision.kinds import Kind
from egain_provision.limits import DEFAULT_PARALLELISM, AdaptiveLimit, RetryPolicy
from egain_provision.listing import ASKED_PAGE_SIZE, IncompleteRead, Listing, Page, parse_page, read_kind

log = logging.getLogger("egain_provision.http")

# One answer, however it is sent, is read up to this size, then refused.
MAX_ANSWER_BYTES = 32 * 1024 * 1024
_ENCODED_HEADERS = ("content-encoding", "content-length")
# The spec's only declared scope; it carries the manage and read permissions the tool needs.
DEFAULT_SCOPE = "https://api.egain.cloud/auth/.default"
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
T = TypeVar("T")


@dataclass(frozen=True)
class Credentials:
    """How to get a bearer token: OAuth2 client credentials, or a ready token."""

    token_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    scope: str = DEFAULT_SCOPE
    access_token: str | None = None

    def __repr__(self) -> str:
        # Never let a secret reach a log or traceback through repr().
        return f"Credentials(token_url={self.token_url!r}, client_id={self.client_id!r}, scope={self.scope!r})"


class AnswerTooLarge(ApiError):
    """An answer over MAX_ANSWER_BYTES: refused rather than held in memory."""


class EgainClient:
    """The six setup resources over HTTP. Use as `async with EgainClient(...) as client:`."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        limit: AdaptiveLimit | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.retry = retry or RetryPolicy()
        self.limit = limit or AdaptiveLimit(DEFAULT_PARALLELISM)
        self.timeout = timeout
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False)
        self._token: str | None = credentials.access_token
        self._token_generation = 0
        self._token_lock = asyncio.Lock()

    async def __aenter__(self) -> EgainClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    # --- resources -------------------------------------------------------------------------

    async def list_page(self, kind: Kind, pagenum: int | None) -> Page:
        """One page of a kind's list (`pagenum` None: the plain list, no query parameters).

        An empty collection may answer 204, or 404 with an eGain error body; a 404 without one
        means the path is wrong (IncompleteRead naming the URL and the expected base).
        """
        params = None if pagenum is None else {"$pagenum": str(pagenum), "$pagesize": str(ASKED_PAGE_SIZE)}
        try:
            response = await self._send("GET", kind.api_path, params=params, idempotent=True)
        except ApiError as exc:
            if exc.status == 404 and exc.code is not None and exc.code.startswith("404"):
                return Page([], 0)
            if exc.status == 404:
                raise IncompleteRead(
                    f"GET {self.base_url}{kind.api_path}: 404 without an eGain error body; this is not the setup API",
                    hint="the target's base URL ends in /conversation/conversationmgr/v3 (for example "
                    "https://<tenant>.egain.cloud/conversation/conversationmgr/v3)",
                ) from None
            raise
        if response.status_code == 204:
            return Page([], 0)
        return parse_page(kind, _json(response, "GET", kind.api_path), f"{self.base_url}{kind.api_path}")

    async def list_all(self, kind: Kind) -> Listing:
        """Every object of a kind, read whole (or IncompleteRead)."""
        return await read_kind(kind, self.list_page)

    async def get(self, kind: Kind, object_id: str) -> dict[str, Any]:
        """One object by id (raises ApiError with status 404 when it does not exist)."""
        path = f"{kind.api_path}/{object_id}"
        response = await self._send("GET", path, idempotent=True)
        return _json(response, "GET", path)

    async def create(self, kind: Kind, body: dict[str, Any]) -> str:
        """POST a new object; its id. An ambiguous failure raises TransportError or a 5xx ApiError."""
        response = await self._send("POST", kind.api_path, json=body, idempotent=False)
        created = _json(response, "POST", kind.api_path)
        object_id = created.get("id")
        if not isinstance(object_id, str):
            raise ApiError(
                "create answered without an id", status=response.status_code, method="POST", path=kind.api_path
            )
        return object_id

    async def update(self, kind: Kind, object_id: str, body: dict[str, Any]) -> None:
        """PUT a full replacement; a `modified` in the body makes the server reject a stale write (409)."""
        await self._send("PUT", f"{kind.api_path}/{object_id}", json=body, idempotent=False)

    async def delete(self, kind: Kind, object_id: str) -> None:
        """DELETE an object."""
        await self._send("DELETE", f"{kind.api_path}/{object_id}", idempotent=False)

    # --- transport -------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        idempotent: bool,
    ) -> httpx.Response:
        url = self.base_url + path
        renewed = False
        attempt = 0
        while True:
            token, generation = await self._ensure_token()
            started = time.monotonic()
            try:
                async with self.limit.request():
                    response = await self._exchange(method, url, params=params, json=json, token=token)
            except (httpx.TransportError, OSError, TimeoutError) as exc:
                log.debug("%s %s failed after %.0f ms: %s", method, path, _ms(started), type(exc).__name__)
                if not idempotent or attempt + 1 >= self.retry.attempts:
                    raise TransportError(
                        f"{method} {path}: connection failed ({type(exc).__name__}); the request may or may not"
                        " have reached the API",
                        hint="check the target URL and network, then run the command again",
                    ) from None
                await asyncio.sleep(self.retry.delay(attempt, None))
                attempt += 1
                continue
            log.debug("%s %s -> %d in %.0f ms", method, path, response.status_code, _ms(started))
            status = response.status_code
            if status == 401 and not renewed and self._can_renew():
                renewed = True
                await self._renew_token(generation)
                continue
            if status in RETRYABLE_STATUS and (idempotent or status == 429) and attempt + 1 < self.retry.attempts:
                if status == 429:
                    self.limit.throttled()
                await asyncio.sleep(self.retry.delay(attempt, _retry_after(response)))
                attempt += 1
                continue
            if 300 <= status < 400:
                location = response.headers.get("Location", "(no Location)")
                raise ApiError(
                    f"{method} {path}: the API answered {status}, a redirect to {location}; redirects are not followed",
                    status=status,
                    method=method,
                    path=path,
                    hint="use the URL the API lives at as the target (no redirect in between)",
                )
            if status >= 400:
                raise _api_error(response, method, path)
            self.limit.succeeded()
            return response

    async def _exchange(
        self, method: str, url: str, *, params: dict[str, str] | None, json: dict[str, Any] | None, token: str
    ) -> httpx.Response:
        """One request and its whole answer within the timeout, read up to MAX_ANSWER_BYTES."""
        request = self._http.build_request(
            method, url, params=params, json=json, headers={"Authorization": f"Bearer {token}"}
        )
        async with asyncio.timeout(self.timeout):
            response = await self._http.send(request, stream=True)
            try:
                body = bytearray()
                async for chunk in response.aiter_bytes():  # decoded: a compressed bomb is capped too
                    body += chunk
                    if len(body) > MAX_ANSWER_BYTES:
                        raise AnswerTooLarge(
                            f"{method} {request.url.path}: the answer is larger than {MAX_ANSWER_BYTES >> 20} MiB; "
                            "refused",
                            status=response.status_code,
                            method=method,
                            path=request.url.path,
                        )
            finally:
                await response.aclose()
        # Decoded already: the new answer must not claim an encoding or the encoded length.
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _ENCODED_HEADERS]
        return httpx.Response(response.status_code, headers=headers, content=bytes(body), request=request)

    def _can_renew(self) -> bool:
        return self.credentials.token_url is not None

    async def _ensure_token(self) -> tuple[str, int]:
        """The current token and its generation, read together (a 401 renews only that generation)."""
        if self._token is None:
            await self._renew_token(self._token_generation)
        assert self._token is not None
        return self._token, self._token_generation

    async def _renew_token(self, seen_generation: int) -> None:
        async with self._token_lock:
            # Another request renewed it while this one waited: use that token.
            if self._token_generation != seen_generation and self._token is not None:
                return
            self._token = await self._fetch_token()
            self._token_generation += 1

    async def _fetch_token(self) -> str:
        creds = self.credentials
        if not (creds.token_url and creds.client_id and creds.client_secret):
            raise TargetError(
                "no usable credentials: the access token was refused and no client credentials are set",
                hint="set EGAIN_TOKEN_URL, EGAIN_CLIENT_ID, EGAIN_CLIENT_SECRET (or a fresh EGAIN_ACCESS_TOKEN)",
            )
        form = {
            "grant_type": "client_credentials",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            "scope": creds.scope,
        }
        for attempt in range(self.retry.attempts):
            try:
                response = await self._http.post(creds.token_url, data=form)
            except (httpx.TransportError, OSError) as exc:
                if attempt + 1 >= self.retry.attempts:
                    raise TargetError(
                        f"cannot reach the token endpoint {creds.token_url} ({type(exc).__name__})",
                        hint="check EGAIN_TOKEN_URL and the network",
                    ) from None
                await asyncio.sleep(self.retry.delay(attempt, None))
                continue
            if response.status_code in RETRYABLE_STATUS and attempt + 1 < self.retry.attempts:
                await asyncio.sleep(self.retry.delay(attempt, _retry_after(response)))
                continue
            break
        if response.status_code != 200:
            raise TargetError(
                f"the token endpoint {creds.token_url} refused the client credentials (HTTP {response.status_code})",
                hint="check EGAIN_CLIENT_ID, EGAIN_CLIENT_SECRET and EGAIN_SCOPE",
            )
        try:
            token = response.json()["access_token"]
        except (ValueError, KeyError, TypeError):
            token = None
        if not isinstance(token, str) or not token:
            raise TargetError(f"the token endpoint {creds.token_url} answered without an access_token")
        return token


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _json(response: httpx.Response, method: str, path: str) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise ApiError(
            f"{method} {path}: the API answered {response.status_code} without a JSON object",
            status=response.status_code,
            method=method,
            path=path,
        )
    return payload


def _api_error(response: httpx.Response, method: str, path: str) -> ApiError:
    code: str | None = None
    message = response.reason_phrase or "error"
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        code = payload.get("code") if isinstance(payload.get("code"), str) else None
        if isinstance(payload.get("developerMessage"), str):
            message = payload["developerMessage"]
    status = response.status_code
    text = f"{method} {path} -> {status}" + (f" {code}" if code else "") + f": {message}"
    error_class = api_error_class(status, code, method)
    hint = None
    if status in (401, 403):
        hint = (
            "check the credentials and that the client has the app.conversation.conversationmgr.manage"
            " and .read permissions"
        )
    return error_class(text, status=status, code=code, method=method, path=path, hint=hint)

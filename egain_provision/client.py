"""An async client for the eGain Conversation Manager v3 setup API.

One token per run, shared by concurrent requests and renewed on every 401 that says it expired
(a ready token cannot be: its first 401 stops the run); reads retried on 429 (honouring
Retry-After in both forms), 5xx and connection errors; writes retried only where the server
cannot have acted (429), everything ambiguous is raised for the caller to resolve. An adaptive
limit (limits.py, shared with apply's scheduler) bounds the work in flight and halves while 429s keep coming.
"""

from __future__ import annotations

import asyncio
import collections
import datetime
import email.utils
import logging
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

import httpx

from egain_provision.errors import ApiError, ProvisionerError, TargetError, TransportError, api_error_class
from egain_provision.kinds import Kind
from egain_provision.limits import DEFAULT_PARALLELISM, NOTICEABLE_WAIT, AdaptiveLimit, Pacer, RetryPolicy
from egain_provision.listing import ASKED_PAGE_SIZE, IncompleteRead, Listing, Page, parse_page, read_kind
from egain_provision.redact import Redactor

log = logging.getLogger("egain_provision.http")

# One answer, however it is sent, is read up to this size, then refused.
MAX_ANSWER_BYTES = 32 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0
_ENCODED_HEADERS = ("content-encoding", "content-length")
# The spec's only declared scope; it carries the manage and read permissions the tool needs.
DEFAULT_SCOPE = "https://api.egain.cloud/auth/.default"
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
# Fresh tokens the tenant may refuse in a row (each a 401 before any request succeeded with it)
# before the run stops: a token endpoint whose tokens this API never accepts is not helped by more.
MAX_FRESH_REFUSALS = 3
# URLs a client keeps parsed (`_parsed`): enough for every collection, few enough to hold.
PARSED_URLS = 64
# A Retry-After longer than this is absurd; it is read as this, and fails against any budget.
MAX_RETRY_AFTER = 10.0**9


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


def says_nothing_exists(error: ApiError) -> bool:
    """A list's 404 that means "no objects": an eGain error body (a 404 code) that does not blame the path.

    A 404 without one, or one naming a path or route, means the URL is wrong: reading it as an
    empty tenant would plan to create everything.
    """
    words = error.message.lower()
    return error.code is not None and error.code.startswith("404") and "path" not in words and "route" not in words


class AnswerTooLarge(ApiError):
    """An answer over MAX_ANSWER_BYTES: refused rather than held in memory."""


class RunOutOfTime(ProvisionerError):
    """A retry would wait past the run's deadline (RunDeadline): the outcome is unknown, not failed."""


class EgainClient:
    """The six setup resources over HTTP. Use as `async with EgainClient(...) as client:`."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        limit: AdaptiveLimit | None = None,
        pacer: Pacer | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        ca_cert: str | None = None,
        redact: Redactor | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.retry = retry or RetryPolicy()
        self.limit = limit or AdaptiveLimit(DEFAULT_PARALLELISM)
        self.pacer = pacer or Pacer(None)
        self.stats = RequestStats()
        # Every server message goes through it: servers echo tokens, secrets and bodies back.
        self.redact = redact or Redactor()
        self.redact.add(credentials.client_secret)
        self.redact.add(credentials.access_token)
        self.timeout = timeout
        self._http = httpx.AsyncClient(
            transport=transport, timeout=timeout, follow_redirects=False, verify=ca_cert if ca_cert else True
        )
        self.tokens = Tokens(
            self._http, credentials, retry=self.retry, timeout=timeout, redact=self.redact, notice=self.pacer.notice
        )
        # The end of the whole run, when a command sets one (doctor's --time-budget): no wait goes past it.
        self.run_deadline: RunDeadline | None = None
        self._urls: dict[str, httpx.URL] = {}

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
            if exc.status == 404 and says_nothing_exists(exc):
                return Page([], 0)
            if exc.status == 404:
                raise IncompleteRead(
                    f"GET {self.base_url}{kind.api_path}: 404 ({exc.message}); this is not the setup API's list",
                    hint="the target's base URL ends in /conversation/conversationmgr/v3 (for example "
                    "https://<tenant>.egain.cloud/conversation/conversationmgr/v3)",
                ) from None
            raise
        if response.status_code == 204:
            return Page([], 0)
        try:
            return parse_page(kind, _json(response, "GET", kind.api_path), f"{self.base_url}{kind.api_path}")
        except IncompleteRead as exc:
            raise IncompleteRead(self.redact(exc.message), hint=exc.hint) from None

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
        budget = RetryBudget(self.retry, f"{method} {path}", self.pacer.notice, self.stats, self.run_deadline)
        while True:
            started = time.monotonic()
            # Fetched before the pace: requests that waited for the first token must not go out together.
            await self.tokens.current()
            try:
                async with self.limit.request():
                    # Paced inside the room: requests that queued for it must not go out together.
                    await self.pacer.take()
                    # Read again after those waits, which may outlast a token read before them.
                    token, generation = await self.tokens.current()
                    self.stats.requests += 1
                    self.stats.by_method[method] += 1
                    self.pacer.sent[method] += 1
                    response = await self._exchange(method, url, params=params, json=json, token=token)
            except (httpx.TransportError, OSError, TimeoutError) as exc:
                log.debug("%s %s failed after %.0f ms: %s", method, path, _ms(started), type(exc).__name__)
                failure = self._transport_error(method, path, exc)
                # A server that holds a request for the whole timeout is not helped by another one.
                if not idempotent or isinstance(exc, TimeoutError | httpx.TimeoutException):
                    raise failure from None
                await budget.wait(failure)
                continue
            log.debug("%s %s -> %d in %.0f ms", method, path, response.status_code, _ms(started))
            status = response.status_code
            if status == 401:
                # The server did not act on a request it did not authenticate: any method may go again.
                refusal = self._redacted(_api_error(response, method, path))
                budget.check_time_left(refusal, "the token was renewed")
                await self.tokens.refused(generation, refusal)
                continue
            self.tokens.accepted(generation)
            if status in RETRYABLE_STATUS and (idempotent or status == 429):
                retry_after = response.headers.get("Retry-After")
                pacing = self._throttled(status, retry_after)
                refused = self._redacted(_api_error(response, method, path))
                await budget.wait(refused, status=status, retry_after=retry_after, pacing=pacing)
                continue
            if 300 <= status < 400:
                raise self._redacted(_redirect_error(response, method, path))
            if status >= 400:
                raise self._redacted(_api_error(response, method, path))
            self.limit.succeeded()
            self.pacer.succeeded()
            return response

    def _redacted(self, error: ApiError) -> ApiError:
        """The error with the server's words cleared of every sensitive value this run knows."""
        error.message = self.redact(error.message)
        error.args = (error.message,)
        return error

    def _throttled(self, status: int, retry_after: str | None) -> str:
        """Count a 429 and adapt to it; what the pacing does next, for the wait line.

        A paced run adapts its pace alone (its concurrency does not set its rate); an unpaced one
        halves its concurrency.
        """
        if status != 429:
            return ""
        self.stats.throttled += 1
        if self.pacer.rate is None:
            self.limit.throttled()
            return ""
        honoured = retry_after is not None and parse_retry_after(retry_after, time.time()) is not None
        return self.pacer.throttled(honoured)

    def _transport_error(self, method: str, path: str, exc: BaseException) -> TransportError:
        """A failed exchange, naming the host and port and what was tried."""
        parsed = httpx.URL(self.base_url)
        where = f"{parsed.host}:{parsed.port or (443 if parsed.scheme == 'https' else 80)}"
        if isinstance(exc, TimeoutError | httpx.TimeoutException):
            what = f"no whole answer from {where} within {self.timeout:g} s (--timeout)"
        else:
            what = f"connection to {where} failed ({type(exc).__name__})"
        return TransportError(
            f"{method} {path}: {what}; the request may or may not have reached the API",
            hint="check the target URL, the network and any proxy (HTTPS_PROXY), then run the command again",
        )

    async def probe(self, path: str, params: dict[str, str] | None = None) -> httpx.Response:
        """One authenticated GET whose answer, whatever its status, is returned as is (for `doctor`)."""
        await self.tokens.current()
        await self.pacer.take()
        async with self.limit.request():
            token, _ = await self.tokens.current()
            self.stats.requests += 1
            self.stats.by_method["GET"] += 1
            self.pacer.sent["GET"] += 1
            return await self._exchange("GET", self.base_url + path, params=params, json=None, token=token)

    async def token_for(self, scope: str) -> httpx.Response:
        """The token endpoint's answer to these credentials with `scope` (for `doctor`; never raises for a refusal)."""
        creds = self.credentials
        form = {
            "grant_type": "client_credentials",
            "client_id": creds.client_id or "",
            "client_secret": creds.client_secret or "",
            "scope": scope,
        }
        request = self._http.build_request("POST", creds.token_url or "", data=form)
        response = await bounded_send(self._http, request, self.timeout)
        for value in (token_answer_fields(response) or {}).values():
            self.redact.add(value)
        return response

    async def _exchange(
        self, method: str, url: str, *, params: dict[str, str] | None, json: dict[str, Any] | None, token: str
    ) -> httpx.Response:
        """One request and its whole answer within the timeout, read up to MAX_ANSWER_BYTES."""
        request = self._http.build_request(
            method, self._parsed(url), params=params, json=json, headers={"Authorization": f"Bearer {token}"}
        )
        return await bounded_send(self._http, request, self.timeout)

    def _parsed(self, url: str) -> httpx.URL:
        """`url` parsed, the first PARSED_URLS of a run (the collections: every create and list page) once only.

        httpx parses a URL given as text for every request: half the CPU of building one.
        """
        parsed = self._urls.get(url)
        if parsed is None:
            parsed = httpx.URL(url)
            if len(self._urls) < PARSED_URLS:
                self._urls[url] = parsed
        return parsed


async def bounded_send(http: httpx.AsyncClient, request: httpx.Request, timeout: float) -> httpx.Response:
    """Send `request` and read its whole answer within `timeout`, up to MAX_ANSWER_BYTES (decoded), else refuse."""
    async with asyncio.timeout(timeout):
        response = await http.send(request, stream=True)
        try:
            body = bytearray()
            async for chunk in response.aiter_bytes():  # decoded: a compressed bomb is capped too
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    raise AnswerTooLarge(
                        f"{request.method} {request.url.path}: the answer is larger than "
                        f"{MAX_ANSWER_BYTES >> 20} MiB; refused",
                        status=response.status_code,
                        method=request.method,
                        path=request.url.path,
                    )
        finally:
            await response.aclose()
    # Decoded already: the new answer must not claim an encoding or the encoded length.
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _ENCODED_HEADERS]
    return httpx.Response(response.status_code, headers=headers, content=bytes(body), request=request)


class Tokens:
    """One bearer token per run, shared by concurrent requests and renewed once per generation.

    Renewed on every 401, as often as tokens expire, but never endlessly: a ready token cannot be
    renewed (its first 401 stops the run), and MAX_FRESH_REFUSALS fresh tokens refused in a row
    stop it too. Once stopped, every request raises the same error without being sent.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        credentials: Credentials,
        *,
        retry: RetryPolicy,
        timeout: float,
        redact: Redactor,
        notice: Callable[[str], None] | None,
    ) -> None:
        self._http = http
        self.credentials = credentials
        self.retry = retry
        self.timeout = timeout
        self.redact = redact
        self.notice = notice
        self._token: str | None = credentials.access_token
        self._token_generation = 0
        self._token_lock = asyncio.Lock()
        # The newest generation a request got past authentication with, and how many since were refused.
        self._accepted_generation = -1
        self._fresh_refusals = 0
        self._stopped: TargetError | None = None

    @property
    def can_renew(self) -> bool:
        return self.credentials.token_url is not None

    async def current(self) -> tuple[str, int]:
        """The current token and its generation, read together (a 401 renews only that generation)."""
        if self._stopped is not None:
            raise _copy(self._stopped)
        if self._token is None:
            await self.renew(self._token_generation)
        assert self._token is not None
        return self._token, self._token_generation

    def accepted(self, generation: int) -> None:
        """A request with this generation's token got past authentication (any answer but 401)."""
        if generation > self._accepted_generation:
            self._accepted_generation = generation
            self._fresh_refusals = 0

    async def refused(self, generation: int, refusal: ApiError) -> None:
        """A 401 to this generation's token: renew it, or stop the run when it cannot or should not be."""
        if not self.can_renew:
            self._stop(
                TargetError(
                    f"the access token (EGAIN_ACCESS_TOKEN) was refused as expired or invalid ({refusal.message}); "
                    "a ready token cannot be renewed, so nothing more is sent. To let the tool renew its token, "
                    "set EGAIN_TOKEN_URL, EGAIN_CLIENT_ID and EGAIN_CLIENT_SECRET (client credentials) instead; "
                    "else export a fresh EGAIN_ACCESS_TOKEN and run again"
                )
            )
        async with self._token_lock:
            if self._stopped is not None:
                raise _copy(self._stopped)
            if generation != self._token_generation:
                return  # another request renewed it meanwhile: use that token
            if generation > self._accepted_generation:
                self._fresh_refusals += 1
            if self._fresh_refusals >= MAX_FRESH_REFUSALS:
                self._stop(
                    TargetError(
                        f"the tenant refused {self._fresh_refusals} fresh tokens in a row, each before any request "
                        f"succeeded with it ({refusal.message}); nothing more is sent. Check that EGAIN_TOKEN_URL "
                        "issues tokens for this API (the target) and that EGAIN_SCOPE grants the Conversation "
                        "Manager permissions"
                    )
                )
            await self._renew_locked()

    def _stop(self, error: TargetError) -> NoReturn:
        self._stopped = error
        raise _copy(error)

    async def renew(self, seen_generation: int) -> None:
        """A new token, unless another request renewed the one `seen_generation` names meanwhile."""
        async with self._token_lock:
            # Another request renewed it while this one waited: use that token.
            if self._token_generation != seen_generation and self._token is not None:
                return
            await self._renew_locked()

    async def _renew_locked(self) -> None:
        self._token = await self._fetch()
        self._token_generation += 1

    async def _token_answer(self, url: str, form: dict[str, str]) -> httpx.Response:
        """The token endpoint's answer, retried within the retry budget like any read."""
        budget = RetryBudget(self.retry, f"POST {url}", self.notice)
        while True:
            try:
                response = await bounded_send(
                    self._http, self._http.build_request("POST", url, data=form), self.timeout
                )
            except (httpx.TransportError, OSError, TimeoutError) as exc:
                failure = TargetError(
                    f"cannot reach the token endpoint {url} ({type(exc).__name__})",
                    hint="check EGAIN_TOKEN_URL and the network",
                )
                await budget.wait(failure)
                continue
            if response.status_code not in RETRYABLE_STATUS:
                return response
            await budget.wait(
                _token_refusal(url, response),
                status=response.status_code,
                retry_after=response.headers.get("Retry-After"),
            )

    async def _fetch(self) -> str:
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
        response = await self._token_answer(creds.token_url, form)
        if response.status_code != 200:
            raise _token_refusal(creds.token_url, response)
        answer = token_answer_fields(response)
        # The whole answer is sensitive: the token, and any refresh or id token beside it.
        for value in (answer or {}).values():
            self.redact.add(value)
        token = answer.get("access_token") if answer is not None else None
        if not isinstance(token, str) or not token:
            raise TargetError(
                f"the token endpoint {creds.token_url} answered without an access_token "
                "(read as a JSON object or a form-encoded body)",
                hint="check EGAIN_TOKEN_URL: it is the OAuth2 token endpoint of the tenant's client application",
            )
        return token


def _copy(error: TargetError) -> TargetError:
    """A new exception for each raise: one instance raised in concurrent requests would chain their tracebacks."""
    return TargetError(error.message)


def token_answer_fields(response: httpx.Response) -> dict[str, Any] | None:
    """A token endpoint's answer as fields: a JSON object (RFC 6749 5.1), else a form-encoded body.

    Some servers answer `access_token=...&token_type=bearer` (application/x-www-form-urlencoded);
    None when the body is neither.
    """
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        return payload
    try:
        pairs = urllib.parse.parse_qsl(response.text.strip(), strict_parsing=True)
    except (ValueError, UnicodeDecodeError):
        return None
    return dict(pairs) if pairs else None


# What a token endpoint's `error` means, and what to do about it (RFC 6749 section 5.2).
_TOKEN_HINTS = {
    "invalid_client": "the client id or secret is wrong: check EGAIN_CLIENT_ID and EGAIN_CLIENT_SECRET",
    "unauthorized_client": "this client may not use client credentials: check the application's grant types",
    "invalid_scope": "the scope is not granted to this client: set EGAIN_SCOPE (for example "
    "https://api.egain.cloud/auth/.default or app.conversation.conversationmgr.manage)",
    "invalid_grant": "the grant was refused: check the client's credentials and the token URL",
    "unsupported_grant_type": "the endpoint does not take client credentials: check EGAIN_TOKEN_URL",
}


def _token_refusal(url: str, response: httpx.Response) -> TargetError:
    """Why the token endpoint said no, in its own words (the `error` code), with the matching hint."""
    if response.status_code == 404:
        return TargetError(
            f"the token endpoint {url} does not exist (HTTP 404)",
            hint="check EGAIN_TOKEN_URL: https://login.egain.cloud/global/<GATEWAY_ID>/oauth2/v2.0/token",
        )
    payload = token_answer_fields(response)
    reason = payload.get("error") if payload is not None else None
    if isinstance(reason, str) and reason.isidentifier():
        return TargetError(
            f"the token endpoint {url} refused the client credentials: {reason} (HTTP {response.status_code})",
            hint=_TOKEN_HINTS.get(reason, "check EGAIN_CLIENT_ID, EGAIN_CLIENT_SECRET and EGAIN_SCOPE"),
        )
    return TargetError(
        f"the token endpoint {url} refused the client credentials (HTTP {response.status_code})",
        hint="check EGAIN_CLIENT_ID, EGAIN_CLIENT_SECRET and EGAIN_SCOPE",
    )


def _redirect_error(response: httpx.Response, method: str, path: str) -> ApiError:
    location = response.headers.get("Location", "(no Location)")
    return ApiError(
        f"{method} {path}: the API answered {response.status_code}, a redirect to {location}; "
        "redirects are not followed",
        status=response.status_code,
        method=method,
        path=path,
        hint="use the URL the API lives at as the target (no redirect in between)",
    )


@dataclass
class RequestStats:
    """What a client's requests cost: how many were sent, how many answered 429, seconds spent waiting."""

    requests: int = 0
    throttled: int = 0
    waited: float = 0.0
    # Requests sent per method: the tiers' monthly quotas count each method apart.
    by_method: collections.Counter[str] = field(default_factory=collections.Counter)


@dataclass(frozen=True)
class RunDeadline:
    """When a whole run must end (monotonic clock), and the option that says so: no retry waits past it."""

    at: float
    option: str  # e.g. "doctor's --time-budget of 60 s"


class RetryBudget:
    """One request's retries, bounded in time (RetryPolicy.budget, and the run's deadline when it has one).

    A usable `Retry-After` is honoured within it; any other wait is the policy's backoff, never
    below its floor. Every wait is logged (`-v`) with its reason; a long one is announced.
    """

    def __init__(
        self,
        policy: RetryPolicy,
        what: str,
        notice: Callable[[str], None] | None,
        stats: RequestStats | None = None,
        run_deadline: RunDeadline | None = None,
    ) -> None:
        self.policy = policy
        self.what = what
        self.notice = notice
        self.stats = stats or RequestStats()
        self.deadline = time.monotonic() + policy.budget
        self.limit = f"the retry budget of {policy.budget:g} s (--retry-budget)"
        self.run_deadline = run_deadline
        if run_deadline is not None and run_deadline.at < self.deadline:
            self.deadline = run_deadline.at
            self.limit = f"the time left of {run_deadline.option}"
        self.attempt = 0

    def check_time_left(self, failure: ProvisionerError, doing: str) -> None:
        """Raise `failure` when this request's time is up (a loop without waits, such as token renewals)."""
        if time.monotonic() >= self.deadline:
            failure.message += f" (gave up: {doing} until {self.limit} ran out)"
            raise failure

    async def wait(
        self,
        failure: ProvisionerError,
        *,
        status: int | None = None,
        retry_after: str | None = None,
        pacing: str = "",
    ) -> None:
        """Sleep before the next attempt, or raise `failure` (with why) when the budget does not allow it.

        `status` is the answer's (None: no answer at all), `retry_after` its header as sent,
        `pacing` what the run's pace does about it (said in the wait line).
        """
        left = self.deadline - time.monotonic()
        asked = parse_retry_after(retry_after, time.time()) if retry_after is not None else None
        delay = self.policy.delay(self.attempt, asked)
        reason = _wait_reason(status, retry_after, asked)
        if delay > left:
            if asked is not None:
                failure.message += f" (gave up: the tenant asks to wait {asked:g} s (Retry-After), beyond {self.limit})"
            else:
                failure.message += (
                    f" (gave up after {self.attempt + 1} attempts: {reason}; the next wait of {delay:.2f} s "
                    f"is beyond {self.limit})"
                )
            if self.run_deadline is not None and self.deadline == self.run_deadline.at:
                raise RunOutOfTime(failure.message, hint=f"give the run more time ({self.run_deadline.option})")
            raise failure
        log.debug("%s: %s: waiting %.2f s before retrying%s", self.what, reason, delay, pacing)
        if delay >= NOTICEABLE_WAIT and self.notice is not None:
            self.notice(f"{reason}: waiting {delay:.0f} s before retrying {self.what}{pacing}")
        self.attempt += 1
        self.stats.waited += delay
        await asyncio.sleep(delay)


def _wait_reason(status: int | None, retry_after: str | None, asked: float | None) -> str:
    """Why a request waits, as the tenant's answer shows it, and whose wait it is."""
    if status is None:
        return "the tenant did not answer"
    answered = "rate limited by the tenant (HTTP 429)" if status == 429 else f"the tenant answered HTTP {status}"
    if asked is not None:
        return f"{answered}, Retry-After {asked:g} s"
    if retry_after is None:
        return f"{answered} without Retry-After; the tool's own backoff"
    # repr: the server's bytes, control characters escaped, cut short.
    return f"{answered}, Retry-After {retry_after[:40]!r} is not a usable wait; the tool's own backoff"


_DELTA_SECONDS = re.compile(r"\d+(?:\.\d+)?")


def parse_retry_after(value: str, now: float) -> float | None:
    """The seconds a `Retry-After` asks to wait (RFC 9110 10.2.3), or None when it is no usable wait.

    Both forms: delta-seconds (fractions accepted, as some servers send them) and an HTTP-date,
    measured from `now` (Unix time). Zero, a negative or non-numeric value, and a date in the past
    are no usable wait: the caller backs off on its own. An absurdly large value is kept (capped at
    MAX_RETRY_AFTER) so the caller's budget refuses it, saying so.
    """
    text = value.strip()
    if _DELTA_SECONDS.fullmatch(text):
        seconds = float(text)
    else:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.UTC)  # the asctime form names no zone: HTTP-dates are GMT
        seconds = when.timestamp() - now
    return min(seconds, MAX_RETRY_AFTER) if seconds > 0 else None


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000


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

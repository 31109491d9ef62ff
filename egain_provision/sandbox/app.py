"""The Starlette application: token endpoint, the six setup resources, and the admin endpoints."""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from egain_provision.sandbox import failures
from egain_provision.sandbox.auth import TokenIssuer, TokenRefused, permissions_for
from egain_provision.sandbox.config import ADMIN_PATH, BASE_PATH, TOKEN_PATH, AnswerOptions, SandboxConfig
from egain_provision.sandbox.failures import ApiFailure, error_response
from egain_provision.sandbox.faults import CHURNED, FaultInjector, FaultMiddleware, FaultSettings, RequestLog
from egain_provision.sandbox.hub import Hub, HubEndpoints
from egain_provision.sandbox.ratelimit import RateLimiter, RateLimitMiddleware, RateLimitSettings, split_changes
from egain_provision.sandbox.rules import ID_LENGTH, RESOURCES, Resource, defaulted, validate
from egain_provision.sandbox.schema import Reference, check
from egain_provision.sandbox.store import Store, StoredObject
from egain_provision.sandbox.tenants import NORMALIZATIONS, answered_form, form_token_answer, merged, stored_form
from egain_provision.sandbox.variants import (
    VARIANT_NAMES,
    Variants,
    list_response,
    page_response,
    page_size,
    pages_in_store,
    shape,
)

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
PAGING_PARAMETERS = ("$pagenum", "$pagesize")


class Sandbox:
    """The state behind one app: the store, the token issuer, the fault injector, the log, the options."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        # Settings first: a ValueError for a bad knob must not leave a new database file behind.
        self.faults = FaultInjector(FaultSettings.from_config(config))
        self.options = AnswerOptions.from_config(config)
        self.variants = Variants.from_config(config)
        self.rate_limiter = RateLimiter(RateLimitSettings.from_config(config))
        self.tokens = TokenIssuer(config.client_id, config.client_secret, config.token_lifetime)
        self.store = Store(config.db_path)
        self.store.keep_history = self.variants.list_lag_writes
        self.log = RequestLog()
        self.hub = Hub(self.store, config.callback_timeout)

    # --- token ---------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        """`POST /oauth2/token`: OAuth2 client credentials, form-encoded (or HTTP Basic client auth)."""
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
        basic = _basic_credentials(request.headers.get("authorization"))
        if basic is not None and "client_id" not in form:
            form["client_id"], form["client_secret"] = basic
        try:
            token, lifetime = self.tokens.issue(form)
        except TokenRefused as refused:
            return JSONResponse(
                {"error": refused.error, "error_description": refused.description},
                status_code=refused.status,
                headers={"Cache-Control": "no-store"},
            )
        expires_in: float = int(lifetime) if lifetime == int(lifetime) else lifetime
        if self.variants.token_format == "form":
            return Response(
                form_token_answer(token, expires_in),
                media_type="application/x-www-form-urlencoded",
                headers={"Cache-Control": "no-store"},
            )
        return JSONResponse(
            {"access_token": token, "token_type": "Bearer", "expires_in": expires_in},
            headers={"Cache-Control": "no-store"},
        )

    # --- setup resources -------------------------------------------------------------------

    async def collection(self, request: Request) -> Response:
        """`GET` (list, paged) and `POST` (create) on `/<collection>`."""
        resource = _resource(request)
        self._authorize(request, resource, is_item=False)
        if request.method == "GET":
            return self._list(resource, request)
        _no_query(request)
        validated = validate(resource, await _json_body(request), is_update=False)
        object_id = self.store.create(resource, self._stored(resource, validated.body), validated.references)
        return JSONResponse({"id": object_id}, status_code=201)

    async def item(self, request: Request) -> Response:
        """`GET`, `PUT` (full replacement) and `DELETE` on `/<collection>/{id}`."""
        resource = _resource(request)
        self._authorize(request, resource, is_item=True)
        _no_query(request)
        object_id = request.path_params["object_id"]
        if len(object_id) != ID_LENGTH:
            raise ApiFailure(
                failures.MALFORMED_ID,
                f"Path id must be exactly {ID_LENGTH} characters, not {len(object_id)}",
                [("id", object_id)],
            )
        if request.method == "GET":
            return JSONResponse(self._render(resource, self.store.get(resource, object_id)))
        if request.method == "PUT":
            await self._update(resource, object_id, request)
        elif self.variants.delete_delay:
            self.store.delete(resource, object_id, delay_ms=round(self.variants.delete_delay * 1000))
            return Response(status_code=202)
        else:
            self.store.delete(resource, object_id)
        return Response(status_code=204)

    async def _update(self, resource: Resource, object_id: str, request: Request) -> None:
        variants = self.variants
        validated = validate(
            resource, await _json_body(request), is_update=True, numeric_modified=variants.numeric_modified
        )
        rebuild = None
        if variants.put_merges:

            def rebuild(stored: dict[str, Any]) -> tuple[dict[str, Any], list[Reference]]:
                # What the merge keeps must still be a valid body; its references are checked again.
                body = merged(stored, validated.body)
                references: list[Reference] = []
                check(resource.body, body, "", references)
                return self._stored(resource, body), references

        body = self._stored(resource, validated.body)
        self.store.update(resource, object_id, body, validated.references, validated.modified_ms, rebuild)

    def _stored(self, resource: Resource, body: dict[str, Any]) -> dict[str, Any]:
        classes = tuple(name for name in self.variants.normalize if NORMALIZATIONS[name] == "store")
        return stored_form(resource.body, body, classes) if classes else body

    def _authorize(self, request: Request, resource: Resource, *, is_item: bool) -> None:
        allowed = permissions_for(request.method, resource.collection, is_item=is_item)
        self.tokens.authorize(request.headers.get("authorization"), allowed)

    def _list(self, resource: Resource, request: Request) -> Response:
        variants = self.variants
        if variants.refuses_params:
            _no_query(request)
            pagenum, pagesize = 1, 0
        else:
            pagenum, pagesize = _paging(request)
        if pagenum > 1 and variants.churn_between_pages > 0:
            self._churn(resource, (pagenum - 1) * page_size(variants, pagesize, 1), request)
        render = partial(self._render, resource, listed=True)
        if pages_in_store(variants):
            # The page alone is read from the database: a page costs the page, not the collection.
            size = page_size(variants, pagesize, 0)
            page, count = self.store.page(resource, pagenum, size)
            return page_response(variants, resource, page, count, pagenum, size, render)
        if variants.list_lag_writes:
            objects = self.store.listed_at(resource, _now_ms() - round(variants.list_lag * 1000))
        else:
            objects = self.store.listed(resource)
        return list_response(variants, resource, objects, pagenum, pagesize, render)

    def _churn(self, resource: Resource, earlier: int, request: Request) -> None:
        """Another client deletes an object from an earlier page and creates one, before this page is read."""
        churned = self.store.churn(resource, earlier, lambda n: f"{resource.singular}-of-another-client-{n}")
        if churned:
            # The option counts the churns still to come, so the admin endpoint shows what is left.
            self.variants = replace(self.variants, churn_between_pages=self.variants.churn_between_pages - 1)
            request.scope.setdefault("state", {})[CHURNED] = True

    def _render(self, resource: Resource, obj: StoredObject, *, listed: bool = False) -> dict[str, Any]:
        rendered = obj.render()
        if self.variants.numeric_modified:
            rendered["modified"] = obj.modified_ms
        if self.options.echo_defaults:
            rendered = defaulted(resource, rendered)
        answer_classes = tuple(name for name in self.variants.normalize if NORMALIZATIONS[name] == "answer")
        if answer_classes:
            rendered = answered_form(resource.body, rendered, answer_classes)
        labels = lambda: self.store.referenced_labels(obj.id)  # noqa: E731 - only asked for when enriching
        return shape(self.variants, resource, rendered, listed=listed, labels=labels)

    # --- admin -----------------------------------------------------------------------------

    async def faults_endpoint(self, request: Request) -> Response:
        """`GET /_sandbox/faults` shows the knobs (rate limit included); `PUT` changes some of them (JSON object)."""
        if request.method == "PUT":
            changes = await _admin_changes(request)
            limit_changes = split_changes(changes)
            try:
                rate_limit = self.rate_limiter.settings.updated(limit_changes)
                self.faults.configure(changes)
            except ValueError as exc:
                raise ApiFailure(failures.BAD_ADMIN_SETTINGS, str(exc)) from None
            if limit_changes:
                self.rate_limiter.configure(rate_limit)
        return JSONResponse(self.faults.settings.as_json() | self.rate_limiter.settings.as_json())

    async def options_endpoint(self, request: Request) -> Response:
        """`GET /_sandbox/options` shows how answers are shaped; `PUT` changes some options (JSON object)."""
        if request.method == "PUT":
            changes = await _admin_changes(request)
            variant_changes = {name: changes.pop(name) for name in list(changes) if name in VARIANT_NAMES}
            try:
                # Both checked before either changes: a bad option leaves all of them as they were.
                options, variants = self.options.updated(changes), self.variants.updated(variant_changes)
            except ValueError as exc:
                raise ApiFailure(failures.BAD_ADMIN_SETTINGS, str(exc)) from None
            self.options, self.variants = options, variants
            self.store.keep_history = variants.list_lag_writes
        return JSONResponse({**self.options.as_json(), **self.variants.as_json()})

    async def requests_endpoint(self, request: Request) -> Response:
        """`GET /_sandbox/requests` returns the request log; `DELETE` clears it."""
        if request.method == "DELETE":
            self.log.clear()
            return Response(status_code=204)
        return JSONResponse(self.log.entries())

    async def reset_endpoint(self, request: Request) -> Response:
        """`POST /_sandbox/reset` deletes every object and forgets every conversation."""
        self.store.reset()
        self.hub.reset()
        return Response(status_code=204)


def create_app(config: SandboxConfig) -> Starlette:
    """The sandbox as an ASGI app; creates the database file (and its directory) if needed."""
    sandbox = Sandbox(config)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await sandbox.hub.close()
        sandbox.store.close()

    hub = HubEndpoints(
        sandbox.hub,
        authorize=lambda request, allowed: sandbox.tokens.authorize(request.headers.get("authorization"), allowed),
        read_json=_json_body,
    )
    routes = [
        Route(TOKEN_PATH, sandbox.token, methods=["POST"]),
        # Before the setup resources' `/{collection}` routes, which would otherwise take these paths.
        *hub.routes(),
        Route(f"{ADMIN_PATH}/faults", sandbox.faults_endpoint, methods=["GET", "PUT"]),
        Route(f"{ADMIN_PATH}/options", sandbox.options_endpoint, methods=["GET", "PUT"]),
        Route(f"{ADMIN_PATH}/requests", sandbox.requests_endpoint, methods=["GET", "DELETE"]),
        Route(f"{ADMIN_PATH}/reset", sandbox.reset_endpoint, methods=["POST"]),
        Route(BASE_PATH + "/{collection}", sandbox.collection, methods=["GET", "POST"]),
        Route(BASE_PATH + "/{collection}/{object_id}", sandbox.item, methods=["GET", "PUT", "DELETE"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(FaultMiddleware, injector=sandbox.faults, log=sandbox.log),
            # Inside the fault middleware: its 429s are logged, and an injected fault takes no token.
            Middleware(RateLimitMiddleware, limiter=sandbox.rate_limiter, client_of=sandbox.tokens.client_of),
        ],
        exception_handlers={ApiFailure: _on_failure, HTTPException: _on_http_exception, Exception: _on_crash},
        lifespan=lifespan,
    )
    app.state.sandbox = sandbox
    return app


async def _on_failure(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiFailure)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return error_response(exc, headers)


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        failure = ApiFailure(
            failures.METHOD_NOT_ALLOWED, f"Method {request.method} is not allowed on {request.url.path}"
        )
    else:
        failure = ApiFailure(failures.NO_SUCH_PATH, f"No such path: {request.url.path}")
    return error_response(failure, dict(exc.headers or {}))


async def _on_crash(request: Request, exc: Exception) -> Response:
    if isinstance(exc, sqlite3.Error):
        # A full disk or a read-only file: say so, the way a tenant's storage failure would surface.
        return error_response(ApiFailure(failures.INTERNAL, f"The sandbox's database cannot be written: {exc}"))
    return error_response(ApiFailure(failures.INTERNAL, f"Internal error: {type(exc).__name__}"))


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _resource(request: Request) -> Resource:
    collection = request.path_params["collection"]
    resource = RESOURCES.get(collection)
    if resource is None:
        raise ApiFailure(failures.NO_SUCH_PATH, f"No such path: {request.url.path}")
    return resource


def _no_query(request: Request, allowed: tuple[str, ...] = ()) -> None:
    unsupported = sorted({name for name in request.query_params if name not in allowed})
    if unsupported:
        names = ", ".join(f"'{name}'" for name in unsupported)
        raise ApiFailure(
            failures.UNSUPPORTED_QUERY,
            f"Unsupported query parameter(s) supplied: {names}",
            [(name, request.query_params[name]) for name in unsupported],
        )


def _paging(request: Request) -> tuple[int, int]:
    _no_query(request, PAGING_PARAMETERS)
    pagenum = _positive(request, "$pagenum", 1, None)
    pagesize = _positive(request, "$pagesize", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    return pagenum, pagesize


def _positive(request: Request, name: str, default: int, maximum: int | None) -> int:
    values = request.query_params.getlist(name)
    if not values:
        return default
    text = values[-1]
    if len(values) == 1 and text.isascii() and text.isdigit() and 1 <= int(text) <= (maximum or int(text)):
        return int(text)
    limit = f"1..{maximum}" if maximum else "1 or more"
    raise ApiFailure(failures.BAD_PAGING, f"Query parameter {name} must be one integer in {limit}", [(name, text)])


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise ApiFailure(failures.MALFORMED_BODY, "Request body is not valid JSON") from None


async def _admin_changes(request: Request) -> dict[str, Any]:
    changes = await _json_body(request)
    if not isinstance(changes, dict):
        raise ApiFailure(failures.BAD_ADMIN_SETTINGS, "settings must be a JSON object of the ones to change")
    return changes


def _no_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON does not.
    raise ValueError(f"{name} is not JSON")


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, sep, secret = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return (client_id, secret) if sep else None

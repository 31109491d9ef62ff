"""The hub's HTTP endpoints: the Conversation and Asset APIs, and its admin endpoints under `/_sandbox/`."""

from __future__ import annotations

import mimetypes
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from egain_provision.sandbox import failures
from egain_provision.sandbox.auth import INTERACTION_MANAGE_ONLY, INTERACTION_MANAGE_OR_READ
from egain_provision.sandbox.config import ADMIN_PATH, BASE_PATH
from egain_provision.sandbox.failures import ApiFailure
from egain_provision.sandbox.hub.conversations import Hub

Authorize = Callable[[Request, frozenset[str]], None]
ReadJson = Callable[[Request], Awaitable[Any]]
ASSET_ID_LENGTH = 36
MAX_ASSET_SIZE = 10_485_760  # the spec's largest attachment
ASSET_URL_LIFETIME = 3600.0


@dataclass
class Asset:
    """An asset's declared name and size, and its content once uploaded to its content URL."""

    id: str
    name: str
    size: int
    content_type: str
    content: bytes | None = None
    used: bool = False


@dataclass
class HubEndpoints:
    """Binds the hub to Starlette: `authorize` checks a token's permission, `read_json` parses a body."""

    hub: Hub
    authorize: Authorize
    read_json: ReadJson
    assets: dict[str, Asset] = field(default_factory=dict)

    def routes(self) -> list[Route]:
        """The hub's routes (registered before the setup resources' catch-all collection route)."""
        return [
            Route(BASE_PATH + "/conversations/messages", self.send, methods=["POST"]),
            Route(BASE_PATH + "/conversations/{conversation_id}", self.fetch, methods=["GET"]),
            Route(BASE_PATH + "/assets", self.create_asset, methods=["POST"]),
            Route(BASE_PATH + "/assets/{asset_id}", self.asset, methods=["GET", "DELETE"]),
            Route(ADMIN_PATH + "/assets/{asset_id}/content", self.asset_content, methods=["GET", "PUT", "POST"]),
            Route(ADMIN_PATH + "/deliveries", self.deliveries, methods=["GET", "DELETE"]),
            Route(ADMIN_PATH + "/notifications", self.notifications, methods=["GET"]),
            Route(ADMIN_PATH + "/agents", self.agents, methods=["GET", "PUT"]),
            Route(ADMIN_PATH + "/clock", self.clock, methods=["GET", "POST"]),
            Route(ADMIN_PATH + "/conversations", self.conversations, methods=["GET"]),
        ]

    # --- Conversation API --------------------------------------------------------------------

    async def send(self, request: Request) -> Response:
        """`POST /conversations/messages`: 202 with the hub's id for each message."""
        self.authorize(request, INTERACTION_MANAGE_ONLY)
        body = await self.read_json(request)
        accepted = self.hub.send(body)
        self._mark_used_assets(body)
        return JSONResponse(accepted, status_code=202)

    async def fetch(self, request: Request) -> Response:
        """`GET /conversations/{id}`: the conversation with its transcript (in progress too, in the sandbox)."""
        self.authorize(request, INTERACTION_MANAGE_OR_READ)
        return JSONResponse(self.hub.conversation(_path_id(request, "conversation_id")))

    # --- Asset API ---------------------------------------------------------------------------

    async def create_asset(self, request: Request) -> Response:
        """`POST /assets`: a signed (here: sandbox) URL to upload the declared content to."""
        self.authorize(request, INTERACTION_MANAGE_ONLY)
        body = await self.read_json(request)
        name = body.get("name") if isinstance(body, dict) else None
        size = body.get("size") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name:
            raise ApiFailure(failures.REQUIRED_MISSING, "Required attribute 'name' is missing")
        if not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= MAX_ASSET_SIZE:
            raise ApiFailure(failures.VALUE_NOT_ALLOWED, f"'size' must be an integer in 1..{MAX_ASSET_SIZE}")
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        asset = Asset(id=str(uuid.uuid4()), name=name, size=size, content_type=content_type)
        self.assets[asset.id] = asset
        return JSONResponse(self._asset_json(request, asset, with_details=False))

    async def asset(self, request: Request) -> Response:
        """`GET /assets/{id}` (a URL to download it) and `DELETE` (refused once a message used it)."""
        is_get = request.method == "GET"
        self.authorize(request, INTERACTION_MANAGE_OR_READ if is_get else INTERACTION_MANAGE_ONLY)
        asset = self._asset(request)
        if is_get:
            return JSONResponse(self._asset_json(request, asset, with_details=True))
        if asset.used:
            raise ApiFailure(failures.VALUE_NOT_ALLOWED, "An asset used in a message cannot be deleted")
        del self.assets[asset.id]
        return Response(status_code=204)

    async def asset_content(self, request: Request) -> Response:
        """Upload (PUT/POST) or download (GET) an asset's content at the URL the Asset API gave."""
        asset = self._asset(request)
        if request.method == "GET":
            if asset.content is None:
                raise ApiFailure(failures.NOT_FOUND, f"Asset {asset.id} has no content yet")
            return Response(asset.content, media_type=asset.content_type)
        content = await request.body()
        if len(content) != asset.size:
            raise ApiFailure(
                failures.VALUE_NOT_ALLOWED, f"Asset {asset.id} was declared as {asset.size} bytes, not {len(content)}"
            )
        asset.content = content
        return Response(status_code=204)

    def _asset(self, request: Request) -> Asset:
        asset_id = _path_id(request, "asset_id")
        asset = self.assets.get(asset_id)
        if asset is None:
            raise ApiFailure(failures.NOT_FOUND, f"Asset {asset_id} not found")
        return asset

    def _asset_json(self, request: Request, asset: Asset, *, with_details: bool) -> dict[str, Any]:
        url = str(request.base_url).rstrip("/") + f"{ADMIN_PATH}/assets/{asset.id}/content"
        expiry = self.hub.clock.stamp_in(ASSET_URL_LIFETIME)
        details = {"name": asset.name, "contentType": asset.content_type, "size": asset.size} if with_details else {}
        return {"id": asset.id, **details, "contentUrl": url, "contentUrlExpiry": expiry}

    def _mark_used_assets(self, body: Any) -> None:
        for message in body["messages"]["message"]:
            attachments = (message.get("attachments") or {}).get("attachment") or []
            for attachment in attachments if isinstance(attachments, list) else []:
                asset = self.assets.get(str(attachment.get("id"))) if isinstance(attachment, dict) else None
                if asset is not None:
                    asset.used = True

    # --- admin -------------------------------------------------------------------------------

    async def deliveries(self, request: Request) -> Response:
        """`GET /_sandbox/deliveries[?conversation=ID]`: every delivery attempt; `DELETE` forgets them."""
        if request.method == "DELETE":
            self.hub.deliverer.records.clear()
            return Response(status_code=204)
        wanted = request.query_params.get("conversation")
        records = [r for r in self.hub.deliverer.records if wanted is None or r.get("conversation") == wanted]
        return JSONResponse(records)

    async def notifications(self, request: Request) -> Response:
        """`GET /_sandbox/notifications`: what the hub would have e-mailed about unreachable callbacks."""
        return JSONResponse(self.hub.deliverer.notifications)

    async def agents(self, request: Request) -> Response:
        """`GET /_sandbox/agents`; `PUT {"available": bool, "entryPoint": "ID"?}` switches agents on or off."""
        if request.method == "PUT":
            body = await self.read_json(request)
            available = body.get("available") if isinstance(body, dict) else None
            entry_point = body.get("entryPoint") if isinstance(body, dict) else None
            if not isinstance(available, bool) or not (entry_point is None or isinstance(entry_point, str)):
                raise ApiFailure(
                    failures.BAD_ADMIN_SETTINGS, 'send {"available": true|false} and optionally "entryPoint": "ID"'
                )
            self.hub.set_availability(available, entry_point)
        return JSONResponse(self.hub.availability())

    async def clock(self, request: Request) -> Response:
        """`GET /_sandbox/clock`; `POST {"advance": SECONDS}` moves the hub's clock (timeouts fire)."""
        if request.method == "POST":
            body = await self.read_json(request)
            seconds = body.get("advance") if isinstance(body, dict) else None
            if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
                raise ApiFailure(failures.BAD_ADMIN_SETTINGS, 'send {"advance": SECONDS} with SECONDS >= 0')
            self.hub.advance(float(seconds))
        return JSONResponse({"now": self.hub.clock.stamp(), "offsetSeconds": self.hub.clock.offset})

    async def conversations(self, request: Request) -> Response:
        """`GET /_sandbox/conversations`: each conversation's handler, state and held messages."""
        return JSONResponse(self.hub.summary())


def _path_id(request: Request, name: str) -> str:
    value = str(request.path_params[name])
    if len(value) != ASSET_ID_LENGTH:
        raise ApiFailure(
            failures.MALFORMED_ID,
            f"Path id must be exactly {ASSET_ID_LENGTH} characters, not {len(value)}",
            [("id", value)],
        )
    return value

"""OAuth2 client-credentials tokens and the permission each operation needs (the spec's
`x-egain-app-permissions`)."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from egain_provision.sandbox import failures
from egain_provision.sandbox.failures import ApiFailure

SCOPE_PREFIX = "https://api.egain.cloud/auth/"
MANAGE = "app.conversation.conversationmgr.manage"
READ = "app.conversation.conversationmgr.read"
# The Conversation API's own permissions (api.yaml, /conversations and /assets): what a bot or a
# customer front end needs to send messages and read conversations.
INTERACTION_MANAGE = "app.conversation.conversationmgr.interaction.manage"
INTERACTION_READ = "app.conversation.conversationmgr.interaction.read"
# The spec's one declared scope; the sandbox reads it as every permission of this API, so its one
# documented client can both set the tenant up and talk through the hub.
DEFAULT_SCOPE = SCOPE_PREFIX + ".default"
PERMISSIONS_OF_SCOPE: dict[str, frozenset[str]] = {
    ".default": frozenset({MANAGE, READ, INTERACTION_MANAGE, INTERACTION_READ}),
    MANAGE: frozenset({MANAGE}),
    READ: frozenset({READ}),
    INTERACTION_MANAGE: frozenset({INTERACTION_MANAGE}),
    INTERACTION_READ: frozenset({INTERACTION_READ}),
}

MANAGE_ONLY = frozenset({MANAGE})
MANAGE_OR_READ = frozenset({MANAGE, READ})
READ_ONLY = frozenset({READ})
INTERACTION_MANAGE_ONLY = frozenset({INTERACTION_MANAGE})
INTERACTION_MANAGE_OR_READ = frozenset({INTERACTION_MANAGE, INTERACTION_READ})


def permissions_for(method: str, collection: str, *, is_item: bool) -> frozenset[str]:
    """The permissions of which a token needs one for this operation, as the spec lists them."""
    if method != "GET":
        return MANAGE_ONLY
    # The spec lists only the read permission for listing authentications (its prose says manage).
    if collection == "authentications" and not is_item:
        return READ_ONLY
    return MANAGE_OR_READ


class TokenRefused(Exception):
    """The token endpoint refuses the request; `error` is the OAuth2 error code."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


@dataclass(frozen=True)
class Grant:
    """What a token allows and until when (time.monotonic seconds)."""

    permissions: frozenset[str]
    expires_at: float
    client_id: str = ""


class TokenIssuer:
    """Issues bearer tokens to one client and checks them; tokens live in memory only."""

    def __init__(self, client_id: str, client_secret: str, lifetime: float) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.lifetime = lifetime
        self._grants: dict[str, Grant] = {}
        self._lock = threading.Lock()

    def issue(self, form: dict[str, str]) -> tuple[str, float]:
        """A token for a client-credentials form, and its lifetime in seconds."""
        if form.get("grant_type") != "client_credentials":
            raise TokenRefused(400, "unsupported_grant_type", "grant_type must be client_credentials")
        # Compare in constant time: this is a credential check, even in a sandbox.
        id_ok = secrets.compare_digest(form.get("client_id", "").encode(), self.client_id.encode())
        secret_ok = secrets.compare_digest(form.get("client_secret", "").encode(), self.client_secret.encode())
        if not (id_ok and secret_ok):
            raise TokenRefused(401, "invalid_client", "unknown client_id or wrong client_secret")
        requested = form.get("scope", "").split()
        if not requested:
            raise TokenRefused(400, "invalid_request", "scope is required")
        scopes = {scope.removeprefix(SCOPE_PREFIX) for scope in requested}
        unknown = sorted(scopes - PERMISSIONS_OF_SCOPE.keys())
        if unknown:
            raise TokenRefused(400, "invalid_scope", f"unknown scope(s): {' '.join(unknown)}")
        permissions = frozenset().union(*(PERMISSIONS_OF_SCOPE[scope] for scope in scopes))
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            # Forget expired tokens so a long-running sandbox does not grow without bound.
            self._grants = {key: grant for key, grant in self._grants.items() if grant.expires_at > now}
            self._grants[token] = Grant(
                permissions=permissions, expires_at=now + self.lifetime, client_id=self.client_id
            )
        return token, self.lifetime

    def client_of(self, header: str | None) -> str | None:
        """The client id a live bearer token in `header` was issued to, or None."""
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        with self._lock:
            grant = self._grants.get(token.strip())
        return grant.client_id if grant is not None and grant.expires_at > time.monotonic() else None

    def authorize(self, header: str | None, allowed: frozenset[str]) -> None:
        """Accept the request's Authorization header if its token has one of `allowed`, or raise 401/403."""
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiFailure(failures.TOKEN_INVALID, "The Authorization header is missing or not a Bearer token")
        with self._lock:
            grant = self._grants.get(token.strip())
        if grant is None or grant.expires_at <= time.monotonic():
            raise ApiFailure(failures.TOKEN_INVALID, "The bearer token is unknown or expired; get a new one")
        if not grant.permissions & allowed:
            needed = " or ".join(sorted(allowed))
            raise ApiFailure(failures.SCOPE_MISSING, f"The token lacks the permission this operation needs: {needed}")

"""The callbacks the manifests declare: one `CallbackRole` per client-application role, with its credentials."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from egain_provision.model import DesiredObject, Ref, SourceLocation
from egain_provision.paths import get_concrete


@dataclass(frozen=True)
class Authentication:
    """A declared Authentication, interpolated: `oauth2` or `basic_auth` holds its API body."""

    name: str
    type: str
    oauth2: Mapping[str, Any] = field(default_factory=dict)
    basic_auth: Mapping[str, Any] = field(default_factory=dict)
    # How to show the token endpoint: the URL, or the expression it came from when that is sensitive.
    token_url_shown: str = ""
    # The values never shown: payload, password, and whatever the manifest marks sensitive.
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True)
class CallbackRole:
    """One role of one client application, as the Hub would deliver to it."""

    application: str
    role: str
    version: str
    callback: str
    callback_shown: str
    headers: tuple[tuple[str, str], ...]
    authentication: Authentication | None
    secrets: tuple[str, ...]
    # Set when the role names an authentication whose credentials the manifests do not hold.
    unresolved: str | None
    location: SourceLocation | None

    @property
    def label(self) -> str:
        return f"{self.application}/{self.role}"


def callback_roles(objects: list[DesiredObject]) -> list[CallbackRole]:
    """Every role with a callback, in manifest order."""
    authentications = {o.natural_key: _authentication(o) for o in objects if o.kind == "authentications"}
    found = []
    for application in (o for o in objects if o.kind == "clientApplications"):
        for index, role in enumerate(application.body.get("roles") or ()):
            if isinstance(role, dict) and isinstance(role.get("callback"), str):
                found.append(_role(application, index, role, authentications))
    return found


def secret_values(roles: list[CallbackRole]) -> list[str]:
    """Every value that must never be shown: payloads, passwords and the values the manifests mark sensitive."""
    values: list[str] = []
    for role in roles:
        values += role.secrets
        if role.authentication is not None:
            values += role.authentication.secrets
    return [value for value in values if value]


def _sensitive_values(declared: DesiredObject, prefix: str = "") -> tuple[str, ...]:
    """The values at the object's sensitive paths (under `prefix`), whatever their source."""
    found = []
    for path in declared.sensitive:
        if path.startswith(prefix):
            value = get_concrete(declared.body, path)
            if isinstance(value, str):
                found.append(value)
    return tuple(found)


def shown_url(url: str) -> str:
    """`url` without its user information, query and fragment, which may carry credentials."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an unreadable URL)"
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _authentication(declared: DesiredObject) -> Authentication:
    body = declared.body
    oauth2: dict[str, Any] = body["oauth2"] if isinstance(body.get("oauth2"), dict) else {}
    url = str(oauth2.get("tokenRequestUrl", ""))
    shown = declared.sensitive.get("oauth2.tokenRequestUrl") or shown_url(url)
    basic: dict[str, Any] = body["basicAuth"] if isinstance(body.get("basicAuth"), dict) else {}
    secrets = (str(oauth2.get("payload", "")), str(basic.get("password", "")), *_sensitive_values(declared))
    return Authentication(declared.natural_key, str(body.get("type", "")), oauth2, basic, shown, secrets)


def _role(
    application: DesiredObject, index: int, role: dict[str, Any], authentications: Mapping[str, Authentication]
) -> CallbackRole:
    path = f"roles[{index}]"
    reference = role.get("authentication")
    authentication, unresolved = None, None
    if isinstance(reference, Ref):
        authentication = authentications.get(reference.name)
        if authentication is None:
            unresolved = f"authentication `{reference.name}` is not declared in these manifests"
    elif isinstance(reference, dict):
        unresolved = f"authentication id `{reference.get('id')}` is not declared in these manifests"
    headers = tuple(
        (str(h.get("name", "")), str(h.get("value", ""))) for h in role.get("headers") or () if isinstance(h, dict)
    )
    callback = role["callback"]
    return CallbackRole(
        application=application.natural_key,
        role=str(role.get("name", "")),
        version=str(role.get("version", "v3")),
        callback=callback,
        callback_shown=application.sensitive.get(f"{path}.callback") or shown_url(callback),
        headers=headers,
        authentication=authentication,
        secrets=_sensitive_values(application, path),
        unresolved=unresolved,
        location=application.field_locations.get(path, application.location),
    )

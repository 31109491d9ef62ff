"""Field rules of the six setup resources, as read from egain-api.md §4-§9, and their validator.

This is the sandbox's own reading of the API reference: it deliberately shares nothing with the
provisioner's kinds, so each checks the other.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from egain_provision.sandbox import failures
from egain_provision.sandbox.failures import ApiFailure

ID_LENGTH = 36
SECRET_MASK = "********"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Text:
    """A JSON string; `ref` names the collection an id must point to."""

    min_len: int | None = None
    max_len: int | None = None
    enum: tuple[str, ...] | None = None
    format: str | None = None
    ref: str | None = None


@dataclass(frozen=True)
class Integer:
    """A JSON integer (not a boolean)."""


@dataclass(frozen=True)
class Number:
    """A JSON number (not a boolean)."""


@dataclass(frozen=True)
class Boolean:
    """A JSON boolean."""


@dataclass(frozen=True)
class Record:
    """A JSON object with known attributes; any other attribute is refused."""

    fields: dict[str, Field]
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class Items:
    """A JSON array; `unique` names an item attribute that must not repeat."""

    item: Field
    min_items: int | None = None
    max_items: int | None = None
    unique: str | None = None


Field = Text | Integer | Number | Boolean | Record | Items


@dataclass(frozen=True)
class Reference:
    """An id in a body that must name an existing object of `collection`."""

    path: str
    collection: str
    target_id: str


@dataclass(frozen=True)
class Resource:
    """One setup resource: its paths, its body rules and the facts the store needs."""

    collection: str
    singular: str
    body: Record
    label_field: str
    unique_key: bool
    secrets: tuple[tuple[str, ...], ...] = ()
    rule: Callable[[dict[str, Any]], None] | None = None


@dataclass
class Validated:
    """A valid body ready to store, the references it makes, and the PUT's `modified` (ms) if sent."""

    body: dict[str, Any]
    references: list[Reference] = field(default_factory=list)
    modified_ms: int | None = None


def _ref(collection: str) -> Text:
    return Text(min_len=ID_LENGTH, max_len=ID_LENGTH, ref=collection)


def _id_of(collection: str) -> Record:
    return Record({"id": _ref(collection)}, required=("id",))


_NAME = Text(min_len=1, max_len=255)
_DESCRIPTION = Text(min_len=1, max_len=1023)
_NAME_VALUE = Record({"name": Text(), "value": Text()}, required=("name", "value"))
_ATTACHMENT_POLICY = Record(
    {
        "enabled": Boolean(),
        "maxSize": Integer(),
        "type": Text(enum=("allow", "block")),
        "extensions": Items(Text()),
    }
)


def _authentication_rule(body: dict[str, Any]) -> None:
    # The body is a oneOf discriminated by `type`: exactly the matching credentials object.
    wanted, other = ("oauth2", "basicAuth") if body["type"] == "oauth2" else ("basicAuth", "oauth2")
    if wanted not in body:
        raise ApiFailure(
            failures.REQUIRED_MISSING,
            f"Required attribute missing in request body: {wanted}",
            [(wanted, f"required when type is {body['type']}")],
        )
    if other in body:
        raise ApiFailure(
            failures.RULE_VIOLATED,
            f"Attribute {other} is not allowed when type is {body['type']}",
            [(other, f"not allowed when type is {body['type']}")],
        )


def _orchestration_rule(body: dict[str, Any]) -> None:
    applications = body["applications"]
    if "botConfiguration" not in applications and "agentConfiguration" not in applications:
        raise ApiFailure(
            failures.RULE_VIOLATED,
            "applications.botConfiguration or applications.agentConfiguration is required",
            [("applications.botConfiguration", "required if applications.agentConfiguration is not given")],
        )


AUTHENTICATION = Resource(
    collection="authentications",
    singular="authentication",
    label_field="name",
    unique_key=True,
    secrets=(("oauth2", "payload"), ("basicAuth", "password")),
    rule=_authentication_rule,
    body=Record(
        {
            "name": _NAME,
            "description": _DESCRIPTION,
            "active": Boolean(),
            "type": Text(enum=("oauth2", "basic")),
            "oauth2": Record(
                {
                    "tokenRequestUrl": Text(format="url"),
                    "method": Text(),
                    "headers": Items(_NAME_VALUE),
                    "payload": Text(),
                    "accessTokenPath": Text(),
                },
                required=("tokenRequestUrl", "method", "payload", "accessTokenPath"),
            ),
            "basicAuth": Record({"username": Text(), "password": Text()}, required=("username", "password")),
        },
        required=("name", "type"),
    ),
)

CLIENT_APPLICATION = Resource(
    collection="clientapplications",
    singular="clientApplication",
    label_field="name",
    unique_key=True,
    body=Record(
        {
            "name": _NAME,
            "description": _DESCRIPTION,
            "active": Boolean(),
            "roles": Items(
                Record(
                    {
                        "name": Text(
                            min_len=1,
                            max_len=255,
                            enum=(
                                "customer",
                                "custom_bot",
                                "egain_bot",
                                "egain_agent",
                                "custom_agent",
                                "business_notification",
                            ),
                        ),
                        "version": Text(enum=("v1", "v3")),
                        "callback": Text(format="url"),
                        "notificationEmail": Text(format="email"),
                        "headers": Items(_NAME_VALUE),
                        "authentication": _id_of("authentications"),
                    },
                    required=("name", "version", "callback", "notificationEmail"),
                ),
                min_items=1,
                max_items=7,
                unique="name",
            ),
        },
        required=("name", "roles"),
    ),
)

PARTICIPANT = Resource(
    collection="participants",
    singular="participant",
    label_field="name",
    unique_key=True,
    body=Record(
        {
            "name": _NAME,
            "type": Text(enum=("custom_bot", "egain_bot")),
            "description": _DESCRIPTION,
            "active": Boolean(),
            "application": _id_of("clientapplications"),
            "intents": Record(
                {
                    "intent": Items(
                        Record({"value": Text(), "displayValue": Text()}, required=("value", "displayValue"))
                    )
                },
                required=("intent",),
            ),
            "options": Items(_NAME_VALUE, min_items=1, max_items=25),
        },
        required=("name", "type", "application"),
    ),
)

CHANNEL = Resource(
    collection="channels",
    singular="channel",
    label_field="type",
    unique_key=True,
    body=Record(
        {
            "type": Text(min_len=1, max_len=255),
            "displayName": Text(min_len=1, max_len=255),
            "icon": Text(min_len=1, max_len=512000),
            "description": _DESCRIPTION,
            "active": Boolean(),
            "restrictions": Record(
                {
                    "inbound": Record(
                        {
                            "maxTextLength": Integer(),
                            "features": Items(Text()),
                            "attachmentPolicy": _ATTACHMENT_POLICY,
                        }
                    ),
                    "outbound": Record(
                        {
                            "maxTextLength": Integer(),
                            "systemMessages": Boolean(),
                            "midChatAuth": Boolean(),
                            "features": Items(Text()),
                            "richMessageTypes": Items(Text()),
                            "customerServiceWindow": Record(
                                {"durationMinutes": Integer(), "continueMessageTypes": Items(Text())},
                                required=("durationMinutes",),
                            ),
                            "attachmentPolicy": _ATTACHMENT_POLICY,
                        }
                    ),
                }
            ),
            "l10nProperties": Items(
                Record({"language": Text(), "properties": Items(_NAME_VALUE)}, required=("language", "properties")),
                min_items=1,
                max_items=25,
            ),
        },
        required=("type", "displayName", "icon"),
    ),
)

ORCHESTRATION = Resource(
    collection="orchestrations",
    singular="orchestration",
    label_field="name",
    unique_key=False,
    rule=_orchestration_rule,
    body=Record(
        {
            "name": Text(),
            "description": _DESCRIPTION,
            "active": Boolean(),
            "applications": Record(
                {
                    "botConfiguration": Record(
                        {
                            "forwardTranscript": Boolean(),
                            "bypassVaDuration": Number(),
                            "bots": Items(
                                Record(
                                    {
                                        "id": _ref("clientapplications"),
                                        "participant": _id_of("participants"),
                                        "onEscalation": Record(
                                            {"agent": _id_of("clientapplications")}, required=("agent",)
                                        ),
                                    },
                                    required=("id", "participant"),
                                )
                            ),
                        },
                        required=("bots",),
                    ),
                    "customerConfiguration": Record({"customer": _id_of("clientapplications")}, required=("customer",)),
                    "agentConfiguration": Record({"agents": Items(_id_of("clientapplications"))}, required=("agents",)),
                }
            ),
        },
        required=("name", "applications"),
    ),
)

ACCOUNT = Resource(
    collection="accounts",
    singular="account",
    label_field="name",
    unique_key=True,
    body=Record(
        {
            "name": _NAME,
            "description": _DESCRIPTION,
            "active": Boolean(),
            "address": Text(min_len=1, max_len=255),
            "channel": _id_of("channels"),
            "caseManagement": Record({"sameCaseDuration": Number(), "copyCustomAttributes": Boolean()}),
            "chatConfigurations": Record(
                {
                    "timeout": Number(),
                    "defaultLanguage": Text(),
                    "onAgentUnavailability": Text(enum=("off_hours", "retain_and_retry")),
                    "allowLogoutWithOpenChats": Boolean(),
                    "allowQueueTransferOnAgentUnavailability": Boolean(),
                    "orchestration": _id_of("orchestrations"),
                    # An eGain entry point lives outside this API, so it is never resolved.
                    "entryPoint": Record({"id": Text(min_len=1)}, required=("id",)),
                }
            ),
            "attributes": Items(_NAME_VALUE, min_items=1, max_items=10),
        },
        required=("name", "address", "channel", "chatConfigurations"),
    ),
)

RESOURCES: dict[str, Resource] = {
    resource.collection: resource
    for resource in (AUTHENTICATION, CLIENT_APPLICATION, PARTICIPANT, CHANNEL, ORCHESTRATION, ACCOUNT)
}

# Sent back by the server; ignored when a client echoes them in a body.
SERVER_SET = ("id", "created")


def validate(resource: Resource, body: Any, *, is_update: bool) -> Validated:
    """Check a create/update body against the resource's rules; the first violation is raised."""
    if not isinstance(body, dict):
        raise ApiFailure(failures.MALFORMED_BODY, "Request body must be a JSON object")
    body = {key: value for key, value in body.items() if key not in SERVER_SET}
    modified = body.pop("modified", None)
    modified_ms = parse_timestamp(modified, "modified") if is_update and modified is not None else None
    references: list[Reference] = []
    _check(resource.body, body, "", references)
    if resource.rule is not None:
        resource.rule(body)
    body.setdefault("active", True)
    return Validated(body=body, references=references, modified_ms=modified_ms)


def masked(resource: Resource, body: dict[str, Any]) -> dict[str, Any]:
    """A copy of `body` with its secret attributes replaced by SECRET_MASK."""
    copy = dict(body)
    for outer, inner in resource.secrets:
        section = copy.get(outer)
        if isinstance(section, dict) and inner in section:
            copy[outer] = {**section, inner: SECRET_MASK}
    return copy


def format_timestamp(ms: int) -> str:
    """Epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC)."""
    moment = datetime.fromtimestamp(ms // 1000, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


def parse_timestamp(value: Any, path: str) -> int:
    """An ISO-8601 date-time as epoch milliseconds; 400 when it is not one."""
    if not isinstance(value, str):
        raise _wrong_type(path, "a date-time string")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiFailure(
            failures.BAD_FORMAT,
            f"Attribute {path} must be a date-time such as 2021-03-28T14:29:01.516Z",
            [(path, "not a date-time")],
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def _check(rule: Field, value: Any, path: str, references: list[Reference]) -> None:
    if isinstance(rule, Record):
        _check_record(rule, value, path, references)
    elif isinstance(rule, Items):
        _check_items(rule, value, path, references)
    elif isinstance(rule, Text):
        _check_text(rule, value, path, references)
    elif isinstance(rule, Boolean):
        if not isinstance(value, bool):
            raise _wrong_type(path, "a boolean")
    elif isinstance(rule, Integer):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong_type(path, "an integer")
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong_type(path, "a number")


def _check_record(rule: Record, value: Any, path: str, references: list[Reference]) -> None:
    if not isinstance(value, dict):
        raise _wrong_type(path, "an object")
    for name in rule.required:
        if name not in value:
            attribute = _join(path, name)
            raise ApiFailure(
                failures.REQUIRED_MISSING,
                f"Required attribute missing in request body: {attribute}",
                [(attribute, "required")],
            )
    for name in value:
        if name not in rule.fields:
            attribute = _join(path, name)
            raise ApiFailure(
                failures.UNKNOWN_ATTRIBUTE, f"Unknown attribute in request body: {attribute}", [(attribute, "unknown")]
            )
    for name, sub_rule in rule.fields.items():
        if name in value:
            _check(sub_rule, value[name], _join(path, name), references)


def _check_items(rule: Items, value: Any, path: str, references: list[Reference]) -> None:
    if not isinstance(value, list):
        raise _wrong_type(path, "an array")
    low = rule.min_items if rule.min_items is not None else 0
    if len(value) < low or (rule.max_items is not None and len(value) > rule.max_items):
        high = rule.max_items if rule.max_items is not None else "any"
        raise ApiFailure(
            failures.BAD_ITEM_COUNT,
            f"Attribute {path} must have {low}..{high} items, not {len(value)}",
            [(path, f"{len(value)} items")],
        )
    for index, item in enumerate(value):
        _check(rule.item, item, f"{path}[{index}]", references)
    if rule.unique is not None:
        seen: set[Any] = set()
        for index, item in enumerate(value):
            key = item[rule.unique]
            if key in seen:
                attribute = f"{path}[{index}].{rule.unique}"
                raise ApiFailure(
                    failures.DUPLICATE_ITEM,
                    f"Attribute {attribute} repeats {key!r}; it must be unique within {path}",
                    [(attribute, str(key))],
                )
            seen.add(key)


def _check_text(rule: Text, value: Any, path: str, references: list[Reference]) -> None:
    if not isinstance(value, str):
        raise _wrong_type(path, "a string")
    too_short = rule.min_len is not None and len(value) < rule.min_len
    too_long = rule.max_len is not None and len(value) > rule.max_len
    if too_short or too_long:
        low = rule.min_len if rule.min_len is not None else 0
        high = rule.max_len if rule.max_len is not None else "any"
        raise ApiFailure(
            failures.BAD_LENGTH,
            f"Attribute {path} must be {low}..{high} characters long, not {len(value)}",
            [(path, f"{len(value)} characters")],
        )
    if rule.enum is not None and value not in rule.enum:
        raise ApiFailure(
            failures.NOT_IN_ENUM,
            f"Attribute {path} must be one of {', '.join(rule.enum)}; got {value!r}",
            [(path, value)],
        )
    if rule.format is not None and not _has_format(rule.format, value):
        raise ApiFailure(failures.BAD_FORMAT, f"Attribute {path} is not a valid {rule.format}", [(path, value)])
    if rule.ref is not None:
        references.append(Reference(path=path, collection=rule.ref, target_id=value))


def _has_format(kind: str, value: str) -> bool:
    if kind == "url":
        parsed = urlparse(value)
        return parsed.scheme in ("http", "https") and bool(parsed.netloc)
    return bool(_EMAIL.match(value))


def _wrong_type(path: str, expected: str) -> ApiFailure:
    return ApiFailure(failures.WRONG_TYPE, f"Attribute {path} must be {expected}", [(path, f"not {expected}")])


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name

"""The request schemas of the six setup resources, as read from eGain's OpenAPI spec, and their validator.

This is the sandbox's own reading of the spec (api.yaml, models/v3/*.yaml, common.yaml), written
out by hand: it shares nothing with the provisioner's kinds and loads no file at run time, so each
checks the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from egain_provision.sandbox import failures
from egain_provision.sandbox.failures import ApiFailure
from egain_provision.sandbox.schema import (
    Boolean,
    Field,
    Items,
    Numeric,
    OneOf,
    Record,
    Reference,
    Text,
    check,
    not_allowed,
    with_defaults,
)

ID_LENGTH = 36
SECRET_MASK = "********"
MINUTES_IN_A_WEEK = 10080
MAX_ATTACHMENT_BYTES = 10485760
MAX_TEXT_LENGTH = 10000


@dataclass(frozen=True)
class Resource:
    """One setup resource: its paths, its body rules and the facts the store needs."""

    collection: str
    singular: str
    body: Field
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
    # The spec leaves `id` optional in account.channel and chatConfigurations.orchestration; a
    # reference without its id means nothing, so the sandbox requires it everywhere.
    return Record({"id": _ref(collection)}, required=("id",))


def _text(low: int, high: int) -> Text:
    return Text(min_len=low, max_len=high)


_NAME = _text(1, 255)
_DESCRIPTION = _text(1, 1023)
_ACTIVE = Boolean(default=True)
_ATTRIBUTE = Record({"name": _text(1, 255), "value": _text(1, 1023)}, required=("name", "value"))
_FEATURES = ("typing_events", "attachments", "richText", "delivery_receipts")
_RICH_MESSAGE_TYPES = (
    "listpicker",
    "timepicker",
    "richlink",
    "quickreply",
    "template",
    "form",
    "authentication",
    "payment",
    "app",
)
_LANGUAGES = (
    "en-US",
    "es-ES",
    "fr-FR",
    "it-IT",
    "de-DE",
    "nl-NL",
    "pt-BR",
    "pt-PT",
    "da-DK",
    "ru-RU",
    "fr-CA",
    "zh-CN",
    "ja-JP",
    "ko-KR",
    "sv-SE",
)
_ROLE_NAMES = ("customer", "custom_bot", "egain_bot", "egain_agent", "custom_agent", "business_notification")
_MAX_TEXT_LENGTH = Numeric(integer=True, minimum=1, maximum=MAX_TEXT_LENGTH, default=MAX_TEXT_LENGTH)
_ATTACHMENT_POLICY = Record(
    {
        "enabled": Boolean(default=True),
        "maxSize": Numeric(integer=True, minimum=1, maximum=MAX_ATTACHMENT_BYTES, default=MAX_ATTACHMENT_BYTES),
        "type": Text(enum=("allow", "block")),
        "extensions": Items(_text(1, 255), min_items=1, max_items=75),
    }
)


def _authentication_body(credentials: str, type_name: str, credential_rule: Record) -> Record:
    return Record(
        {
            "name": _NAME,
            "description": _DESCRIPTION,
            "active": _ACTIVE,
            "type": Text(enum=(type_name,)),
            credentials: credential_rule,
        },
        required=("name", "type", credentials),
    )


_OAUTH2 = Record(
    {
        "tokenRequestUrl": _text(1, 255),
        "method": Text(enum=("POST", "GET")),
        "headers": Items(_ATTRIBUTE, min_items=1, max_items=25),
        "payload": _text(1, 1024),
        "accessTokenPath": _text(1, 1024),
    },
    required=("tokenRequestUrl", "method", "headers", "payload", "accessTokenPath"),
)
_BASIC_AUTH = Record({"username": _text(1, 255), "password": _text(1, 255)}, required=("username", "password"))

AUTHENTICATION = Resource(
    collection="authentications",
    singular="authentication",
    label_field="name",
    unique_key=True,
    secrets=(("oauth2", "payload"), ("basicAuth", "password")),
    # The spec's oneOf: `type` picks the branch, and the other type's credentials are unknown there.
    body=OneOf(
        discriminator="type",
        branches={
            "oauth2": _authentication_body("oauth2", "oauth2", _OAUTH2),
            "basic": _authentication_body("basicAuth", "basic", _BASIC_AUTH),
        },
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
            "active": _ACTIVE,
            "roles": Items(
                Record(
                    {
                        "name": Text(min_len=1, max_len=255, enum=_ROLE_NAMES),
                        "version": Text(enum=("v1", "v3")),
                        "callback": _text(1, 1023),
                        "notificationEmail": _text(1, 255),
                        "headers": Items(_ATTRIBUTE, min_items=1, max_items=25),
                        "authentication": _id_of("authentications"),
                    },
                    required=("name", "version", "callback", "notificationEmail"),
                ),
                min_items=1,
                max_items=7,
                # The spec marks the role name uniqueItems: one role of each name per application.
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
            "active": _ACTIVE,
            "application": _id_of("clientapplications"),
            "intents": Record(
                {
                    "intent": Items(
                        Record(
                            {"value": _text(1, 255), "displayValue": _text(1, 255)},
                            required=("value", "displayValue"),
                        ),
                        min_items=1,
                        max_items=500,
                    )
                },
                required=("intent",),
            ),
            "options": Items(_ATTRIBUTE, min_items=1, max_items=25),
        },
        required=("name", "type", "application"),
    ),
)

_CUSTOMER_SERVICE_WINDOW = Record(
    {
        "durationMinutes": Numeric(integer=True, minimum=1, maximum=MINUTES_IN_A_WEEK),
        "continueMessageTypes": Items(Text(enum=_RICH_MESSAGE_TYPES), min_items=1),
    },
    required=("durationMinutes",),
)

CHANNEL = Resource(
    collection="channels",
    singular="channel",
    label_field="type",
    unique_key=True,
    body=Record(
        {
            "type": _text(1, 255),
            "displayName": _text(1, 255),
            "icon": _text(1, 512000),
            "description": _DESCRIPTION,
            "active": _ACTIVE,
            "restrictions": Record(
                {
                    "inbound": Record(
                        {
                            "maxTextLength": _MAX_TEXT_LENGTH,
                            "attachmentPolicy": _ATTACHMENT_POLICY,
                            "features": Items(Text(enum=_FEATURES), min_items=1, max_items=4),
                        }
                    ),
                    "outbound": Record(
                        {
                            "maxTextLength": _MAX_TEXT_LENGTH,
                            "systemMessages": Boolean(default=False),
                            "midChatAuth": Boolean(default=False),
                            "attachmentPolicy": _ATTACHMENT_POLICY,
                            "features": Items(Text(enum=_FEATURES), min_items=1, max_items=3),
                            "customerServiceWindow": _CUSTOMER_SERVICE_WINDOW,
                            "richMessageTypes": Items(Text(enum=_RICH_MESSAGE_TYPES), min_items=1, max_items=9),
                        }
                    ),
                }
            ),
            "l10nProperties": Items(
                Record(
                    {"language": Text(enum=_LANGUAGES), "properties": Items(_ATTRIBUTE, min_items=1, max_items=75)},
                    required=("language", "properties"),
                ),
                min_items=1,
                max_items=25,
            ),
        },
        required=("type", "displayName", "icon"),
    ),
)


def _orchestration_rule(body: dict[str, Any]) -> None:
    # The spec's descriptions: botConfiguration "required if agentConfiguration is not provided".
    applications = body["applications"]
    if "botConfiguration" not in applications and "agentConfiguration" not in applications:
        raise ApiFailure(
            failures.REQUIRED_MISSING,
            "Required attribute missing in request body: applications.botConfiguration"
            " (or applications.agentConfiguration)",
            [("applications.botConfiguration", "required if applications.agentConfiguration is not given")],
        )


_BOT = Record(
    {
        "id": _ref("clientapplications"),
        "participant": _id_of("participants"),
        "onEscalation": Record({"agent": _id_of("clientapplications")}, required=("agent",)),
    },
    required=("id", "participant"),
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
            "active": _ACTIVE,
            "applications": Record(
                {
                    "botConfiguration": Record(
                        {
                            "forwardTranscript": Boolean(default=True),
                            "bypassVaDuration": Numeric(minimum=1, maximum=MINUTES_IN_A_WEEK),
                            "bots": Items(_BOT, min_items=1, max_items=1),
                        },
                        required=("bots",),
                    ),
                    "customerConfiguration": Record({"customer": _id_of("clientapplications")}, required=("customer",)),
                    "agentConfiguration": Record(
                        {"agents": Items(_id_of("clientapplications"), min_items=1, max_items=1)}, required=("agents",)
                    ),
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
            "active": _ACTIVE,
            "address": _text(1, 255),
            "channel": _id_of("channels"),
            "caseManagement": Record(
                {
                    "sameCaseDuration": Numeric(minimum=1, maximum=MINUTES_IN_A_WEEK),
                    "copyCustomAttributes": Boolean(),
                }
            ),
            "chatConfigurations": Record(
                {
                    "timeout": Numeric(minimum=3, maximum=MINUTES_IN_A_WEEK, default=240),
                    "defaultLanguage": Text(default="en-US"),
                    "onAgentUnavailability": Text(enum=("off_hours", "retain_and_retry"), default="off_hours"),
                    "allowLogoutWithOpenChats": Boolean(default=False),
                    "allowQueueTransferOnAgentUnavailability": Boolean(default=False),
                    "orchestration": _id_of("orchestrations"),
                    # An eGain entry point lives outside this API, so it is never resolved.
                    "entryPoint": Record({"id": _text(1, 255)}, required=("id",)),
                },
                required=("orchestration", "entryPoint"),
            ),
            "attributes": Items(_ATTRIBUTE, min_items=1, max_items=10),
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


def validate(resource: Resource, body: Any, *, is_update: bool, numeric_modified: bool = False) -> Validated:
    """Check a create/update body against the resource's rules; the first violation is raised.

    `numeric_modified`: the tenant keeps `modified` as epoch milliseconds, so a PUT sends it as that number.
    """
    if not isinstance(body, dict):
        raise ApiFailure(failures.MALFORMED_BODY, "Request body must be a JSON object")
    body = {key: value for key, value in body.items() if key not in SERVER_SET}
    modified = body.pop("modified", None)
    modified_ms = None
    if is_update and modified is not None:
        modified_ms = parse_epoch_ms(modified) if numeric_modified else parse_timestamp(modified, "modified")
    references: list[Reference] = []
    check(resource.body, body, "", references)
    if resource.rule is not None:
        resource.rule(body)
    body.setdefault("active", True)
    return Validated(body=body, references=references, modified_ms=modified_ms)


def defaulted(resource: Resource, body: dict[str, Any]) -> dict[str, Any]:
    """A copy of a stored body carrying the spec's default for every attribute it omits."""
    result: dict[str, Any] = with_defaults(resource.body, body)
    return result


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


def parse_epoch_ms(value: Any) -> int:
    """A `modified` kept as a number: whole epoch milliseconds; 400-196 for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not float(value).is_integer():
        raise not_allowed("modified", "epoch milliseconds such as 1617020941516")
    return int(value)


def parse_timestamp(value: Any, path: str) -> int:
    """An ISO-8601 date-time as epoch milliseconds; 400-196 when it is not one."""
    expected = "a date-time such as 2021-03-28T14:29:01.516Z"
    if not isinstance(value, str):
        raise not_allowed(path, expected)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return round(moment.timestamp() * 1000)
    except (ValueError, OverflowError):
        raise not_allowed(path, expected) from None

"""The six resource kinds as declarations; every stage is generic over this table.

Paths are dotted; `[]` stands for every item of a list. A reference's `path` is where the
manifest holds the natural key; `api_path` is where the API holds `{id: X}` (or the bare id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BOT_ROLES = ("custom_bot", "egain_bot")
AGENT_ROLES = ("egain_agent", "custom_agent")
CUSTOMER_ROLES = ("customer",)


@dataclass(frozen=True)
class Reference:
    """A field that points at another resource by id."""

    path: str
    target: str
    api_path: str = ""
    bare: bool = False
    expected_roles: tuple[str, ...] = ()

    @property
    def wire_path(self) -> str:
        return self.api_path or self.path

    @property
    def manifest_field(self) -> str:
        """The field name the manifest uses (`bots[].application` -> `application`)."""
        return self.path.rsplit(".", 1)[-1].removesuffix("[]")

    def manifest_path_of(self, concrete_wire_path: str) -> str:
        """`...bots[0].id` -> `...bots[0].application` for a bare reference; otherwise the same path."""
        if not self.bare:
            return concrete_wire_path
        return f"{concrete_wire_path.rpartition('.')[0]}.{self.manifest_field}"

    def id_in(self, value: Any) -> str | None:
        """The id an API value of this field holds: the bare id, or `{id: X}`; None for anything else."""
        if self.bare:
            return value if isinstance(value, str) else None
        if isinstance(value, dict) and set(value) == {"id"} and isinstance(value["id"], str):
            return value["id"]
        return None


@dataclass(frozen=True)
class Kind:
    """How one resource kind looks on the API and in a manifest."""

    name: str
    title: str
    api_path: str
    list_key: str
    natural_key: str = "name"
    unique_natural_key: bool = True
    references: tuple[Reference, ...] = ()
    secret_fields: tuple[str, ...] = ()
    server_fields: tuple[str, ...] = ("id", "created", "modified")
    defaults: dict[str, Any] = field(default_factory=lambda: {"active": True})
    keyed_lists: dict[str, str] = field(default_factory=dict)
    set_lists: tuple[str, ...] = ()
    # Base64 fields that export writes as files (folder -> field), referenced with ${file:...}.
    file_fields: dict[str, str] = field(default_factory=dict)

    @property
    def singular(self) -> str:
        return self.list_key


KINDS: tuple[Kind, ...] = (
    Kind(
        name="authentications",
        title="Authentication",
        api_path="/authentications",
        list_key="authentication",
        secret_fields=("oauth2.payload", "basicAuth.password"),
    ),
    Kind(
        name="clientApplications",
        title="Client Application",
        api_path="/clientapplications",
        list_key="clientApplication",
        references=(Reference("roles[].authentication", "authentications"),),
        keyed_lists={"roles": "name"},
    ),
    Kind(
        name="participants",
        title="Participant",
        api_path="/participants",
        list_key="participant",
        references=(Reference("application", "clientApplications", expected_roles=BOT_ROLES),),
    ),
    Kind(
        name="channels",
        title="Channel",
        api_path="/channels",
        list_key="channel",
        natural_key="type",
        defaults={
            "active": True,
            "restrictions.inbound.maxTextLength": 10000,
            "restrictions.inbound.attachmentPolicy.enabled": True,
            "restrictions.inbound.attachmentPolicy.maxSize": 10485760,
            "restrictions.outbound.maxTextLength": 10000,
            "restrictions.outbound.systemMessages": False,
            "restrictions.outbound.midChatAuth": False,
            "restrictions.outbound.attachmentPolicy.enabled": True,
            "restrictions.outbound.attachmentPolicy.maxSize": 10485760,
        },
        keyed_lists={"l10nProperties": "language"},
        file_fields={"icons": "icon"},
        set_lists=(
            "restrictions.inbound.features",
            "restrictions.outbound.features",
            "restrictions.outbound.richMessageTypes",
            "restrictions.inbound.attachmentPolicy.extensions",
            "restrictions.outbound.attachmentPolicy.extensions",
        ),
    ),
    Kind(
        name="orchestrations",
        title="Orchestration",
        api_path="/orchestrations",
        list_key="orchestration",
        # The API does not call orchestration names unique: apply deduplicates its own creates.
        unique_natural_key=False,
        defaults={"active": True, "applications.botConfiguration.forwardTranscript": True},
        references=(
            Reference(
                "applications.botConfiguration.bots[].application",
                "clientApplications",
                api_path="applications.botConfiguration.bots[].id",
                bare=True,
                expected_roles=BOT_ROLES,
            ),
            Reference("applications.botConfiguration.bots[].participant", "participants"),
            Reference(
                "applications.botConfiguration.bots[].onEscalation.agent",
                "clientApplications",
                expected_roles=AGENT_ROLES,
            ),
            Reference(
                "applications.customerConfiguration.customer",
                "clientApplications",
                expected_roles=CUSTOMER_ROLES,
            ),
            Reference(
                "applications.agentConfiguration.agents[]",
                "clientApplications",
                expected_roles=AGENT_ROLES,
            ),
        ),
    ),
    Kind(
        name="accounts",
        title="Account",
        api_path="/accounts",
        list_key="account",
        defaults={
            "active": True,
            "chatConfigurations.timeout": 240,
            "chatConfigurations.defaultLanguage": "en-US",
            "chatConfigurations.onAgentUnavailability": "off_hours",
            "chatConfigurations.allowLogoutWithOpenChats": False,
            "chatConfigurations.allowQueueTransferOnAgentUnavailability": False,
        },
        references=(
            Reference("channel", "channels"),
            Reference("chatConfigurations.orchestration", "orchestrations"),
        ),
    ),
)

KINDS_BY_NAME: dict[str, Kind] = {kind.name: kind for kind in KINDS}
SETUP_ORDER: tuple[str, ...] = tuple(kind.name for kind in KINDS)

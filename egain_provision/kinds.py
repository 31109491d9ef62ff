"""The six resource kinds as declarations; every stage is generic over this table.

Paths are dotted; `[]` stands for every item of a list. A reference's `path` is where the
manifest holds the natural key; `api_path` is where the API holds `{id: X}` (or the bare id).
`keyed_lists` map such a pattern to the field that names each item: those lists are compared item
by item under that name, whatever order the tenant answers them in (the API defines none).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from egain_provision.meaning import spec_defaults
from egain_provision.model import Ref

# A body is in manifest form (references by name at `Reference.path`) or API form (ids at `wire_path`).
Form = Literal["manifest", "api"]

BOT_ROLES = ("custom_bot", "egain_bot")
AGENT_ROLES = ("egain_agent", "custom_agent")
CUSTOMER_ROLES = ("customer",)


@dataclass(frozen=True)
class Reference:
    """A field that points at another resource by id, and the conversion between its two forms.

    In a manifest the field holds the target's natural key (or a literal `{id: X}`) at `path`;
    on the API it holds `{id: X}` at `api_path` (a `bare` reference holds the id itself, under
    another field name: the manifest's `bots[].application` is the API's `bots[].id`).
    """

    path: str
    target: str
    api_path: str = ""
    bare: bool = False
    expected_roles: tuple[str, ...] = ()

    @property
    def wire_path(self) -> str:
        return self.api_path or self.path

    def pattern(self, form: Form) -> str:
        """Where this reference sits in a body of the given form."""
        return self.path if form == "manifest" else self.wire_path

    def field(self, form: Form) -> str:
        """The field name that holds it in that form (`bots[].application` -> `application`)."""
        return self.pattern(form).rsplit(".", 1)[-1].removesuffix("[]")

    @property
    def manifest_field(self) -> str:
        return self.field("manifest")

    def manifest_path_of(self, concrete_wire_path: str) -> str:
        """`...bots[0].id` -> `...bots[0].application` for a bare reference; otherwise the same path."""
        if not self.bare:
            return concrete_wire_path
        return f"{concrete_wire_path.rpartition('.')[0]}.{self.manifest_field}"

    def id_in(self, value: Any) -> str | None:
        """The id an API value of this field holds: the bare id, or `{id: X}` (a tenant may add `name` and
        more beside the id); None for anything else."""
        if self.bare:
            return value if isinstance(value, str) else None
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            return str(value["id"])
        return None

    def api_value(self, object_id: str) -> Any:
        """The API form of a reference to `object_id`."""
        return object_id if self.bare else {"id": object_id}

    def manifest_value(self, object_id: str, name: str | None) -> Any:
        """The manifest form of a reference to `object_id`: its name when known, else a literal `{id}`."""
        return name if name is not None else {"id": object_id}

    def from_manifest(self, value: Any) -> Any:
        """The desired-body form of a manifest value: a `Ref` for a name, the API form for a literal id.

        None for a value that is neither (validate reports it).
        """
        if isinstance(value, str):
            return Ref(self.target, value)
        object_id = literal_id(value)
        return None if object_id is None else self.api_value(object_id)


def literal_id(value: Any) -> str | None:
    """X for a literal `{id: X}`, else None."""
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


@dataclass(frozen=True)
class SecretItems:
    """A name/value list whose item values are secret when the item's name is one of `names`.

    Account `attributes` carry a Twilio `authToken` next to a harmless `accountSid`; manifests
    may mark more names secret (top-level `sensitive: {attributes: [...]}`).
    """

    list_path: str
    names: tuple[str, ...] = ()
    key: str = "name"
    value: str = "value"


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
    secret_items: tuple[SecretItems, ...] = ()
    server_fields: tuple[str, ...] = ("id", "created", "modified")
    keyed_lists: dict[str, str] = field(default_factory=dict)
    # Base64 fields that export writes as files (folder -> field), referenced with ${file:...}.
    file_fields: dict[str, str] = field(default_factory=dict)
    # Plain fields that often carry a credential (a callback header's value): compared and sent as
    # they are, but a plan shows them as sensitive, on either side of every change.
    opaque_values: tuple[str, ...] = ()

    @property
    def singular(self) -> str:
        return self.list_key

    @property
    def defaults(self) -> dict[str, Any]:
        """Field pattern -> the spec's default, read from the kind's schema fragment (their one place)."""
        return spec_defaults(self.list_key)


KINDS: tuple[Kind, ...] = (
    Kind(
        name="authentications",
        title="Authentication",
        api_path="/authentications",
        list_key="authentication",
        secret_fields=("oauth2.payload", "basicAuth.password"),
        keyed_lists={"oauth2.headers": "name"},
        opaque_values=("oauth2.headers[].value",),
    ),
    Kind(
        name="clientApplications",
        title="Client Application",
        api_path="/clientapplications",
        list_key="clientApplication",
        references=(Reference("roles[].authentication", "authentications"),),
        keyed_lists={"roles": "name", "roles[].headers": "name"},
        opaque_values=("roles[].headers[].value",),
    ),
    Kind(
        name="participants",
        title="Participant",
        api_path="/participants",
        list_key="participant",
        references=(Reference("application", "clientApplications", expected_roles=BOT_ROLES),),
        keyed_lists={"options": "name"},
    ),
    Kind(
        name="channels",
        title="Channel",
        api_path="/channels",
        list_key="channel",
        natural_key="type",
        keyed_lists={"l10nProperties": "language", "l10nProperties[].properties": "name"},
        file_fields={"icons": "icon"},
    ),
    Kind(
        name="orchestrations",
        title="Orchestration",
        api_path="/orchestrations",
        list_key="orchestration",
        # The API does not call orchestration names unique: apply deduplicates its own creates.
        unique_natural_key=False,
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
        secret_items=(SecretItems("attributes", names=("authToken",)),),
        keyed_lists={"attributes": "name"},
        references=(
            Reference("channel", "channels"),
            Reference("chatConfigurations.orchestration", "orchestrations"),
        ),
    ),
)

KINDS_BY_NAME: dict[str, Kind] = {kind.name: kind for kind in KINDS}
SETUP_ORDER: tuple[str, ...] = tuple(kind.name for kind in KINDS)

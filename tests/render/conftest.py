"""Plans to render, built directly as values (a plan is data, not something to mock)."""

from __future__ import annotations

import pytest

from egain_provision.model import Ref, SourceLocation
from egain_provision.plan import MISSING, SENSITIVE_DISPLAY, Action, Change, Plan, Unmanaged

TARGET = "https://api.example.com/v3"
ICON = "iVBORw0KGgo" * 40


@pytest.fixture
def create_app() -> Action:
    """A create whose authentication is created by the same plan."""
    return Action(
        action="create",
        kind="clientApplications",
        natural_key="order-bot-app",
        changes=[
            Change("name", MISSING, "order-bot-app"),
            Change("roles[custom_bot].authentication", MISSING, "bot-callback", known_after_apply=True),
            Change("roles[custom_bot].callback", MISSING, "https://bots.example.com/egain/callback"),
        ],
        body={
            "name": "order-bot-app",
            "roles": [{"name": "custom_bot", "authentication": Ref("authentications", "bot-callback")}],
        },
        depends_on=["authentications/bot-callback"],
        location=SourceLocation("manifests/apps.yaml", 3, 5),
    )


@pytest.fixture
def create_auth() -> Action:
    """A create with a secret field taken from the environment."""
    return Action(
        action="create",
        kind="authentications",
        natural_key="bot-callback",
        changes=[
            Change("name", MISSING, "bot-callback"),
            Change("oauth2.payload", MISSING, SENSITIVE_DISPLAY, sensitive=True),
        ],
        body={"name": "bot-callback", "oauth2": {"payload": "never-saved"}},
        sensitive={"oauth2.payload": "${env:EGAIN_VAR_BOT_TOKEN_PAYLOAD}"},
        location=SourceLocation("manifests/auth.yaml", 2, 5),
    )


@pytest.fixture
def rename_participant() -> Action:
    """An update that renames a live object (previousNames)."""
    return Action(
        action="update",
        kind="participants",
        natural_key="order-bot",
        id="p-1",
        modified="2024-05-01T10:00:00Z",
        previous_key="legacy-bot",
        changes=[Change("name", "legacy-bot", "order-bot")],
        body={"name": "order-bot", "modified": "2024-05-01T10:00:00Z"},
        location=SourceLocation("manifests/participants.yaml", 4, 5),
    )


@pytest.fixture
def update_channel() -> Action:
    """An update with a modified field, an added one, a removed one and a long value."""
    return Action(
        action="update",
        kind="channels",
        natural_key="custom.web",
        id="c-1",
        modified="2024-05-02T10:00:00Z",
        changes=[
            Change("displayName", "Web", "Web chat"),
            Change("icon", "small", ICON),
            Change("l10nProperties[en-US].greeting", MISSING, "Hello"),
            Change("restrictions.inbound.features", ["typing"], MISSING),
        ],
        body={"type": "custom.web", "displayName": "Web chat"},
    )


@pytest.fixture
def rotate_secret() -> Action:
    """An update of a write-only secret, with the planner's note about it."""
    return Action(
        action="update",
        kind="authentications",
        natural_key="agent-basic",
        id="a-2",
        modified="2024-05-03T10:00:00Z",
        changes=[Change("basicAuth.password", "(write-only, not compared)", SENSITIVE_DISPLAY, sensitive=True)],
        body={"name": "agent-basic", "basicAuth": {"password": "never-saved"}},
        sensitive={"basicAuth.password": None},
        notes=["basicAuth.password: write-only on this tenant; sent because of --rotate-secrets"],
    )


@pytest.fixture
def delete_account() -> Action:
    """A delete (--prune) of a live object no manifest declares."""
    return Action(
        action="delete",
        kind="accounts",
        natural_key="old-account",
        id="acc-9",
        modified="2023-01-01T00:00:00Z",
        changes=[Change("address", "555", MISSING), Change("name", "old-account", MISSING)],
    )


@pytest.fixture
def full_plan(
    create_auth: Action,
    create_app: Action,
    rename_participant: Action,
    update_channel: Action,
    rotate_secret: Action,
    delete_account: Action,
) -> Plan:
    """Every action type, renames, secrets, known-after-apply, notes, warnings, unmanaged and ignored objects."""
    return Plan(
        target=TARGET,
        target_identity=TARGET,
        actions=[create_auth, create_app, rename_participant, update_channel, rotate_secret, delete_account],
        unchanged={"orchestrations": 2, "accounts": 1},
        unmanaged=[Unmanaged("channels", "custom.sms", "c-7")],
        ignored={"participants": 3},
        warnings=["1 secret field(s) are write-only on this tenant and were not compared"],
        manifests=["manifests/apps.yaml", "manifests/auth.yaml"],
        kinds=["authentications", "clientApplications", "participants", "channels", "orchestrations", "accounts"],
        prune=True,
        max_deletes=10,
    )


@pytest.fixture
def empty_plan() -> Plan:
    """A tenant that already matches the manifests."""
    return Plan(target=TARGET, target_identity=TARGET, unchanged={"channels": 1, "accounts": 2})

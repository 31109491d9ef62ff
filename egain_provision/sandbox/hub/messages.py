"""What a message may be: the spec's message types and which sender may send which (api.yaml's table
for `POST /conversations/messages`), and the checks of one request message."""

from __future__ import annotations

from typing import Any

from egain_provision.sandbox import failures
from egain_provision.sandbox.failures import ApiFailure

CUSTOMER = "customer"
BOTS = frozenset({"custom_bot", "egain_bot"})
AGENTS = frozenset({"custom_agent", "egain_agent"})
SENDER_TYPES = frozenset({CUSTOMER, *BOTS, *AGENTS})

# The spec's codes for the hub's refusals (payload_request_data.yaml's examples).
BAD_TYPE = "400-199"
NOT_IN_CONVERSATION = "400-240"
CONVERSATION_GONE = "400-630"
MAY_NOT_START = "403-103"

_EVERYONE = SENDER_TYPES
_NOT_CUSTOMER = BOTS | AGENTS
_CUSTOMER_ONLY = frozenset({CUSTOMER})
# Who may send each type the table lists; a type of the enum it does not list is open to every sender.
SENDERS_OF_TYPE: dict[str, frozenset[str]] = {
    **dict.fromkeys(("text", "typing.start", "typing.end", "customer.info", "error", "conversation.end"), _EVERYONE),
    **dict.fromkeys(("escalation.transfer", "pagePush"), _NOT_CUSTOMER),
    **dict.fromkeys(
        (
            "conversation.state", "agent.join", "agent.available", "agent.unavailable", "agent.transfer",
            "queue.transfer",
        ),
        AGENTS,
    ),
    **dict.fromkeys(
        (
            "richMessage.listpicker", "richMessage.quickreply", "richMessage.template", "richMessage.timepicker",
            "richMessage.richlink", "richMessage.form", "richMessage.payment", "richMessage.app",
            "richMessage.authentication",
        ),
        _NOT_CUSTOMER,
    ),
    **dict.fromkeys(
        (
            "authentication.success", "authentication.failure", "customer.active", "customer.inactive",
            "delete.soft", "delete.permanent", "undo",
        ),
        _CUSTOMER_ONLY,
    ),
}  # fmt: skip
OTHER_TYPES = frozenset(
    {
        "status.read", "status.delivered", "authentication.start", "authentication.accept", "authentication.reject",
        "bot.transfer", "escalation.request", "agent.exit", "agent.active", "agent.inactive", "customer.exit",
        "customer.block", "cobrowse.start",
    }
)  # fmt: skip
MAX_MESSAGES = 10


def request_messages(body: Any) -> list[dict[str, Any]]:
    """The `messages.message` list of a send-message request (1 to 10 objects), or a 400."""
    messages = body.get("messages") if isinstance(body, dict) else None
    listed = messages.get("message") if isinstance(messages, dict) else None
    if not isinstance(listed, list) or not listed:
        raise ApiFailure(failures.REQUIRED_MISSING, "Required attribute 'messages.message' is missing or empty")
    if len(listed) > MAX_MESSAGES:
        raise ApiFailure(failures.VALUE_NOT_ALLOWED, f"'messages.message' has more than {MAX_MESSAGES} messages")
    for index, message in enumerate(listed):
        if not isinstance(message, dict):
            raise ApiFailure(failures.MALFORMED_BODY, f"'messages.message[{index}]' must be an object")
    return listed


def checked_message(message: dict[str, Any], index: int) -> tuple[str, str]:
    """The message's (type, sender type) once both are present and the sender may send the type."""
    where = f"messages.message[{index}]"
    type_value = (message.get("type") or {}).get("value") if isinstance(message.get("type"), dict) else None
    sender = message.get("sender")
    sender_type = sender.get("type") if isinstance(sender, dict) else None
    if not isinstance(type_value, str) or not type_value:
        raise ApiFailure(failures.REQUIRED_MISSING, f"Required attribute '{where}.type.value' is missing")
    if not isinstance(sender_type, str) or not sender_type:
        raise ApiFailure(failures.REQUIRED_MISSING, f"Required attribute '{where}.sender.type' is missing")
    if sender_type not in SENDER_TYPES:
        raise ApiFailure(BAD_TYPE, f"Invalid value of attribute '{where}.sender.type'='{sender_type}'.")
    allowed = SENDERS_OF_TYPE.get(type_value)
    if allowed is None and (type_value.startswith("custom.") or type_value in OTHER_TYPES):
        allowed = _EVERYONE
    if allowed is None or sender_type not in allowed:
        raise ApiFailure(BAD_TYPE, f"Invalid value of attribute '{where}.type.value'='{type_value}'.")
    if not isinstance(message.get("conversation"), dict):
        raise ApiFailure(failures.REQUIRED_MISSING, f"Required attribute '{where}.conversation' is missing")
    return type_value, sender_type


def text_of(message: dict[str, Any]) -> str | None:
    """The message's text content, if it has one."""
    content = message.get("content")
    text = content.get("text") if isinstance(content, dict) else None
    return text if isinstance(text, str) else None

"""The Conversation Hub of the sandbox: the Conversation and Asset APIs, routing through the setup
objects, and delivery to the configured callbacks over real HTTP.

Its own reading of eGain's reference (api.yaml's `/conversations` and `/assets`, the message-type
table, the callback, authentication, orchestration and account models); it shares nothing with the
provisioner's `check`, so the two can be tested against each other.
"""

from __future__ import annotations

from egain_provision.sandbox.hub.conversations import Hub
from egain_provision.sandbox.hub.endpoints import HubEndpoints

__all__ = ["Hub", "HubEndpoints"]

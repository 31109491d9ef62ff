"""egain-provision: declarative provisioning for the eGain Conversation Manager v3 setup API."""

__version__ = "0.1.0"

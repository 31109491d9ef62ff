"""Scripted conversations for `egain-provision test`: scenario files, running them through a
Conversation Hub, and reporting the results."""

from __future__ import annotations

from egain_provision.scenarios.loading import Scenario, Step, load_scenarios
from egain_provision.scenarios.report import FORMATS, render, summary
from egain_provision.scenarios.running import HubTarget, Runner, ScenarioResult, TargetProblem, credentials_from

__all__ = [
    "FORMATS",
    "HubTarget",
    "Runner",
    "Scenario",
    "ScenarioResult",
    "Step",
    "TargetProblem",
    "credentials_from",
    "load_scenarios",
    "render",
    "summary",
]

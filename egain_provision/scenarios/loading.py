"""Reading scenario files: YAML with locations, checked against `schemas/scenario.schema.json`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import jsonschema

from egain_provision.manifest.reading import Unreadable, read_regular_file
from egain_provision.manifest.yamlnodes import NodeReader, Positions, compose_documents, decode_text
from egain_provision.model import Diagnostic, SourceLocation
from egain_provision.paths import join_path
from egain_provision.schemas import load_schema

ACTIONS = ("say", "expectDelivery", "waitForReplyContaining", "waitForReplyMatching", "agents", "advanceClock", "end")
DEFAULT_TIMEOUT = 10.0
MAX_FILE_BYTES = 1_000_000


@dataclass(frozen=True)
class Step:
    """One step: its action, the action's value, how long it may wait, and where it is written."""

    action: str
    value: Any
    timeout: float
    location: SourceLocation

    def describe(self) -> str:
        """`action: value` as the report shows it."""
        value = self.value
        if isinstance(value, dict):
            value = "{" + ", ".join(f"{key}: {item}" for key, item in value.items()) + "}"
        elif value is True:
            value = "true"
        return f"{self.action}: {value}"


@dataclass(frozen=True)
class Scenario:
    """One scripted conversation."""

    name: str
    account: str
    customer: str
    steps: tuple[Step, ...]
    location: SourceLocation


def load_scenarios(files: list[str]) -> tuple[list[Scenario], list[Diagnostic]]:
    """Every scenario of `files`, and every problem found in them (file:line:col)."""
    scenarios: list[Scenario] = []
    diagnostics: list[Diagnostic] = []
    for file in files:
        found, problems = _load_file(file)
        scenarios.extend(found)
        diagnostics.extend(problems)
    return scenarios, diagnostics


def _load_file(file: str) -> tuple[list[Scenario], list[Diagnostic]]:
    start = SourceLocation(file, 1, 1)
    try:
        data = read_regular_file(file, MAX_FILE_BYTES)
    except Unreadable as exc:
        return [], [Diagnostic("error", start, "", exc.reason, exc.hint)]
    text, problem = decode_text(file, data)
    if text is None:
        return [], [problem] if problem else []
    documents, problem = compose_documents(file, text)
    if problem is not None:
        return [], [problem]
    if len(documents) != 1 or documents[0] is None:
        return [], [Diagnostic("error", start, "", "a scenario file holds one YAML document", "remove the `---` lines")]
    reader = NodeReader(file, lambda text, location, path, plain: text)
    positions = Positions()
    value = reader.convert(documents[0], "", positions)
    if reader.diagnostics:
        return [], reader.diagnostics
    problems = _schema_problems(value, positions, start) + _step_problems(value, positions)
    if problems:
        return [], problems
    return _scenarios(value, positions), []


def _schema_problems(value: Any, positions: Positions, start: SourceLocation) -> list[Diagnostic]:
    validator = jsonschema.Draft202012Validator(load_schema("scenario"))
    problems = []
    for error in sorted(validator.iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path]):
        path = ""
        for part in error.absolute_path:
            path = join_path(path, part)
        location = positions.values.get(path, start)
        hint = f"the keys a step takes: {', '.join(ACTIONS)} and timeout" if "steps[" in path else None
        problems.append(Diagnostic("error", location, path, _message(error), hint))
    return problems


def _message(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown key")
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    return error.message


def _step_problems(value: Any, positions: Positions) -> list[Diagnostic]:
    problems = []
    for s_index, scenario in enumerate(value.get("scenarios") or []):
        for index, step in enumerate(scenario.get("steps") or []):
            path = join_path(join_path(join_path(join_path("", "scenarios"), s_index), "steps"), index)
            location = positions.values[path]
            actions = [key for key in step if key in ACTIONS]
            if len(actions) != 1:
                message = f"a step holds exactly one action, not {len(actions)}" + (
                    f" ({', '.join(actions)})" if actions else ""
                )
                problems.append(Diagnostic("error", location, path, message, "one of: " + ", ".join(ACTIONS)))
            pattern = step.get("waitForReplyMatching")
            if isinstance(pattern, str):
                try:
                    re.compile(pattern)
                except re.error as exc:
                    where = positions.values.get(join_path(path, "waitForReplyMatching"), location)
                    problems.append(Diagnostic("error", where, path, f"not a regular expression: {exc}"))
    return problems


def _scenarios(value: dict[str, Any], positions: Positions) -> list[Scenario]:
    file_timeout = float(value.get("timeout", DEFAULT_TIMEOUT))
    scenarios = []
    for s_index, scenario in enumerate(value["scenarios"]):
        scenario_path = join_path(join_path("", "scenarios"), s_index)
        scenario_timeout = float(scenario.get("timeout", file_timeout))
        steps = []
        for index, step in enumerate(scenario["steps"]):
            action = next(key for key in step if key in ACTIONS)
            step_path = join_path(join_path(scenario_path, "steps"), index)
            timeout = float(step.get("timeout", scenario_timeout))
            steps.append(Step(action, step[action], timeout, positions.values[step_path]))
        scenarios.append(
            Scenario(
                name=scenario["name"],
                account=scenario["account"],
                customer=scenario.get("customer", "egain-provision test"),
                steps=tuple(steps),
                location=positions.values[scenario_path],
            )
        )
    return scenarios

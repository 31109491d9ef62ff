"""Scenario results for people (text), programs (json) and CI test views (JUnit XML)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from typing import Any

from egain_provision.scenarios.running import ScenarioResult, StepResult

FORMATS = ("text", "json", "junit")
_MARKS = {"passed": "ok     ", "failed": "FAIL   ", "unknown": "UNKNOWN", "skipped": "skip   "}


def render(results: Sequence[ScenarioResult], fmt: str) -> str:
    """The whole report in `fmt`."""
    if fmt == "json":
        return json.dumps(_json(results), indent=2, ensure_ascii=False) + "\n"
    if fmt == "junit":
        return _junit(results)
    return _text(results)


def summary(results: Sequence[ScenarioResult]) -> str:
    """`N scenarios: P passed, F failed, U unknown`."""
    counts = Counter(result.status for result in results)
    parts = [f"{counts[status]} {status}" for status in ("passed", "failed", "unknown") if counts[status]]
    noun = "scenario" if len(results) == 1 else "scenarios"
    return f"{len(results)} {noun}: {', '.join(parts) or 'none run'}"


def _text(results: Sequence[ScenarioResult]) -> str:
    lines = []
    for result in results:
        lines.append(f"{result.status.upper()}: {result.scenario.name} ({result.scenario.location})")
        for number, step in enumerate(result.steps, 1):
            timing = f"  ({step.seconds:.2f} s)" if step.status in ("passed", "failed") else ""
            lines.append(f"  {_MARKS[step.status]} {number}. {step.step.describe()}{timing}")
            if step.expected:
                lines.append(f"      expected: {step.expected}")
            if step.received:
                lines.append(f"      received: {step.received}")
    lines.append(summary(results))
    return "\n".join(lines) + "\n"


def _step_json(number: int, step: StepResult) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "step": number,
        "action": step.step.action,
        "value": step.step.value,
        "status": step.status,
        "seconds": round(step.seconds, 3),
        "line": step.step.location.line,
    }
    if step.expected:
        shown["expected"] = step.expected
    if step.received:
        shown["received"] = step.received
    return shown


def _json(results: Sequence[ScenarioResult]) -> dict[str, Any]:
    return {
        "scenarios": [
            {
                "name": result.scenario.name,
                "file": result.scenario.location.file,
                "line": result.scenario.location.line,
                "status": result.status,
                "conversation": result.conversation,
                "steps": [_step_json(number, step) for number, step in enumerate(result.steps, 1)],
            }
            for result in results
        ],
        "summary": summary(results),
    }


def _junit(results: Sequence[ScenarioResult]) -> str:
    """One testsuite per scenario file, one testcase per scenario; unknown is reported as skipped."""
    suites = ET.Element("testsuites", name="egain-provision test")
    by_file: dict[str, list[ScenarioResult]] = {}
    for result in results:
        by_file.setdefault(result.scenario.location.file, []).append(result)
    for file, file_results in by_file.items():
        failures = sum(result.status == "failed" for result in file_results)
        skipped = sum(result.status == "unknown" for result in file_results)
        seconds = sum(step.seconds for result in file_results for step in result.steps)
        suite = ET.SubElement(
            suites, "testsuite", name=file, tests=str(len(file_results)), failures=str(failures),
            skipped=str(skipped), errors="0", time=f"{seconds:.3f}",
        )  # fmt: skip
        for result in file_results:
            _testcase(suite, file, result)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _testcase(suite: ET.Element, file: str, result: ScenarioResult) -> None:
    seconds = sum(step.seconds for step in result.steps)
    case = ET.SubElement(suite, "testcase", classname=file, name=result.scenario.name, time=f"{seconds:.3f}")
    case.set("file", file)
    case.set("line", str(result.scenario.location.line))
    details = _text([result]).rsplit("\n", 2)[0]
    bad = next((step for step in result.steps if step.status in ("failed", "unknown")), None)
    if bad is None:
        return
    message = f"{bad.step.describe()}: expected {bad.expected}" + (f"; received {bad.received}" if bad.received else "")
    element = ET.SubElement(case, "failure" if result.status == "failed" else "skipped", message=message)
    element.text = details

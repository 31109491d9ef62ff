"""The example pull-request comments in docs/: the Markdown plan of a 3-object and of a 300-object change.

Each is planned for real against a fresh embedded sandbox (in a temporary directory): the tenant
is first given a starting state by apply, then the changed manifests are planned with --prune
and rendered by `render_markdown`, exactly as `plan --format markdown` prints them. The sandbox's
ids are random, so they are numbered in plan order instead; nothing else varies between runs.

- docs/plan-3-objects.md: examples/agent-only moves its agent desk to a new OAuth2 callback
  authentication (a create, an update referring to it, and the prune of a retired channel).
- docs/plan-300-objects.md: a tenant of generated contact-center lines (benchmarks/tenant.py)
  retires one line (8 deletes), revises 20 objects of five others and adds 34 lines (272 creates).

    python -m tools.render_docs --write      (make docs)
    python -m tools.render_docs --check      (exit 1 when a file in docs/ is stale)
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import copy
import dataclasses
import sys
import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from benchmarks.tenant import setup_objects
from egain_provision.apply import Executor
from egain_provision.commands.plan import with_requests
from egain_provision.context import Network, RunContext
from egain_provision.kinds import SETUP_ORDER
from egain_provision.plan import Plan
from egain_provision.planner import PlanOptions
from egain_provision.render import render_markdown
from egain_provision.targets import embedded_sandbox
from egain_provision.workflow import compute_plan, load_valid_manifests

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
AGENT_ONLY = REPO / "examples" / "agent-only" / "agent-only.yaml"
TARGET_LABEL = "embedded sandbox"
# Stand-ins for the CI secret store; the tests check that no document shows them.
SECRET_ENV = {
    "EGAIN_VAR_AGENT_DESK_PASSWORD": "docs-only-desk-password",
    "EGAIN_VAR_DESK_OAUTH_PAYLOAD": '{"clientId": "desk", "clientSecret": "docs-only-desk-oauth"}',
    "EGAIN_VAR_BENCH_PAYLOAD": '{"clientId": "line", "clientSecret": "docs-only-line-oauth"}',
}
SECRETS = ("docs-only-desk-password", "docs-only-desk-oauth", "docs-only-line-oauth")

Manifest = dict[str, Any]


def agent_only_change() -> tuple[Manifest, Manifest]:
    """examples/agent-only with a channel since retired, and as changed: a new OAuth2 authentication for its desk."""
    example: Manifest = yaml.safe_load(AGENT_ONLY.read_text("utf-8"))
    before = copy.deepcopy(example)
    retired = copy.deepcopy(example["channels"][0])
    retired.update({"type": "custom.sms-legacy", "displayName": "SMS gateway (retired)"})
    before["channels"].append(retired)
    after = copy.deepcopy(example)
    after["authentications"].append(
        {
            "name": "ao-desk-oauth2",
            "description": "OAuth2 client credentials for the agent desk callbacks",
            "type": "oauth2",
            "oauth2": {
                "tokenRequestUrl": "https://desk.example.com/oauth/token",
                "method": "POST",
                "headers": [{"name": "Content-Type", "value": "application/json"}],
                "payload": "${env:EGAIN_VAR_DESK_OAUTH_PAYLOAD}",
                "accessTokenPath": "$.access_token",
            },
        }
    )
    desk = next(item for item in after["clientApplications"] if item["name"] == "ao-agent-desk")
    for role in desk["roles"]:
        role["authentication"] = "ao-desk-oauth2"
    return before, after


def generated_lines_change() -> tuple[Manifest, Manifest]:
    """Six generated lines, and as changed: line 0 retired, 20 objects of lines 1-5 revised, lines 6-39 added."""
    return _lines(range(6), lambda index, objects: objects), _lines(range(1, 40), _revised)


def _revised(index: int, objects: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Lines 1-5 each get four edits: a longer account timeout, a wider channel, a slower bot hand-off, a new URL."""
    if index > 5:
        return objects
    account, channel = objects["accounts"][0], objects["channels"][0]
    account["chatConfigurations"]["timeout"] = 45
    account["description"] = f"Account of line {index:04d}, open longer"
    channel["restrictions"]["inbound"]["maxTextLength"] = 1000
    channel["restrictions"]["inbound"]["features"].append("delivery_receipts")
    objects["orchestrations"][0]["applications"]["botConfiguration"]["bypassVaDuration"] = 60
    bot_role = objects["clientApplications"][1]["roles"][0]
    bot_role["callback"] = bot_role["callback"].replace("/egain/callback", "/egain/v2/callback")
    return objects


def _lines(
    indexes: range, edit: Callable[[int, dict[str, list[dict[str, Any]]]], dict[str, list[dict[str, Any]]]]
) -> Manifest:
    document: Manifest = {"version": 1, **{kind: [] for kind in SETUP_ORDER}}
    for index in indexes:
        for kind, objects in edit(index, setup_objects(index)).items():
            document[kind].extend(objects)
    return document


def planned_change(folder: Path, before: Manifest, after: Manifest, environ: Mapping[str, str]) -> Plan:
    """`after` planned with --prune against a fresh embedded sandbox that `before` was applied to."""
    target = dataclasses.replace(embedded_sandbox({"EGAIN_SANDBOX_DB": str(folder / "sandbox.db")}), label=TARGET_LABEL)
    context = RunContext(target, network=Network(notice=None))

    async def run() -> Plan:
        start = await compute_plan(_load(folder / "before.yaml", before, environ), context, PlanOptions())
        async with context.client() as client:
            result = await Executor(client, start).run()
        if not result.ok:
            raise RuntimeError(f"the starting state did not apply: {result.totals}")
        # The requests of this plan alone, as `plan` counts them: not those that made the starting state.
        before_reads = collections.Counter(context.pacer.sent)
        planned = await compute_plan(_load(folder / "after.yaml", after, environ), context, PlanOptions(prune=True))
        return with_requests(planned, collections.Counter(context.pacer.sent) - before_reads, context.rate)

    return numbered_ids(asyncio.run(run()))


def _load(path: Path, document: Manifest, environ: Mapping[str, str]) -> Any:
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return load_valid_manifests([str(path)], {}, environ=environ)


def numbered_ids(plan: Plan) -> Plan:
    """The plan with the sandbox's random ids replaced by 00000000-...-000000000001 and so on, in plan order."""
    numbers: dict[str, str] = {}

    def number(object_id: str | None) -> str | None:
        if object_id is None:
            return None
        return numbers.setdefault(object_id, str(uuid.UUID(int=len(numbers) + 1)))

    actions = [dataclasses.replace(item, id=number(item.id)) for item in plan.actions]
    unmanaged = [dataclasses.replace(item, id=number(item.id) or "") for item in plan.unmanaged]
    return dataclasses.replace(plan, actions=actions, unmanaged=unmanaged)


def document(name: str, command: str, plan: Plan) -> str:
    """One docs page: a hidden line saying where it comes from, then the comment as `plan` prints it."""
    source = f"<!-- docs/{name}: generated by `make docs` (tools/render_docs.py); do not edit. {command} -->\n"
    return source + render_markdown(plan)


def rendered() -> dict[str, str]:
    """Every generated page, by file name in docs/."""
    environ = dict(SECRET_ENV)
    pages = (
        ("plan-3-objects.md", "examples/agent-only, changed: plan --prune --format markdown", agent_only_change),
        ("plan-300-objects.md", "generated lines, changed: plan --prune --format markdown", generated_lines_change),
    )
    out = {}
    for name, command, change in pages:
        with tempfile.TemporaryDirectory(prefix="egain-docs-") as folder:
            out[name] = document(name, command, planned_change(Path(folder), *change(), environ))
    return out


def stale(files: Mapping[str, str], directory: Path = DOCS) -> list[str]:
    """The pages in `directory` that differ from `files` (as `rendered()` gives them)."""
    return [
        str(directory / name)
        for name, text in files.items()
        if not (directory / name).exists() or (directory / name).read_text("utf-8") != text
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.render_docs", description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="regenerate the example plans in docs/")
    action.add_argument("--check", action="store_true", help="exit 1 when a page in docs/ is stale")
    args = parser.parse_args(argv)
    files = rendered()
    if args.write:
        DOCS.mkdir(exist_ok=True)
        for name, text in files.items():
            (DOCS / name).write_text(text, "utf-8")
        return 0
    outdated = stale(files)
    for path in outdated:
        print(f"{path}: out of date; run `make docs`", file=sys.stderr)
    return 1 if outdated else 0


if __name__ == "__main__":
    sys.exit(main())

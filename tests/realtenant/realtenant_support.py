"""Shared by the real-tenant specifications: sandboxes answering as a tenant variant, the CLI against them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from egain_provision.sandbox.config import BASE_PATH
from egain_provision.sandbox.testing import ServedSandbox
from egain_provision.sandbox.variants import Variants
from tests.support import KIND_PATHS, CliResult, Tenant, run_cli, target_env, write_manifest

WRITES = frozenset({"POST", "PUT", "DELETE"})

ROLE = """\
      - name: custom_agent
        version: v3
        callback: https://agents.example.com/egain/callback
        notificationEmail: ops@example.com
"""

# A small tenant: a secret, references between kinds, an orchestration (whose names may repeat).
SMALL = f"""\
version: 1
authentications:
  - name: agent-basic
    type: basic
    basicAuth:
      username: egain
      password: ${{env:EGAIN_VAR_AGENT_PASSWORD}}
clientApplications:
  - name: agent-desk
    description: Agents
    roles:
{ROLE}        authentication: agent-basic
  - name: spare-desk
    roles:
{ROLE}orchestrations:
  - name: agents-only
    applications:
      agentConfiguration:
        agents: [agent-desk]
"""
# The update: a description changed. The prune: spare-desk no longer declared.
UPDATED = SMALL.replace("description: Agents", "description: Agents, updated")
PRUNED = UPDATED.replace(f"  - name: spare-desk\n    roles:\n{ROLE}", "")
DECLARED = {
    "authentications": ["agent-basic"],
    "clientApplications": ["agent-desk", "spare-desk"],
    "orchestrations": ["agents-only"],
}


def variant_sandbox(tmp_path: Path, **settings: Any) -> ServedSandbox:
    """A sandbox answering as the variant `settings` (SandboxConfig fields) describe."""
    return ServedSandbox(db_path=str(tmp_path / "sandbox.db"), **settings)


def cli(sandbox: ServedSandbox, command: str, manifest: Path, *options: str) -> CliResult:
    """`egain-provision COMMAND --target <sandbox> MANIFEST OPTIONS`, in process."""
    extra = ("--auto-approve", "--journal", str(manifest.parent / "journal.jsonl")) if command == "apply" else ()
    args = [command, "--target", sandbox.base_url, *extra, str(manifest), *options]
    return run_cli(args, env=target_env(sandbox))


def manifest(tmp_path: Path, text: str, name: str = "setup") -> Path:
    return write_manifest(tmp_path / name, text)


def writes(sandbox: ServedSandbox) -> list[str]:
    """Every API write in the request log (token requests are not writes), as `METHOD path`."""
    entries = sandbox.requests()
    return [
        f"{entry['method']} {entry['path']}"
        for entry in entries
        if entry["method"] in WRITES and entry["path"].startswith(BASE_PATH)
    ]


@contextmanager
def spec_view(sandbox: ServedSandbox) -> Iterator[Tenant]:
    """Raw HTTP access to the tenant as the spec's reading answers it; the variant is restored after."""
    variant = {name: value for name, value in sandbox.set_options().items() if name != "echo_defaults"}
    sandbox.set_options(**Variants().as_json())
    tenant = Tenant(sandbox)
    try:
        yield tenant
    finally:
        tenant.close()
        sandbox.set_options(**variant)


def live_names(sandbox: ServedSandbox) -> dict[str, list[str]]:
    """Every kind's natural keys as stored, sorted (a duplicate shows twice); kinds without objects left out."""
    with spec_view(sandbox) as tenant:
        names = {kind: tenant.names(kind) for kind in KIND_PATHS}
    return {kind: found for kind, found in names.items() if found}


def live(sandbox: ServedSandbox, kind: str, name: str) -> dict[str, Any]:
    """One stored object, as the spec's reading answers it."""
    with spec_view(sandbox) as tenant:
        return tenant.find(kind, name)


def write_counts(sandbox: ServedSandbox) -> Counter[str]:
    """How many POST, PUT and DELETE requests the log holds."""
    return Counter(entry.split()[0] for entry in writes(sandbox))

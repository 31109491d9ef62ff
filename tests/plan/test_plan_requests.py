"""`plan` records its requests per method: the reads the tenant saw, what its apply will send, and how many
such runs fit in a month when the `--rate-limit` tier's quota is known (`requests` in the JSON plan)."""

from __future__ import annotations

import collections
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from egain_provision.sandbox.config import BASE_PATH
from egain_provision.sandbox.testing import ServedSandbox
from tests.support import FULL_SETUP, CliResult, Tenant, create_full_setup, run_cli, target_env, write_manifest

# FULL_SETUP, with one object added (a create) and one changed (an update); run with --prune against a tenant
# that also holds an undeclared authentication (a delete).
CHANGED = FULL_SETUP.replace(
    "clientApplications:\n",
    "  - name: new-basic\n    type: basic\n    basicAuth:\n      username: new\n"
    "      password: ${env:EGAIN_VAR_AGENT_PASSWORD}\n"
    "clientApplications:\n",
    1,
).replace("    description: Order bot\n", "    description: Order bot, revised\n", 1)
WRITES = ("POST", "PUT", "DELETE")


@pytest.fixture
def tenant(clean_sandbox: ServedSandbox) -> Iterator[Tenant]:
    client = Tenant(clean_sandbox)
    yield client
    client.close()


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # apply's journal goes under the working directory
    return tmp_path


def cli(sandbox: ServedSandbox, *args: str) -> CliResult:
    command, *rest = args
    return run_cli([command, "--target", sandbox.base_url, *rest], env=target_env(sandbox))


def api_methods(sandbox: ServedSandbox) -> collections.Counter[str]:
    """The tenant's count of the API requests it was sent, per method (token and admin requests left out)."""
    return collections.Counter(entry["method"] for entry in sandbox.requests() if entry["path"].startswith(BASE_PATH))


def writes(counts: dict[str, Any]) -> dict[str, int]:
    return {method: counts[method] for method in WRITES if counts.get(method)}


def test_the_json_plan_counts_the_reads_the_tenant_saw_and_the_writes_its_apply_then_sends(
    clean_sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    create_full_setup(tenant)
    retired = {"name": "retired", "type": "basic", "basicAuth": {"username": "r", "password": "p"}}
    tenant.create("authentications", retired)
    manifest, saved = str(write_manifest(tmp_path, CHANGED)), str(tmp_path / "plan.json")
    clean_sandbox.clear_requests()
    planned = cli(clean_sandbox, "plan", "--prune", "--format", "json", "--out", saved, manifest)
    assert planned.exit_code == 0, planned.output
    requests = json.loads(planned.stdout)["requests"]
    # Every request planning sent, as the tenant counted them: reads only.
    assert requests["plan"] == dict(api_methods(clean_sandbox)) and set(requests["plan"]) == {"GET"}
    assert writes(requests["apply_estimate"]) == {"POST": 1, "PUT": 1, "DELETE": 1}
    assert "monthly_quota" not in requests  # unpaced (a loopback target): no tier, no quota known
    assert json.loads(Path(saved).read_text("utf-8"))["requests"] == requests
    clean_sandbox.clear_requests()
    applied = cli(clean_sandbox, "apply", "--format", "json", saved)
    assert applied.exit_code == 0, applied.output
    # The writes the plan expected are the ones apply sent and the tenant received, exactly.
    assert writes(json.loads(applied.stdout)["requests_per_method"]) == writes(requests["apply_estimate"])
    assert writes(api_methods(clean_sandbox)) == writes(requests["apply_estimate"])


def test_with_a_known_monthly_quota_the_json_plan_says_how_many_such_runs_fit(
    clean_sandbox: ServedSandbox, tmp_path: Path
) -> None:
    # A developer-sized quota (1,000 requests per method per month) at a pace a test can wait for.
    manifest = str(write_manifest(tmp_path))
    result = cli(clean_sandbox, "plan", "--rate-limit", "1000/50/1000", "--format", "json", manifest)
    assert result.exit_code == 0, result.output
    requests = json.loads(result.stdout)["requests"]
    assert writes(requests["apply_estimate"]) == {"POST": 9}
    both = collections.Counter(requests["plan"]) + collections.Counter(requests["apply_estimate"])
    busiest = max(both.values())
    assert requests["monthly_quota"] == {
        "tier": "given",
        "per_method": 1000,
        "busiest_method": next(method for method in ("GET", "POST") if both[method] == busiest),
        "runs": 1000 // busiest,
    }
    runs = requests["monthly_quota"]["runs"]
    assert f"allows 1,000 requests per method per month: {runs:,} such runs" in result.stderr


def test_the_pull_request_comment_ends_with_the_requests_per_method(
    clean_sandbox: ServedSandbox, tmp_path: Path
) -> None:
    manifest = str(write_manifest(tmp_path))
    result = cli(clean_sandbox, "plan", "--rate-limit", "1000/50/1000", "--format", "markdown", manifest)
    assert result.exit_code == 0, result.output
    reads = api_methods(clean_sandbox)["GET"]
    line = next(line for line in result.stdout.splitlines() if line.startswith("Requests per method: "))
    assert line.startswith(f"Requests per method: plan GET {reads}; its apply about GET ")
    assert ", POST 9; the given tier allows 1,000 requests per method per month: " in line
    # The stderr line says the same.
    assert f"requests per method: {line.removeprefix('Requests per method: ').removesuffix('.')}\n" in result.stderr

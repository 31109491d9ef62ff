"""A tenant that stores a declared value in another form (its own normalisation) gets a plan note with the fix,
not an update planned forever; a real change beside it is still planned."""

from __future__ import annotations

import json
from pathlib import Path

from egain_provision.sandbox.testing import ServedSandbox
from tests.support import Tenant, run_cli, target_env, write_manifest

MANIFEST = """\
version: 1
clientApplications:
  - name: web
    roles:
      - {name: customer, version: v3, callback: "https://web.example.com/cb", notificationEmail: Ops@Example.com}
channels:
  - type: custom.web
    displayName: Web chat
    icon: aWNvbg==
    restrictions:
      outbound: {features: [attachments, richText]}
"""


def store_normalised(tenant: Tenant) -> None:
    """What a normalising tenant makes of MANIFEST: the email lower-cased, `/` appended, the list reordered."""
    role = {"name": "customer", "version": "v3", "callback": "https://web.example.com/cb/"}
    tenant.create("clientApplications", {"name": "web", "roles": [{**role, "notificationEmail": "ops@example.com"}]})
    tenant.create(
        "channels",
        {
            "type": "custom.web",
            "displayName": "Web chat",
            "icon": "aWNvbg==",
            "restrictions": {"outbound": {"features": ["richText", "attachments"]}},
        },
    )


def plan(sandbox: ServedSandbox, manifest: Path, *args: str) -> tuple[int, str]:
    result = run_cli(
        ["plan", "--target", sandbox.base_url, str(manifest), "--detailed-exitcode", "--no-color", *args],
        env=target_env(sandbox),
    )
    return result.exit_code, result.stdout + result.stderr


def test_values_stored_normalised_plan_no_update_and_say_what_to_write(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    store_normalised(tenant)
    code, output = plan(sandbox, write_manifest(tmp_path, MANIFEST))
    assert code == 0, output
    assert "0 to update" in output or "No changes." in output
    assert (
        'roles[customer].notificationEmail: the tenant stores "Ops@Example.com" as "ops@example.com" (case); '
        'write `"ops@example.com"` in the manifest to converge'
    ) in output
    assert "setup.yaml:" in output  # located at the declaring object
    assert '(trailing slash); write `"https://web.example.com/cb/"`' in output
    assert "restrictions.outbound.features: the tenant stores" in output and "(order)" in output


def test_the_json_plan_lists_each_normalisation_with_its_fix(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    store_normalised(tenant)
    manifest = write_manifest(tmp_path, MANIFEST)
    result = run_cli(["plan", "--target", sandbox.base_url, str(manifest), "--format", "json"], env=target_env(sandbox))
    document = json.loads(result.stdout)  # stdout alone: stderr says what the plan spent
    assert result.exit_code == 0 and document["actions"] == []
    found = {(note["kind"], note["path"], note["normalisation"]) for note in document["normalisations"]}
    assert found == {
        ("clientApplications", "roles[customer].notificationEmail", "case"),
        ("clientApplications", "roles[customer].callback", "trailing slash"),
        ("channels", "restrictions.outbound.features", "order"),
    }


def test_github_and_markdown_show_the_notes(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    store_normalised(tenant)
    manifest = write_manifest(tmp_path, MANIFEST)
    _, github = plan(sandbox, manifest, "--format", "github")
    annotations = [line for line in github.splitlines() if line.startswith("::warning file=")]
    assert len(annotations) == 3
    assert all("title=roles[customer]" in line or "title=restrictions" in line for line in annotations)
    _, markdown = plan(sandbox, manifest, "--format", "markdown")
    assert "Stored in another form (not planned)" in markdown


def test_a_real_change_beside_a_normalised_value_is_still_planned(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    store_normalised(tenant)
    changed = MANIFEST.replace("displayName: Web chat", "displayName: Web chat v2")
    code, output = plan(sandbox, write_manifest(tmp_path, changed))
    assert code == 2, output
    assert '~ displayName: "Web chat" -> "Web chat v2"' in output
    assert "features[" not in output  # the reordered list is a note, not part of the update
    assert "1 to update" in output


def test_a_differently_cased_value_that_is_not_a_normalisation_is_a_change(
    sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path
) -> None:
    store_normalised(tenant)
    changed = MANIFEST.replace("Ops@Example.com", "Desk@Example.com")
    code, output = plan(sandbox, write_manifest(tmp_path, changed))
    assert code == 2, output
    assert '"ops@example.com" -> "Desk@Example.com"' in output

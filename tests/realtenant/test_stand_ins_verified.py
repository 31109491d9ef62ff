"""Apply against the issue-20 stand-ins: what it wrote is verified, a normalisation is reported with its fix
and exit code 5, a delete answered 202 is confirmed before the next plan, and lost creates are never copied.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from egain_provision.sandbox.tenants import NORMALIZATIONS
from tests.realtenant.realtenant_support import BASE_PATH, cli, live_names, manifest
from tests.realtenant.stand_ins import stand_in
from tests.support import FULL_SETUP, FULL_SETUP_ORDER, SECRETS

# FULL_SETUP with a value for each class to act on: blanks, a capitalised e-mail, two ordered intents.
NORMALISED = (
    FULL_SETUP.replace("description: Order bot", "description: 'Order bot '")
    .replace("notificationEmail: ops@example.com", "notificationEmail: Ops@Example.com", 1)
    .replace(
        "        - {value: order_status, displayValue: Order status}",
        "        - {value: order_status, displayValue: Order status}\n        - {value: refund, displayValue: Refund}",
    )
)
# What each class does to NORMALISED: (kind, name, field, class as apply names it, what a fix says).
REPORTED: dict[str, tuple[str, str, str, str, str]] = {
    "trim": ("clientApplications", "order-bot-app", "description", "surrounding blanks", 'write `"Order bot"`'),
    "lowercase-email": (
        "clientApplications",
        "web-customer",
        "roles[customer].notificationEmail",
        "case",
        'write `"ops@example.com"`',
    ),
    "trailing-slash": (
        "clientApplications",
        "web-customer",
        "roles[customer].callback",
        "trailing slash",
        'write `"https://web.example.com/egain/callback/"`',
    ),
    "nested-defaults": ("channels", "custom.web", "restrictions.outbound", "default added", "declare `{"),
    "reverse-ordered": ("participants", "order-bot", "intents.intent", "order", 'write `[{"displayValue": "Refund"'),
    "integers-as-strings": (
        "channels",
        "custom.web",
        "restrictions.inbound.maxTextLength",
        "number as string",
        'write `"800"`',
    ),
    "booleans-as-strings": ("accounts", "order-account", "active", "number as string", 'write `"true"`'),
}


FULL_SETUP_NAMES = {
    kind: sorted(name for _, other, name in FULL_SETUP_ORDER if other == kind)
    for kind in dict.fromkeys(kind for _, kind, _ in FULL_SETUP_ORDER)
}


def differences_of(summary: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {
        (outcome["kind"], outcome["natural_key"], item["path"]): item
        for outcome in summary["outcomes"]
        for item in outcome["differences"]
    }


def test_every_normalisation_class_has_a_report() -> None:
    assert set(REPORTED) == set(NORMALIZATIONS)


@pytest.mark.parametrize("normalisation", sorted(NORMALIZATIONS))
def test_a_normalised_write_is_absorbed_or_reported_with_field_values_class_and_fix(
    tmp_path: Path, normalisation: str
) -> None:
    """Issue 20's rule: a normalisation the API's meaning explains is absorbed (the tenant converges at once);
    any other is reported by apply, object, field, values, class and fix, with exit code 5."""
    kind, name, path, kind_of, fix = REPORTED[normalisation]
    setup = manifest(tmp_path, NORMALISED)
    with stand_in(tmp_path, f"normalising-{normalisation}") as sandbox:
        applied = cli(sandbox, "apply", setup, "--format", "json")
        summary = json.loads(applied.stdout)
        found = differences_of(summary)
        if (kind, name, path) not in found:
            assert (applied.exit_code, summary["converged"], found) == (0, True, {}), applied.output
            assert cli(sandbox, "plan", setup, "--detailed-exitcode").exit_code == 0
            return
        assert applied.exit_code == 5, applied.output
        assert summary["ok"] and not summary["converged"]
        item = found[(kind, name, path)]
        assert item["class"] == kind_of
        assert item["fix"].startswith(fix)
        assert "stored" in item and "sent" in item
        # Never a plain "created" for what the tenant stores otherwise.
        outcome = next(o for o in summary["outcomes"] if (o["kind"], o["natural_key"]) == (kind, name))
        assert outcome["verification"] == "differs"
        assert summary["totals"]["differs"] >= 1
        # Said once: the plan of the next apply notes it, with its fix, and plans nothing for it.
        text = cli(sandbox, "apply", setup)
        assert text.exit_code == 0, text.output
        assert f"{path}: the tenant stores " in text.stdout and f"({kind_of}); {fix}" in text.stdout, text.output
        assert "Nothing to apply" in text.stderr
        assert not any(secret in text.output + applied.output for secret in SECRETS)


def test_a_tenant_that_keeps_a_removed_field_is_told_a_put_cannot_remove_it(tmp_path: Path) -> None:
    setup = manifest(tmp_path, FULL_SETUP)
    with stand_in(tmp_path, "merging-put") as sandbox:
        assert cli(sandbox, "apply", setup).exit_code == 0
        setup.write_text(FULL_SETUP.replace("    description: Order bot\n", ""))
        applied = cli(sandbox, "apply", setup, "--format", "markdown")
        assert applied.exit_code == 5, applied.output
        assert "kept after removal" in applied.stdout
        assert "a PUT cannot remove it on this tenant" in applied.stdout


def test_a_delete_answered_202_is_confirmed_before_the_next_plan(tmp_path: Path) -> None:
    setup = manifest(tmp_path, FULL_SETUP)
    with stand_in(tmp_path, "delete-202", delete_delay=1) as sandbox:
        assert cli(sandbox, "apply", setup).exit_code == 0
        setup.write_text(FULL_SETUP[: FULL_SETUP.index("accounts:")])
        pruned = cli(sandbox, "apply", setup, "--prune", "--format", "json")
        assert pruned.exit_code == 0, pruned.output
        summary = json.loads(pruned.stdout)
        assert [(o["action"], o["verification"]) for o in summary["outcomes"]] == [("delete", "verified")]
        assert summary["lag_s"] > 0.5  # it waited for the tenant to stop listing it
        assert cli(sandbox, "plan", setup, "--prune", "--detailed-exitcode").exit_code == 0


def test_a_delete_still_listed_after_the_window_is_pending_not_done(tmp_path: Path) -> None:
    setup = manifest(tmp_path, FULL_SETUP)
    with stand_in(tmp_path, "delete-202", delete_delay=30) as sandbox:
        assert cli(sandbox, "apply", setup).exit_code == 0
        setup.write_text(FULL_SETUP[: FULL_SETUP.index("accounts:")])
        pruned = cli(sandbox, "apply", setup, "--prune", "--read-after-write", "0.3")
        assert pruned.exit_code == 5, pruned.output
        assert "Deleted:" not in pruned.stdout
        assert "delete answered, but the tenant still lists it after" in pruned.stdout


def test_lost_creates_on_lists_lagging_beyond_the_window_make_no_copy_and_the_next_run_adopts(tmp_path: Path) -> None:
    """Every create's answer lost as a gateway's 502 after it was stored, lists 30 s behind: sent once each."""
    setup = manifest(tmp_path, FULL_SETUP)
    with stand_in(tmp_path, "lagging-lists-lost-answers", list_lag=30, lost_answer_rate=1.0) as sandbox:
        applied = cli(sandbox, "apply", setup, "--read-after-write", "0.3", "--format", "json")
        assert applied.exit_code == 1, applied.output
        status = {o["address"]: o["status"] for o in json.loads(applied.stdout)["outcomes"]}
        first = {"authentications/agent-basic", "authentications/bot-callback", "clientApplications/web-customer"}
        first |= {"channels/custom.web"}
        assert {address for address, value in status.items() if value == "unknown"} == first
        assert {value for address, value in status.items() if address not in first} == {"skipped"}
        posts = [e for e in sandbox.requests() if e["method"] == "POST" and e["path"].startswith(BASE_PATH)]
        assert len(posts) == len(first), posts
        # Once the tenant shows them, the next run adopts them and creates the rest: no copy anywhere.
        sandbox.clear_faults()
        sandbox.set_options(list_lag=0)
        again = cli(sandbox, "apply", setup, "--format", "json")
        assert again.exit_code == 0, again.output
        assert {o["address"] for o in json.loads(again.stdout)["outcomes"]} == set(status) - first
        assert live_names(sandbox) == FULL_SETUP_NAMES
        assert cli(sandbox, "plan", setup, "--detailed-exitcode").exit_code == 0

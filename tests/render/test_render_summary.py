"""`apply --format markdown`: the apply summary as a pull-request comment, from real applies to a served sandbox."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egain_provision.render.summary import MARKER, render_summary_markdown, render_summary_text
from egain_provision.sandbox.testing import ServedSandbox
from tests.support import (
    FULL_SETUP_ORDER,
    CliResult,
    Tenant,
    apply_after_an_application_vanished,
    run_cli,
    target_env,
    write_manifest,
)


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Apply writes .egain/journal.jsonl under the working directory: keep it in the test's folder."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cli(sandbox: ServedSandbox, *args: str) -> CliResult:
    return run_cli([args[0], "--target", sandbox.base_url, *args[1:]], env=target_env(sandbox))


def test_the_markdown_summary_names_every_created_object_and_the_plan_goes_to_stderr(
    sandbox: ServedSandbox, tmp_path: Path
) -> None:
    result = cli(sandbox, "apply", "--auto-approve", "--format", "markdown", str(write_manifest(tmp_path)))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(MARKER + "\n")
    assert "applied on" in result.stdout
    assert "**9 created**, 0 updated, 0 deleted, 0 failed, 0 skipped" in result.stdout
    assert "**Created: 9**" in result.stdout
    for _, kind, name in FULL_SETUP_ORDER:
        assert f"- {kind} **{name.replace('.', chr(92) + '.').replace('-', chr(92) + '-')}** (`" in result.stdout
    assert "Plan: 9 to create" in result.stderr
    assert "Plan:" not in result.stdout


def test_a_converged_tenant_has_nothing_to_apply(sandbox: ServedSandbox, tmp_path: Path) -> None:
    manifest = str(write_manifest(tmp_path))
    assert cli(sandbox, "apply", "--auto-approve", manifest).exit_code == 0
    result = cli(sandbox, "apply", "--auto-approve", "--format", "markdown", manifest)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(MARKER + "\n")
    assert "nothing to apply" in result.stdout
    assert "0 created, 0 updated, 0 deleted, 0 failed, 0 skipped" in result.stdout


def test_a_failed_apply_names_what_failed_first_and_why(sandbox: ServedSandbox, tenant: Tenant, tmp_path: Path) -> None:
    result = apply_after_an_application_vanished(sandbox, tenant, tmp_path, "--format", "markdown")
    assert result.exit_code == 1
    text = result.stdout
    assert "apply incomplete" in text
    assert "6 created**, 0 updated, 0 deleted, **1 failed**, **2 skipped**" in text
    assert text.index("**Failed: 1**") < text.index("**Created: 6**") < text.index("**Skipped (not attempted): 2**")
    failed = text[text.index("**Failed: 1**") : text.index("**Created: 6**")]
    assert "participants **order\\-bot**" in failed
    assert "Run apply again to retry" in text


def outcome(action: str, name: str, status: str, message: str | None = None) -> dict[str, Any]:
    """One outcome as the summary document holds it."""
    return {
        "address": f"channels/{name}",
        "action": action,
        "kind": "channels",
        "natural_key": name,
        "id": f"id-{name}",
        "status": status,
        "message": message,
        "code": None,
        "duration_ms": 5.0,
        "adopted": False,
    }


def summary_of(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    """A summary document as `apply --format json` writes it (data, built directly), totals counted from `outcomes`."""

    def count(action: str | None, *statuses: str) -> int:
        return sum(1 for o in outcomes if o["status"] in statuses and action in (None, o["action"]))

    totals = {
        "created": count("create", "done"),
        "updated": count("update", "done"),
        "deleted": count("delete", "done"),
        "failed": count(None, "failed", "conflict"),
        "skipped": count(None, "skipped"),
        "unknown": count(None, "unknown"),
        "adopted": 0,
    }
    return {
        "target": "https://api.example.com/v3",
        "ok": all(o["status"] == "done" for o in outcomes),
        "interrupted": False,
        "totals": totals,
        "journal_error": None,
        "wall_time_s": 12.5,
        "requests": len(outcomes),
        "throttled": 0,
        "waited_s": 0.0,
        "outcomes": outcomes,
    }


def big_summary(creates: int, failures: int, *, updates: int = 0, deletes: int = 0, unknown: int = 0) -> dict[str, Any]:
    """Outcomes of every group asked for, in plan order (creates first), riskiest named last."""
    outcomes = [outcome("create", f"custom.web-{n:04d}", "done") for n in range(creates)]
    outcomes += [outcome("update", f"changed-{n:04d}", "done") for n in range(updates)]
    outcomes += [outcome("delete", f"gone-{n:04d}", "done") for n in range(deletes)]
    outcomes += [outcome("create", f"lost-{n:04d}", "unknown", "answer lost") for n in range(unknown)]
    outcomes += [outcome("update", f"broken-{n}", "failed", "400 refused `x`") for n in range(failures)]
    return summary_of(outcomes)


def test_a_large_apply_fits_the_comment_names_every_failure_and_counts_what_it_leaves_out() -> None:
    summary = big_summary(3000, 2)
    text = render_summary_markdown(summary, max_chars=20_000)
    assert len(text) <= 20_000
    assert text.count("broken\\-") == 2
    assert "400 refused \\`x\\`" in text
    named = text.count("custom\\.web\\-")
    assert 100 < named < 3000
    assert f"Not named here, to fit the comment: {3000 - named} created." in text
    whole = render_summary_markdown(summary, max_chars=10**7)
    assert whole.count("custom\\.web\\-") == 3000
    assert "Not named here" not in whole


def test_the_markdown_is_the_json_summary_rendered(sandbox: ServedSandbox, tmp_path: Path) -> None:
    manifest = str(write_manifest(tmp_path))
    document = json.loads(cli(sandbox, "apply", "--auto-approve", "--format", "json", manifest).stdout)
    rendered = render_summary_markdown(document)
    for outcome in document["outcomes"]:
        assert f"(`{outcome['id']}`)" in rendered


NOTE = re.compile(r"_Not named here, to fit the comment: ([^.]+)\. ")
COUNTS = re.compile(r"^\*\*([A-Z][a-z]+)[^:\n]*: (\d+)\*\*$", re.MULTILINE)
RISK = ("failed", "unknown", "deleted", "updated", "created")


def read_comment(text: str) -> tuple[dict[str, int], dict[str, int], dict[str, int], list[str]]:
    """Per group: its heading's count, the names listed under it, the note's count; and the groups in order."""
    headings = {title.lower(): int(count) for title, count in COUNTS.findall(text)}
    named = {group: 0 for group in headings}
    group = ""
    for line in text.splitlines():
        found = COUNTS.match(line)
        if found:
            group = found[1].lower()
        elif line.startswith("- ") and group:
            named[group] += 1
    note = NOTE.search(text)
    counted = {}
    for clause in note[1].split(", ") if note else []:
        count, title = clause.split(" ")
        counted[title] = int(count)
    return headings, named, counted, list(headings)


def test_several_groups_cut_still_fit_exactly_and_count_exactly_what_is_not_named() -> None:
    summary = big_summary(3000, 400, updates=3000, deletes=3000, unknown=200)
    for limit in (4_000, 4_321, 9_999, 20_000):
        text = render_summary_markdown(summary, max_chars=limit)
        assert len(text) <= limit
        headings, named, counted, _ = read_comment(text)
        sizes = {"failed": 400, "unknown": 200, "deleted": 3000, "updated": 3000, "created": 3000}
        # Every group is either under a heading with its full count, or only in the note, or both (cut in it).
        for group, size in sizes.items():
            assert named.get(group, 0) + counted.get(group, 0) == size, (limit, group)
            assert headings.get(group, size) == size
        assert len(counted) >= 3, counted  # several groups are cut: the note counts each one


def test_a_limit_too_small_for_the_totals_and_the_note_is_refused() -> None:
    with pytest.raises(ValueError, match="max_chars 300 cannot hold"):
        render_summary_markdown(big_summary(50, 5, updates=5), max_chars=300)


@settings(max_examples=60)
@given(
    sizes=st.tuples(*(st.integers(0, 300) for _ in RISK)),
    limit=st.integers(1_500, 40_000),
    long_names=st.booleans(),
)
def test_the_comment_never_exceeds_its_limit_and_counts_what_it_leaves_out(
    sizes: tuple[int, ...], limit: int, long_names: bool
) -> None:
    failed, unknown, deleted, updated, created = sizes
    summary = big_summary(created, failed, updates=updated, deletes=deleted, unknown=unknown)
    if long_names:
        for item in summary["outcomes"]:
            item["natural_key"] = item["natural_key"] * 12
    text = render_summary_markdown(summary, max_chars=limit)
    assert len(text) <= limit
    headings, named, counted, order = read_comment(text)
    for group, size in zip(RISK, sizes, strict=True):
        assert named.get(group, 0) + counted.get(group, 0) == size
        assert headings.get(group, size) == size
    # Names stop cleanly: riskiest first, and only the last group named may be cut.
    assert order == [group for group in RISK if group in order]
    assert all(group not in counted for group in order[:-1])
    assert all(named[group] > 0 for group in order)
    whole = render_summary_markdown(summary, max_chars=10**7)
    if len(whole) <= limit:
        assert text == whole


def test_unknown_outcomes_from_a_real_apply_are_never_called_unchanged(
    clean_sandbox: ServedSandbox, tmp_path: Path
) -> None:
    # Every answer to a write is lost and new objects are listed a minute late: no create can be settled.
    clean_sandbox.set_options(list_lag=60)
    clean_sandbox.set_faults(lost_answer_rate=1)
    manifest = str(write_manifest(tmp_path))
    applied = cli(clean_sandbox, "apply", "--auto-approve", "--read-after-write", "0", "--format", "json", manifest)
    assert applied.exit_code == 1, applied.output
    document = json.loads(applied.stdout)
    unknown = document["totals"]["unknown"]
    assert unknown >= 2 and unknown == sum(1 for o in document["outcomes"] if o["status"] == "unknown")
    text = render_summary_markdown(document)
    assert f"**Unknown (could not be established; run plan again): {unknown}**" in text
    assert "Nothing else was changed" not in text
    assert text.endswith(
        f"\n{unknown} actions have an unknown outcome: the tenant may have changed; run plan to see. "
        "Run apply again to retry what failed or was skipped.\n"
    )


def test_a_failed_apply_whose_outcomes_are_all_known_says_nothing_else_was_changed() -> None:
    summary = big_summary(3, 1)
    assert render_summary_markdown(summary).endswith(
        "\nNothing else was changed. Run apply again to retry what failed or was skipped.\n"
    )


def test_the_text_summary_writes_control_characters_as_escapes() -> None:
    # A tenant's error message (or a name) must not move the cursor or retitle the terminal.
    text = render_summary_text(summary_of([outcome("create", "web\x1b[2J", "failed", "refused\x1b]0;pwned\x07")]))
    assert "\x1b" not in text and "\x07" not in text
    assert "web\\u001b[2J" in text and "refused\\u001b]0;pwned\\u0007" in text

"""The Markdown plan at any size: every delete and update named, values by risk, exact notes, the limit kept."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from egain_provision.plan import MISSING, SENSITIVE_DISPLAY, Action, ActionType, Change, Plan, Unmanaged
from egain_provision.render import render_markdown
from egain_provision.render.markdown import DEFAULT_MAX_CHARS, Layout

TARGET = "https://api.example.com/v3"
SECRET = "s3cr3t-Vq93-never-shown"
# Enough for the frame of the plans built here (title, counts, one line per kind, the note).
SMALL_LIMIT = 3_000
KINDS = ("authentications", "clientApplications", "participants", "channels", "orchestrations", "accounts")
MARKDOWN = MarkdownIt("commonmark").enable("table")
SUMMARY = re.compile(r"^<details><summary>\S+ (create|update|delete) <code>([^<]+)</code> ([^<\s]+)")
KIND_LINE = re.compile(r"^(?:> )?- `([^`]+)`(?: \(([\d,]+)\))?:(.*)$")
MORE = re.compile(r"… and ([\d,]+) more$")


def number(text: str) -> int:
    return int(text.replace(",", ""))


def action(kind_index: int, verb: ActionType, index: int, changes: list[Change], **fields: Any) -> Action:
    kind = KINDS[kind_index % len(KINDS)]
    return Action(verb, kind, f"{kind[:6].lower()}-{verb}-{index:04}", changes=changes, **fields)


def update_changes(index: int) -> list[Change]:
    changes = [Change("description", f"Line {index}", f"Line {index} (revised)")]
    if index % 3 == 0:
        changes.append(Change("chatConfigurations.timeout", 30, 60))
    if index % 7 == 0:
        changes.append(Change("oauth2.payload", SENSITIVE_DISPLAY, SENSITIVE_DISPLAY, sensitive=True))
    if index % 11 == 0:
        changes.append(Change("restrictions.inbound.features", ["typing_events"], MISSING))
    return changes


def mixed_plan(deletes: int, updates: int, creates: int, **fields: Any) -> Plan:
    """Realistic changes of every kind: sensitive fields (their values only in `body`), renames, removed fields."""
    actions = [
        action(
            index,
            "create",
            index,
            [
                Change("name", MISSING, f"n-{index}"),
                Change("oauth2.payload", MISSING, SENSITIVE_DISPLAY, sensitive=True),
            ],
            body={"name": f"n-{index}", "oauth2": {"payload": SECRET}},
            sensitive={"oauth2.payload": "${env:EGAIN_VAR_PAYLOAD}"},
        )
        for index in range(creates)
    ]
    actions += [
        action(
            index,
            "update",
            index,
            update_changes(index),
            id=f"u-{index}",
            previous_key=f"legacy-{index:04}" if index % 50 == 0 else None,
            body={"description": "x", "oauth2": {"payload": SECRET}},
            sensitive={"oauth2.payload": None},
        )
        for index in range(updates)
    ]
    actions += [
        action(index, "delete", index, [Change("address", f"+1555{index:07}", MISSING)], id=f"d-{index}")
        for index in range(deletes)
    ]
    return Plan(TARGET, TARGET, actions=actions, **fields)


@dataclass
class KindLine:
    """One kind's line of a compact list: its count, the names it shows and how many it leaves out."""

    count: int
    names: list[str] = field(default_factory=list)
    left_out: int = 0


@dataclass
class Reading:
    """What a rendered comment shows, read back from its text."""

    blocks: list[tuple[str, str, str]] = field(default_factory=list)
    sections: dict[str, dict[str, KindLine]] = field(default_factory=dict)
    update_paths: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    note: str = ""


def read(text: str) -> Reading:
    reading = Reading(sections={"delete": {}, "update": {}, "create": {}})
    section, kind = "", ""
    for line in text.splitlines():
        if line.startswith("<details><summary>"):
            match = SUMMARY.match(line)
            assert match is not None, line
            reading.blocks.append((match[1], match[2], match[3]))
        elif line.startswith(("> This plan **deletes", "**Updates not shown", "**Creates not shown")):
            section = "delete" if line.startswith(">") else line[2:9].lower().rstrip("s")
        elif line.startswith("_Abridged"):
            reading.note = line
        elif line.startswith("#### "):
            section = ""
        elif section == "update" and line.startswith("  - "):
            read_update_entry(reading, kind, line[4:])
        elif section and (match := KIND_LINE.match(line)):
            kind = match[1]
            reading.sections[section][kind] = read_kind_line(match[2], match[3])
        elif not line.startswith(">") and line and section == "delete":
            section = ""
    return reading


def read_kind_line(count: str | None, rest: str) -> KindLine:
    line = KindLine(number(count) if count else 1)
    if (more := MORE.search(rest)) is not None:
        line.left_out = number(more[1])
        rest = rest[: more.start()]
    elif rest.strip() in ("names not shown", "name not shown"):
        return KindLine(line.count, [], line.count)
    line.names = re.findall(r"`([^`]+)`", rest)
    return line


def read_update_entry(reading: Reading, kind: str, entry: str) -> None:
    line = reading.sections["update"][kind]
    if (more := MORE.fullmatch(entry)) is not None:
        line.left_out = number(more[1])
        return
    if entry in ("names not shown", "name not shown"):
        line.left_out = line.count
        return
    name, _, paths = entry.partition(": ")
    key = re.findall(r"`([^`]+)`", name)[0]
    line.names.append(key)
    reading.update_paths[(kind, key)] = re.findall(r"`([^`]+)`", paths)


def count(actions: Iterable[Action], verb: str) -> int:
    return sum(1 for item in actions if item.action == verb)


def expected_note(plan: Plan, reading: Reading) -> str:
    """The note a reader would write from what the comment shows."""
    shown = {verb: sum(1 for block in reading.blocks if block[0] == verb) for verb in ("delete", "update", "create")}
    values = {verb: count(plan.actions, verb) - shown[verb] for verb in shown}
    names = {verb: sum(line.left_out for line in reading.sections[verb].values()) for verb in shown}
    clauses = []
    for what, counts in (("field values", values), ("names", names)):
        parts = [f"{counts[verb]:,} {verb}{'s' if counts[verb] != 1 else ''}" for verb in shown if counts[verb]]
        if parts:
            clauses.append(f"{what} of {', '.join(parts[:-1]) + ' and ' + parts[-1] if len(parts) > 1 else parts[0]}")
    if not clauses:
        return ""
    return (
        f"_Abridged to fit a pull-request comment: {' not shown; '.join(clauses)} not shown. "
        "The JSON plan (plan.json artifact) has every change in full._"
    )


def assert_kind_lines_add_up(plan: Plan, reading: Reading) -> None:
    """Each kind's line counts the objects of its kind not shown in full, and names or counts every one."""
    in_full = {(kind, name) for verb, kind, name in reading.blocks if verb != "delete"}
    for verb, lines in reading.sections.items():
        listed = [item for item in plan.actions if item.action == verb and (item.kind, item.natural_key) not in in_full]
        assert sum(line.count for line in lines.values()) == len(listed)
        for kind, line in lines.items():
            assert line.count == sum(1 for item in listed if item.kind == kind), (verb, kind)
            assert len(line.names) + line.left_out == line.count, (verb, kind)


def assert_well_formed(text: str) -> None:
    tokens = MARKDOWN.parse(text)
    raw_html = "".join(token.content for token in tokens if token.type == "html_block")
    fences = [token for token in tokens if token.type == "fence" and token.info == "diff"]
    assert raw_html.count("<details>") == raw_html.count("</details>") == len(fences)
    assert all(fence.info == "diff" for fence in fences)
    # Every line of a diff block is coloured (- or +) or a comment (# id, # note).
    assert all(line[:2] in ("- ", "+ ", "# ") for fence in fences for line in fence.content.splitlines())


@pytest.fixture(scope="module")
def large() -> Plan:
    return mixed_plan(300, 700, 2000, max_deletes=500)


@pytest.fixture(scope="module")
def large_text(large: Plan) -> str:
    return render_markdown(large)


def test_3000_changes_fit_the_comment_limit_and_parse(large_text: str) -> None:
    assert len(large_text) <= DEFAULT_MAX_CHARS
    assert_well_formed(large_text)


def test_every_delete_of_3000_changes_is_named_in_the_warning(large: Plan, large_text: str) -> None:
    named = {(kind, name) for kind, line in read(large_text).sections["delete"].items() for name in line.names}
    assert named == {(item.kind, item.natural_key) for item in large.actions if item.action == "delete"}


def test_every_update_of_3000_changes_is_named_with_its_changed_paths(large: Plan, large_text: str) -> None:
    reading = read(large_text)
    for item in (item for item in large.actions if item.action == "update"):
        assert reading.update_paths[(item.kind, item.natural_key)] == [change.path for change in item.changes]
    assert "\n  - `partic-update-0050` (renamed from `legacy-0050`): `description`\n" in large_text


def test_the_names_of_creates_are_the_first_cut_and_counted_per_kind(large: Plan, large_text: str) -> None:
    reading = read(large_text)
    assert_kind_lines_add_up(large, reading)
    left_out = {verb: sum(line.left_out for line in lines.values()) for verb, lines in reading.sections.items()}
    assert left_out["delete"] == left_out["update"] == 0 < left_out["create"]
    # Round robin: every kind keeps some of its names, and no two kinds keep more than one apart.
    kept = [len(line.names) for line in reading.sections["create"].values()]
    assert len(kept) == len(KINDS) and min(kept) > 0 and max(kept) - min(kept) <= 1


def test_the_note_at_the_end_says_exactly_what_was_abridged(large: Plan, large_text: str) -> None:
    reading = read(large_text)
    assert reading.note == expected_note(large, reading)
    assert reading.note.startswith(
        "_Abridged to fit a pull-request comment: "
        "field values of 300 deletes, 700 updates and 2,000 creates not shown; names of "
    )
    assert large_text.endswith(reading.note + "\n")


def test_secrets_never_appear_at_any_size(large_text: str) -> None:
    whole = render_markdown(mixed_plan(5, 20, 40))
    assert "\n- oauth2.payload: (sensitive value)\n+ oauth2.payload: (sensitive value)\n" in whole
    for text in (large_text, whole, render_markdown(mixed_plan(5, 20, 40), max_chars=8_000)):
        assert SECRET not in text


def test_a_refused_plan_of_3000_changes_says_so_first_and_still_names_every_delete() -> None:
    plan = mixed_plan(300, 700, 2000, max_deletes=10)
    text = render_markdown(plan)
    assert text.split("\n\n")[1] == (
        "> [!CAUTION]\n> This plan deletes 300 objects, more than --max-deletes 10 allows: apply will refuse it. "
        "Review the deletes, then raise --max-deletes if they are intended."
    )
    assert sum(len(line.names) for line in read(text).sections["delete"].values()) == 300
    assert len(text) <= DEFAULT_MAX_CHARS


def test_field_values_are_shown_largest_risk_first_until_the_next_does_not_fit() -> None:
    plan = mixed_plan(40, 120, 400)
    text = render_markdown(plan, max_chars=40_000)
    reading = read(text)
    layout = Layout(plan)
    expected = [(item.action, item.kind, item.natural_key) for item in layout.risk_order[: len(reading.blocks)]]
    assert reading.blocks == expected
    verbs = [block[0] for block in reading.blocks]
    assert verbs[:40] == ["delete"] * 40 and "update" in verbs and len(verbs) < len(plan.actions)
    updates = [item for item in layout.risk_order if item.action == "update"]
    assert [len(item.changes) for item in updates] == sorted((len(item.changes) for item in updates), reverse=True)
    assert len(text) <= 40_000 < len(layout.compose(len(layout.name_order), len(reading.blocks) + 1))
    assert reading.note == expected_note(plan, reading)
    assert_kind_lines_add_up(plan, reading)


def test_a_modify_shows_as_a_minus_line_then_a_plus_line_in_every_block() -> None:
    text = render_markdown(mixed_plan(0, 60, 0))
    tokens = MARKDOWN.parse(text)
    fences = [token.content.splitlines() for token in tokens if token.type == "fence" and token.info == "diff"]
    assert len(fences) == 60
    for lines in fences:
        modifies = [line for line in lines if not line.startswith("- restrictions")]
        for removed, added in zip(modifies[0::2], modifies[1::2], strict=True):
            assert removed.startswith("- ") and added.startswith("+ ")
            assert removed.split(": ")[0][2:] == added.split(": ")[0][2:]


def test_names_that_cannot_all_fit_are_cut_per_kind_with_exact_counts_within_the_limit() -> None:
    name = "x-" * 200
    deletes = [
        Action("delete", KINDS[index % 2], f"{name}{index}", id=f"p-{index}", changes=[Change("n", 1, MISSING)])
        for index in range(3000)
    ]
    unmanaged = [Unmanaged("channels", f"{name}{index}", f"c-{index}") for index in range(3000)]
    plan = Plan(TARGET, TARGET, actions=deletes, unmanaged=unmanaged, warnings=[name * 3] * 3000, max_deletes=10)
    text = render_markdown(plan)
    reading = read(text)
    assert len(text) <= DEFAULT_MAX_CHARS
    assert_well_formed(text)
    lines = reading.sections["delete"]
    assert [line.count for line in lines.values()] == [1500, 1500]
    assert all(len(line.names) + line.left_out == 1500 and line.names for line in lines.values())
    hidden = sum(line.left_out for line in lines.values())
    assert reading.note == (
        "_Abridged to fit a pull-request comment: field values of 3,000 deletes not shown; "
        f"names of {hidden:,} deletes not shown. The JSON plan (plan.json artifact) has every change in full._"
    )
    assert "\n- … and 2,980 more\n\n#### Not managed" in text and text.count("\n- … and 2,980 more\n") == 2


def without_diagram(plan: Plan) -> Layout:
    """The layout once the routing diagram gave way to the names (the frame holds only its note)."""
    layout = Layout(plan)
    layout.diagram = None
    return layout


def test_a_limit_too_small_for_the_frame_is_refused() -> None:
    plan = mixed_plan(30, 30, 30)
    frame = len(without_diagram(plan).compose(0, 0))
    assert len(render_markdown(plan, max_chars=frame)) <= frame
    with pytest.raises(ValueError, match=f"max_chars {frame - 1:,} cannot hold even the frame of this plan"):
        render_markdown(plan, max_chars=frame - 1)


@settings(max_examples=25)
@given(
    deletes=st.integers(0, 80),
    updates=st.integers(0, 200),
    creates=st.integers(0, 400),
    max_chars=st.integers(SMALL_LIMIT, 30_000),
)
def test_any_plan_at_any_limit_fits_names_what_it_must_and_counts_what_it_leaves_out(
    deletes: int, updates: int, creates: int, max_chars: int
) -> None:
    plan = mixed_plan(deletes, updates, creates)
    text = render_markdown(plan, max_chars=max_chars)
    reading = read(text)
    assert len(text) <= max_chars
    assert_well_formed(text)
    assert_kind_lines_add_up(plan, reading)
    assert reading.note == expected_note(plan, reading)
    assert SECRET not in text


def test_the_frame_of_the_worst_plan_stays_under_30000_characters() -> None:
    punctuation = "<*_[`|" * 200
    actions = [action(index, verb, index, []) for verb in ("delete", "update", "create") for index in range(12)]
    plan = Plan(
        punctuation,
        punctuation,
        actions=actions,
        unchanged={kind: 10**9 for kind in KINDS},
        unmanaged=[Unmanaged(kind, punctuation, punctuation) for kind in KINDS for _ in range(10)],
        ignored={kind: 10**9 for kind in KINDS},
        warnings=[punctuation] * 100,
        max_deletes=0,
    )
    assert len(without_diagram(plan).compose(0, 0)) < 30_000

"""The Markdown renderer: a plan as a pull-request comment."""

from __future__ import annotations

import dataclasses
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from egain_provision.limits import TIERS, monthly_quota
from egain_provision.plan import MISSING, Action, Change, Plan, PlanRequests, Unmanaged
from egain_provision.render import render_markdown

TARGET = "https://api.example.com/v3"
MARKDOWN = MarkdownIt("commonmark").enable("table")
CREATE = "\N{HEAVY PLUS SIGN}"
NOTE = "_Abridged to fit a pull-request comment: "
PLAN_JSON = "The JSON plan (plan.json artifact) has every change in full."


def plan_with(*actions: Action, **fields: Any) -> Plan:
    return Plan(TARGET, TARGET, actions=list(actions), **fields)


def parse(text: str) -> list[Token]:
    return MARKDOWN.parse(text)


def html(text: str) -> str:
    return MARKDOWN.render(text)


def assert_well_formed(text: str) -> int:
    """Every <details> closes and holds exactly one closed diff fence; returns how many there are."""
    tokens = parse(text)
    raw_html = "".join(token.content for token in tokens if token.type == "html_block")
    fences = [token for token in tokens if token.type == "fence" and token.info == "diff"]
    assert raw_html.count("<details>") == raw_html.count("</details>") == len(fences)
    assert all(fence.info == "diff" for fence in fences)
    return len(fences)


def many_updates(count: int) -> list[Action]:
    return [
        Action(
            "update",
            "participants",
            f"bot-{index:04}",
            id=f"p-{index}",
            changes=[
                Change("application", "old-app", "new-app"),
                Change("description", MISSING, f"Bot number {index}"),
            ],
        )
        for index in range(count)
    ]


def summaries(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("<details><summary>")]


def test_the_comment_starts_with_the_marker_ci_looks_for(full_plan: Plan) -> None:
    assert render_markdown(full_plan).startswith("<!-- egain-provision:plan -->\n")


def test_the_title_names_the_target(full_plan: Plan) -> None:
    heading = next(token for token in parse(render_markdown(full_plan)) if token.type == "inline")
    assert heading.content.endswith("plan for https\\:\\/\\/api\\.example\\.com\\/v3")
    assert heading.children is not None
    assert "".join(child.content for child in heading.children) == f"egain-provision plan for {TARGET}"


def test_the_counts_table_comes_first_and_is_a_table(full_plan: Plan) -> None:
    tokens = parse(render_markdown(full_plan))
    cells = [token.content for token in tokens if token.type == "inline"][1:11]
    assert cells == ["Create", "Update", "Delete", "Unchanged", "Not managed", "2", "3", "1", "3", "1"]
    first_table = next(index for index, token in enumerate(tokens) if token.type == "table_open")
    first_details = next(index for index, token in enumerate(tokens) if "<details>" in token.content)
    assert first_table < first_details


def test_deletes_are_flagged_in_a_warning_before_the_objects(full_plan: Plan) -> None:
    text = render_markdown(full_plan)
    assert "> [!WARNING]\n> This plan **deletes 1 object**:\n" in text
    assert "<li><code>accounts</code>: <code>old-account</code></li>\n</ul>\n</blockquote>" in html(text)
    assert text.index("[!WARNING]") < text.index("<details>")


def test_a_plan_without_deletes_has_no_warning(create_app: Action) -> None:
    assert "[!WARNING]" not in render_markdown(plan_with(create_app))


def test_the_warning_names_every_delete_one_line_per_kind() -> None:
    deletes = [Action("delete", "participants", f"bot-{index:02}", id=f"p-{index}") for index in range(23)]
    deletes.append(Action("delete", "channels", "custom.sms", id="c-7"))
    text = render_markdown(plan_with(*deletes))
    names = ", ".join(f"<code>bot-{index:02}</code>" for index in range(23))
    assert (
        f"<li><code>participants</code> (23): {names}</li>\n<li><code>channels</code>: <code>custom.sms</code></li>\n"
        "</ul>\n</blockquote>"
    ) in html(text)


def test_deletes_of_one_name_are_told_apart_by_their_ids() -> None:
    twins = [Action("delete", "orchestrations", "bot-first", id=f"o-{index}") for index in range(2)]
    text = render_markdown(plan_with(*twins, Action("delete", "orchestrations", "other", id="o-9")))
    assert "> - `orchestrations` (3): `bot-first` (id `o-0`), `bot-first` (id `o-1`), `other`\n" in text


def test_deletes_come_first_then_updates_with_more_changed_fields_first_then_creates(full_plan: Plan) -> None:
    assert summaries(render_markdown(full_plan)) == [
        "<details><summary>🗑️ delete <code>accounts</code> old-account</summary>",
        "<details><summary>✏️ update <code>channels</code> custom.web</summary>",
        "<details><summary>✏️ update <code>participants</code> order-bot (renamed from legacy-bot)</summary>",
        "<details><summary>✏️ update <code>authentications</code> agent-basic</summary>",
        f"<details><summary>{CREATE} create <code>authentications</code> bot-callback</summary>",
        f"<details><summary>{CREATE} create <code>clientApplications</code> order-bot-app</summary>",
    ]


def test_each_object_is_a_collapsible_diff_block(create_app: Action) -> None:
    assert (
        f"<details><summary>{CREATE} create <code>clientApplications</code> order-bot-app</summary>\n"
        "\n"
        "```diff\n"
        '+ name: "order-bot-app"\n'
        '+ roles[custom_bot].authentication: "bot-callback" (known after apply)\n'
        '+ roles[custom_bot].callback: "https://bots.example.com/egain/callback"\n'
        "```\n"
        "\n"
        "</details>\n"
    ) in render_markdown(plan_with(create_app))


def test_a_modified_field_is_a_minus_line_then_a_plus_line_so_github_colours_both(full_plan: Plan) -> None:
    text = render_markdown(full_plan)
    assert '\n- displayName: "Web"\n+ displayName: "Web chat"\n- icon: "small"\n+ icon: <440 characters>\n' in text
    assert '\n+ l10nProperties[en-US].greeting: "Hello"\n- restrictions.inbound.features: ["typing"]\n' in text
    assert '\n- address: "555"\n' in text
    assert "\n~ " not in text and " -> " not in text
    assert "\n# note: basicAuth.password: write-only on this tenant; sent because of --rotate-secrets\n" in text


def test_a_long_modified_value_is_its_old_lines_then_its_new_lines() -> None:
    before, after = [f"feature-{index:02}" for index in range(12)], [f"feature-{index:02}" for index in range(1, 13)]
    action = Action("update", "channels", "custom.web", id="c-1", changes=[Change("features", before, after)])
    tokens = parse(render_markdown(plan_with(action)))
    fence = next(token for token in tokens if token.type == "fence" and token.info == "diff")
    lines = fence.content.splitlines()
    assert lines[0] == "- features: [" and lines[13] == "- ]" and lines[14] == "+ features: [" and lines[-1] == "+ ]"
    assert all(line.startswith("- ") for line in lines[:14]) and all(line.startswith("+ ") for line in lines[14:])


def test_a_modified_reference_to_an_object_the_plan_creates_is_known_after_apply() -> None:
    change = Change("chatConfigurations.orchestration", "old-route", "new-route", known_after_apply=True)
    text = render_markdown(plan_with(Action("update", "accounts", "sales", id="a-1", changes=[change])))
    assert (
        '\n- chatConfigurations.orchestration: "old-route"\n'
        '+ chatConfigurations.orchestration: "new-route" (known after apply)\n'
    ) in text


def test_every_block_and_fence_is_closed(full_plan: Plan) -> None:
    assert assert_well_formed(render_markdown(full_plan)) == len(full_plan.actions)


def test_there_are_no_terminal_escape_sequences(full_plan: Plan) -> None:
    assert "\x1b" not in render_markdown(full_plan)


def test_names_cannot_inject_html_into_a_summary() -> None:
    action = Action("create", "participants", "<img src=x onerror=alert(1)> & co", changes=[])
    text = render_markdown(plan_with(action))
    assert (
        f"<summary>{CREATE} create <code>participants</code> &lt;img src=x onerror=alert(1)&gt; &amp; co</summary>"
        in text
    )
    assert "<img" not in text


def test_a_name_with_blank_lines_cannot_end_its_summary_early() -> None:
    action = Action("create", "participants", "a\n\n# heading", changes=[Change("name", MISSING, "a\n\n# x")])
    text = render_markdown(plan_with(action))
    assert f"<summary>{CREATE} create <code>participants</code> a\\u000a\\u000a# heading</summary>" in text
    assert assert_well_formed(text) == 1


def test_values_with_backticks_cannot_close_the_fence() -> None:
    value = "x\n```\n</details>\n````"
    action = Action("create", "channels", "custom.web", changes=[Change("displayName", MISSING, value)])
    text = render_markdown(plan_with(action))
    assert "\n`````diff\n" in text
    assert assert_well_formed(text) == 1
    fence = next(token for token in parse(text) if token.type == "fence" and token.info == "diff")
    assert fence.content == '+ displayName: "x\\n```\\n</details>\\n````"\n'


def test_user_text_in_prose_is_escaped() -> None:
    text = render_markdown(plan_with(warnings=["see *this* <b>now</b> [link](http://x) @someone"]))
    assert "- see \\*this\\* \\<b\\>now\\<\\/b\\> \\[link\\]\\(http\\:\\/\\/x\\) \\@\N{WORD JOINER}someone\n" in text
    inline = [child.type for token in parse(text) for child in token.children or []]
    assert "html_inline" not in inline and "link_open" not in inline and "em_open" not in inline


def test_sensitive_values_show_as_placeholders(create_auth: Action, rotate_secret: Action) -> None:
    text = render_markdown(plan_with(create_auth, rotate_secret))
    assert "\n+ oauth2.payload: (sensitive value)\n" in text
    assert "\n- basicAuth.password: (write-only, not compared)\n+ basicAuth.password: (sensitive value)\n" in text
    assert "never-saved" not in text


def test_warnings_and_unmanaged_objects_follow_the_objects(full_plan: Plan) -> None:
    text = render_markdown(full_plan)
    assert "<h4>Warnings</h4>\n<ul>\n<li>1 secret field(s) are write-only" in html(text)
    assert (
        "<h4>Not managed</h4>\n<p>1 object in the tenant is not declared; <code>--prune</code> would delete it.</p>\n"
        "<ul>\n<li>channels &quot;custom.sms&quot; (id c-7)</li>\n</ul>"
    ) in html(text)
    assert text.index("</details>") < text.index("#### Warnings") < text.index("#### Not managed")


def test_a_long_unmanaged_list_is_capped() -> None:
    unmanaged = [Unmanaged("participants", f"bot-{index:02}", f"p-{index}") for index in range(30)]
    text = render_markdown(plan_with(unmanaged=unmanaged))
    assert "<li>participants &quot;bot-19&quot; (id p-19)</li>\n<li>… and 10 more</li>\n</ul>" in html(text)


def test_deletes_beyond_max_deletes_are_a_caution_right_after_the_title(delete_account: Action) -> None:
    text = render_markdown(plan_with(delete_account, max_deletes=0))
    title = "### egain-provision plan for https\\:\\/\\/api\\.example\\.com\\/v3\n\n"
    assert (
        f"{title}> [!CAUTION]\n> This plan deletes 1 object, more than --max-deletes 0 allows: apply will refuse it."
    ) in text
    assert text.index("[!CAUTION]") < text.index("| Create |") < text.index("[!WARNING]") < text.index("<details>")


def test_deletes_within_max_deletes_are_no_caution(delete_account: Action) -> None:
    assert "[!CAUTION]" not in render_markdown(plan_with(delete_account, max_deletes=1))


def test_a_plan_without_changes_says_so(empty_plan: Plan) -> None:
    text = render_markdown(empty_plan)
    assert "**No changes. The tenant matches the manifests (3 objects unchanged).**\n" in text
    assert "<details>" not in text and "#### Changes" not in text


def test_a_small_plan_is_shown_whole(full_plan: Plan) -> None:
    text = render_markdown(full_plan)
    assert NOTE not in text and "not shown in full" not in text
    assert assert_well_formed(text) == len(full_plan.actions)


def test_the_blocks_that_do_not_fit_leave_their_objects_named_and_the_note_last() -> None:
    text = render_markdown(plan_with(*many_updates(1000), warnings=["check this"]))
    shown = assert_well_formed(text)
    assert len(text) <= 60_000 and 0 < shown < 1000
    assert f"\n**Updates not shown in full ({1000 - shown:,})**, with the fields each one changes:\n" in text
    assert "\n- `participants` (" + f"{1000 - shown:,}):\n  - `bot-{shown:04}`: `application`, `description`\n" in text
    assert text.index("</details>") < text.index("**Updates not shown in full") < text.index("#### Warnings")
    assert text.endswith(f"\n\n{NOTE}field values of {1000 - shown:,} updates not shown. {PLAN_JSON}_\n")


def test_a_smaller_limit_is_respected_without_cutting_a_block() -> None:
    for max_chars in (3_000, 7_777, 20_000):
        text = render_markdown(plan_with(*many_updates(150)), max_chars=max_chars)
        shown = assert_well_formed(text)
        assert len(text) <= max_chars
        assert f"{NOTE}field values of {150 - shown} updates not shown" in text


def test_a_plan_that_just_fits_has_no_note() -> None:
    plan = plan_with(*many_updates(10))
    exact = len(render_markdown(plan))
    assert render_markdown(plan, max_chars=exact) == render_markdown(plan)
    assert NOTE in render_markdown(plan, max_chars=exact - 1)


def test_the_requests_per_method_and_the_tiers_quota_close_the_comment(create_app: Action) -> None:
    # The plan read 6 pages; its apply sends a create and a re-read: 7 GETs in all, 1,000 // 7 such runs a month.
    requests = PlanRequests({"GET": 6}, {"POST": 1, "GET": 1}, monthly_quota({"GET": 7, "POST": 1}, TIERS["developer"]))
    comment = render_markdown(plan_with(create_app, requests=requests))
    assert comment.endswith(
        "\n\nRequests per method: plan GET 6; its apply about GET 1, POST 1; the developer tier allows 1,000 requests "
        "per method per month: 142 such runs.\n"
    )


def test_a_plan_with_nothing_to_apply_and_no_quota_says_so(empty_plan: Plan) -> None:
    comment = render_markdown(dataclasses.replace(empty_plan, requests=PlanRequests({"GET": 6}, {})))
    assert comment.endswith("\n\nRequests per method: plan GET 6; nothing to apply.\n")


def test_a_plan_that_recorded_no_requests_has_no_such_line(full_plan: Plan) -> None:
    assert "Requests per method" not in render_markdown(full_plan)

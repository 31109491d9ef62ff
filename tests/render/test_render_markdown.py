"""The Markdown renderer: a plan as a pull-request comment."""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from egain_provision.plan import MISSING, Action, Change, Plan, Unmanaged
from egain_provision.render import render_markdown

TARGET = "https://api.example.com/v3"
MARKDOWN = MarkdownIt("commonmark").enable("table")
CREATE = "\N{HEAVY PLUS SIGN}"
NOTE = "not shown; see the JSON plan (plan.json artifact) for the full list."


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
    fences = [token for token in tokens if token.type == "fence"]
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
    assert "<li>accounts &quot;old-account&quot; (id acc-9)</li>\n</ul>\n</blockquote>" in html(text)
    assert text.index("[!WARNING]") < text.index("<details>")


def test_a_plan_without_deletes_has_no_warning(create_app: Action) -> None:
    assert "[!WARNING]" not in render_markdown(plan_with(create_app))


def test_a_long_delete_list_in_the_warning_is_capped() -> None:
    deletes = [Action("delete", "participants", f"bot-{index:02}", id=f"p-{index}") for index in range(23)]
    text = render_markdown(plan_with(*deletes))
    assert "<li>participants &quot;bot-19&quot; (id p-19)</li>\n<li>… and 3 more</li>\n</ul>\n</blockquote>" in html(
        text
    )


def test_deletes_come_first_then_the_plan_order(full_plan: Plan) -> None:
    assert summaries(render_markdown(full_plan)) == [
        "<details><summary>🗑️ delete <code>accounts</code> old-account</summary>",
        f"<details><summary>{CREATE} create <code>authentications</code> bot-callback</summary>",
        f"<details><summary>{CREATE} create <code>clientApplications</code> order-bot-app</summary>",
        "<details><summary>✏️ update <code>participants</code> order-bot (renamed from legacy-bot)</summary>",
        "<details><summary>✏️ update <code>channels</code> custom.web</summary>",
        "<details><summary>✏️ update <code>authentications</code> agent-basic</summary>",
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


def test_updates_and_deletes_use_the_text_signs(full_plan: Plan) -> None:
    text = render_markdown(full_plan)
    assert '\n~ displayName: "Web" -> "Web chat"\n' in text
    assert '\n- address: "555"\n' in text
    assert "\n# note: basicAuth.password: write-only on this tenant; sent because of --rotate-secrets\n" in text


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
    fence = next(token for token in parse(text) if token.type == "fence")
    assert fence.content == '+ displayName: "x\\n```\\n</details>\\n````"\n'


def test_user_text_in_prose_is_escaped() -> None:
    text = render_markdown(plan_with(warnings=["see *this* <b>now</b> [link](http://x) @someone"]))
    assert "- see \\*this\\* \\<b\\>now\\<\\/b\\> \\[link\\]\\(http\\:\\/\\/x\\) \\@someone\n" in text
    inline = [child.type for token in parse(text) for child in token.children or []]
    assert "html_inline" not in inline and "link_open" not in inline and "em_open" not in inline


def test_sensitive_values_show_as_placeholders(create_auth: Action, rotate_secret: Action) -> None:
    text = render_markdown(plan_with(create_auth, rotate_secret))
    assert "\n+ oauth2.payload: (sensitive value)\n" in text
    assert "\n~ basicAuth.password: (write-only, not compared) -> (sensitive value)\n" in text
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


def test_deletes_beyond_max_deletes_are_a_caution(delete_account: Action) -> None:
    text = render_markdown(plan_with(delete_account, max_deletes=0))
    assert "> [!CAUTION]\n> This plan deletes 1 object, more than --max-deletes 0 allows: apply will refuse it." in text


def test_a_plan_without_changes_says_so(empty_plan: Plan) -> None:
    text = render_markdown(empty_plan)
    assert "**No changes. The tenant matches the manifests (3 objects unchanged).**\n" in text
    assert "<details>" not in text and "#### Changes" not in text


def test_a_small_plan_is_shown_whole(full_plan: Plan) -> None:
    assert NOTE not in render_markdown(full_plan)


def test_a_huge_plan_stays_under_the_comment_limit_and_says_what_it_left_out() -> None:
    text = render_markdown(plan_with(*many_updates(3000)))
    shown = assert_well_formed(text)
    assert len(text) <= 60_000
    assert 0 < shown < 3000
    assert f"\n_{3000 - shown} more objects {NOTE}_\n" in text


def test_the_truncation_note_follows_the_last_whole_block() -> None:
    text = render_markdown(plan_with(*many_updates(3000), warnings=["check this"]))
    assert f"```\n\n</details>\n\n_{3000 - len(summaries(text))} more objects {NOTE}_\n\n#### Warnings\n" in text


def test_a_smaller_limit_is_respected_without_cutting_a_block() -> None:
    for max_chars in (3_000, 7_777, 20_000):
        text = render_markdown(plan_with(*many_updates(500)), max_chars=max_chars)
        shown = assert_well_formed(text)
        assert len(text) <= max_chars
        assert f"\n_{500 - shown} more objects {NOTE}_\n" in text


def test_a_plan_that_just_fits_has_no_note() -> None:
    plan = plan_with(*many_updates(10))
    exact = len(render_markdown(plan))
    assert render_markdown(plan, max_chars=exact) == render_markdown(plan)
    assert NOTE in render_markdown(plan, max_chars=exact - 1)


def test_long_lists_of_long_names_still_fit_the_default_limit() -> None:
    name = "x-" * 200
    deletes = [Action("delete", "participants", f"{name}{index}", id=f"p-{index}") for index in range(3000)]
    unmanaged = [Unmanaged("channels", f"{name}{index}", f"c-{index}") for index in range(3000)]
    text = render_markdown(plan_with(*deletes, unmanaged=unmanaged, warnings=[name * 3] * 3000, max_deletes=10))
    assert len(text) <= 60_000
    assert assert_well_formed(text) > 0
    assert f"more objects {NOTE}" in text

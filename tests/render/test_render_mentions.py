"""Names in a pull-request comment never ping anyone or link an issue: `@octocat`, `@org/team`, `#123`.

GitHub finds mentions and references in the rendered HTML's text, outside code, pre and links, after
Markdown escapes are gone; so the checks here render the comment and read its text the same way.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from egain_provision.plan import MISSING, Action, Change, Plan, Unmanaged
from egain_provision.render import render_markdown
from egain_provision.render.summary import render_summary_markdown
from tests.render.test_render_summary import outcome, summary_of

NAMES = ["@octocat", "@org/team", "#123", "team#42", "GH-7 and @x"]
# GitHub's patterns: `@login` or `@org/team` after a non-word character, `#digits`, `GH-digits` aside.
MENTION = re.compile(r"(?:^|\W)@[A-Za-z0-9]")
REFERENCE = re.compile(r"#\d")


class _LinkableText(HTMLParser):
    """The text GitHub would scan for mentions: everything outside <code>, <pre> and <a>."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.inside += tag in ("code", "pre", "a")

    def handle_endtag(self, tag: str) -> None:
        self.inside -= tag in ("code", "pre", "a")

    def handle_data(self, data: str) -> None:
        if not self.inside:
            self.text.append(data)


def linkable_text(markdown: str) -> str:
    parser = _LinkableText()
    parser.feed(MarkdownIt("commonmark").render(markdown))
    return "\n".join(parser.text)


def assert_nothing_links(markdown: str) -> None:
    text = linkable_text(markdown)
    assert not MENTION.search(text), MENTION.search(text)
    assert not REFERENCE.search(text), REFERENCE.search(text)


def test_names_in_the_plan_comment_summary_lines_and_lists_never_mention_or_reference() -> None:
    actions = [
        Action("create", "participants", name, changes=[Change("name", MISSING, name)]) for name in NAMES
    ] + [Action("update", "channels", "custom.x", id="c1", previous_key="@old", changes=[Change("a", 1, 2)])]
    plan = Plan(
        "https://t.example/v3#1",
        "t",
        actions=actions,
        unmanaged=[Unmanaged("accounts", "@octocat", "a1")],
        warnings=["participant '@octocat' refers to #123"],
    )
    text = render_markdown(plan)
    assert "@\N{WORD JOINER}octocat" in text
    assert_nothing_links(text)
    # The compact form (names only) as well.
    assert_nothing_links(render_markdown(plan, max_chars=1500))


def test_names_in_the_apply_summary_never_mention_or_reference() -> None:
    outcomes = [outcome("create", name, "done") for name in NAMES]
    outcomes.append(outcome("update", "x", "failed", "refused by @octocat, see #123"))
    assert_nothing_links(render_summary_markdown(summary_of(outcomes)))

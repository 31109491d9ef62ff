"""docs/ holds the Markdown plan of a 3-object and a 300-object change, regenerated here: they must be current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from egain_provision.render.markdown import DEFAULT_MAX_CHARS, MARKER
from tools.render_docs import DOCS, SECRETS, rendered, stale

MARKDOWN = MarkdownIt("commonmark").enable("table")


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return rendered()


def comment(page: str) -> str:
    """The pull-request comment of a page: everything from the marker on (the line above says where it comes from)."""
    return page[page.index(MARKER) :]


def test_the_example_plans_in_docs_are_current(pages: dict[str, str]) -> None:
    outdated = stale(pages)
    assert outdated == [], f"{', '.join(outdated)}: out of date; run `make docs`"


def test_a_changed_page_is_named_as_stale(pages: dict[str, str], tmp_path: Path) -> None:
    for name, text in pages.items():
        (tmp_path / name).write_text(text, "utf-8")
    assert stale(pages, tmp_path) == []
    (tmp_path / "plan-3-objects.md").write_text("edited by hand\n", "utf-8")
    (tmp_path / "plan-300-objects.md").unlink()
    assert stale(pages, tmp_path) == [str(tmp_path / "plan-3-objects.md"), str(tmp_path / "plan-300-objects.md")]
    assert sorted(pages) == sorted(path.name for path in DOCS.glob("plan-*.md"))


def test_the_pages_show_no_secret_and_mask_the_secret_fields(pages: dict[str, str]) -> None:
    for page in pages.values():
        assert not [secret for secret in SECRETS if secret in page]
        assert "oauth2.payload: (sensitive value)" in page


def test_the_pages_are_comments_within_the_limit_that_parse(pages: dict[str, str]) -> None:
    for page in pages.values():
        text = comment(page)
        assert len(text) <= DEFAULT_MAX_CHARS
        tokens = MARKDOWN.parse(text)
        raw_html = "".join(token.content for token in tokens if token.type == "html_block")
        fences = [token for token in tokens if token.type == "fence"]
        assert raw_html.count("<details>") == raw_html.count("</details>") == len(fences) > 0
        # Sandbox ids are random: the pages number them instead, so they stay the same from run to run.
        ids = re.findall(r"# id: (\S+)", text)
        assert ids and all(re.fullmatch(r"00000000-0000-0000-0000-0000000000[0-9a-f]{2}", item) for item in ids)


def test_the_3_object_page_shows_a_create_an_update_and_a_delete_in_full(pages: dict[str, str]) -> None:
    text = comment(pages["plan-3-objects.md"])
    assert "**Plan: 1 to create, 1 to update, 1 to delete. 5 unchanged.**" in text
    assert "_Abridged" not in text
    assert (
        '- roles[custom_agent].authentication: "ao-desk-basic"\n'
        '+ roles[custom_agent].authentication: "ao-desk-oauth2" (known after apply)\n'
    ) in text


def test_the_300_object_page_names_every_delete_and_update_and_says_what_it_abridged(pages: dict[str, str]) -> None:
    text = comment(pages["plan-300-objects.md"])
    assert "**Plan: 272 to create, 20 to update, 8 to delete. 20 unchanged.**" in text
    assert text.count("<summary>🗑️ delete ") == 8 and text.count("<summary>✏️ update ") == 20
    assert "> - `clientApplications` (3): `agent-app-0000`, `bot-app-0000`, `customer-app-0000`\n" in text
    shown = text.count("<summary>\N{HEAVY PLUS SIGN} create ")
    assert text.endswith(
        f"_Abridged to fit a pull-request comment: field values of {272 - shown} creates not shown. "
        "The JSON plan (plan.json artifact) has every change in full._\n"
    )
    assert f"**Creates not shown in full ({272 - shown})**, by kind:" in text

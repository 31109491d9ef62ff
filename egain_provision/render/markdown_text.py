"""User and tenant text in a pull-request comment, shared by the Markdown plan and the Markdown apply summary.

Names, ids, messages and targets pass through one of these, so they always read as text: never as
Markdown, HTML, a link, a mention or an issue reference, and never on more than one line.
"""

from __future__ import annotations

import re

from egain_provision.render.values import visible

# GitHub refuses comments over 65,536 characters; this leaves room for what a workflow adds around ours.
DEFAULT_MAX_CHARS = 60_000
# One item (a name, a warning, a message) is cut after this many characters.
ITEM_CHARS = 300

_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
BACKTICK_RUN = re.compile(r"`+")
# GitHub links `@name` and `#123` in the rendered text, after Markdown escapes are gone; a word
# joiner (invisible) after the sign keeps them from reading as a mention or a reference.
_REFERENCE_SIGN = re.compile(r"(@(?=[A-Za-z0-9])|#(?=[0-9]))")
WORD_JOINER = "\N{WORD JOINER}"


def capped(text: str) -> str:
    """`text`, cut to ITEM_CHARS characters with an ellipsis when longer."""
    return text[:ITEM_CHARS] + "…" if len(text) > ITEM_CHARS else text


def inline_text(text: str) -> str:
    """User text in Markdown prose, capped: every ASCII punctuation mark escaped, so it is only ever text."""
    return _ASCII_PUNCTUATION.sub(r"\\\1", unlinked(visible(capped(text))))


def unlinked(text: str) -> str:
    """`text` with a word joiner after a mention's `@` and a reference's `#`: shown as written, never linked."""
    return _REFERENCE_SIGN.sub(lambda match: match.group(1) + WORD_JOINER, text)


def code(text: str) -> str:
    """User text as a Markdown code span, capped: shown literally (no HTML, link, mention or emphasis), one line."""
    content = visible(capped(text))
    fence = "`" * (1 + max((len(run) for run in BACKTICK_RUN.findall(content)), default=0))
    # A space on each side keeps a backtick at either end from joining the fence; one is stripped from each.
    if content[:1] in ("`", " ") or content[-1:] in ("`", " "):
        content = f" {content} "
    return f"{fence}{content}{fence}"

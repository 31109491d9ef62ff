"""The one redactor: every sensitive value, in every form a message may carry it, replaced before output.

Servers echo what they were sent: a secret may come back as is, JSON-escaped inside an echoed
body, URL-encoded from a query or a form, or base64-encoded (Basic auth). The run's redactor
knows the plan's secrets, the client secret, every bearer token and the token endpoint's
answers, and every server message passes through it before it reaches an output, a log or the
journal.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

from egain_provision.model import SENSITIVE_DISPLAY

# Shorter values would mask ordinary words; secrets this short are not secrets.
MIN_LENGTH = 4


def forms(value: str) -> set[str]:
    """The spellings of `value` a message may hold."""
    escaped = json.dumps(value, ensure_ascii=False)[1:-1]
    ascii_escaped = json.dumps(value)[1:-1]
    encoded = value.encode("utf-8")
    spelled = {value, escaped, ascii_escaped, quote(value, safe=""), quote_plus(value)}
    spelled.add(base64.b64encode(encoded).decode("ascii"))
    spelled.add(base64.urlsafe_b64encode(encoded).decode("ascii").rstrip("="))
    # JSON-escaped twice: a body echoed inside a JSON string inside another.
    spelled.add(json.dumps(escaped)[1:-1])
    return {form for form in spelled if len(form) >= MIN_LENGTH}


class Redactor:
    """Replaces every known sensitive value, in each of its forms, in text."""

    def __init__(self, values: object = ()) -> None:
        self._forms: set[str] = set()
        self._ordered: list[str] = []
        for value in values if isinstance(values, list | tuple | set | frozenset) else ():
            self.add(value)

    def add(self, value: object) -> None:
        """Know one more sensitive value (anything not a long enough string is ignored)."""
        if isinstance(value, str) and len(value) >= MIN_LENGTH:
            new = forms(value) - self._forms
            if new:
                self._forms |= new
                self._ordered = sorted(self._forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for form in self._ordered:
            if form in text:
                text = text.replace(form, SENSITIVE_DISPLAY)
        return text

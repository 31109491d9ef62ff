"""Named stand-ins for the real tenants of issue 20: the SandboxConfig settings that reproduce each.

with stand_in(tmp_path, "numeric-modified") as sandbox: ...   # or variant_sandbox(tmp_path, **STAND_INS[name])

Each stand-in is one behaviour a real tenant showed where eGain's spec is silent (README "Sandbox
behaviour", tenant behaviours); a convergence test runs the tool against it and expects it to
converge, or to refuse loudly before a wrong write. Override a setting to make a test faster, e.g.
`stand_in(tmp_path, "lagging-lists-lost-answers", list_lag=1.5)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from egain_provision.sandbox.tenants import NORMALIZATIONS
from egain_provision.sandbox.testing import ServedSandbox

# One stand-in per normalisation class, so each is tested (and reported) on its own.
_NORMALISING: dict[str, dict[str, Any]] = {f"normalising-{name}": {"normalize": (name,)} for name in NORMALIZATIONS}

STAND_INS: dict[str, dict[str, Any]] = {
    **_NORMALISING,
    # Every class at once: strings trimmed, e-mails lower-cased, callbacks with "/", defaults stored
    # at every depth, intents reversed, integers and booleans answered as strings.
    "normalising-all": {"normalize": tuple(NORMALIZATIONS)},
    # An attribute a PUT omits is kept: a PUT cannot remove it.
    "merging-put": {"put_merges": True},
    # `modified` kept and answered as epoch milliseconds; a PUT without it is accepted.
    "numeric-modified": {"numeric_modified": True},
    # Lists show every write (creates, updates, deletes) 6 s late, and a write's answer is sometimes
    # lost as a gateway's 502 after the write was stored (seeded: the same writes lose their answer).
    "lagging-lists-lost-answers": {
        "list_lag": 6,
        "list_lag_writes": True,
        "lost_answer_rate": 0.08,
        "lost_answer_as": "502",
        "seed": 20,
    },
    # 8 % of writes lose their answer (connection dropped after the write was stored).
    "lost-answers": {"lost_answer_rate": 0.08, "seed": 8},
    # Another client deletes an object of an earlier page and creates one between our page reads
    # (pages of 2, so a small tenant has several; at most 5 churns).
    "churn": {"churn_between_pages": 5, "paging": "fixed:2"},
    # DELETE answered 202: the object stays listed and readable 3 s, then is gone.
    "delete-202": {"delete_delay": 3},
    # The token endpoint answers form-encoded (access_token=...&token_type=bearer&expires_in=...).
    "form-token": {"token_format": "form"},
}


def stand_in(tmp_path: Path, name: str, **overrides: Any) -> ServedSandbox:
    """A sandbox (not yet started; use it in `with`) answering as the stand-in `name`, with `overrides`."""
    return ServedSandbox(db_path=str(tmp_path / f"{name}.db"), **{**STAND_INS[name], **overrides})

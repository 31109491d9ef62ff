"""A saved plan is input like any other: its signature (with EGAIN_PLAN_KEY) and every action checked
against what the plan says it was made under, before apply uses it or show vouches for it.

The digest alone catches accidents (a truncated artifact, an editor's stray change); whoever can
edit the file can compute a digest too. A key kept as a CI secret makes the signature something
only the planning job can produce.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from egain_provision.errors import PlanError, UsageError
from egain_provision.kinds import KINDS_BY_NAME
from egain_provision.plan import Action, Plan, signature_matches
from egain_provision.planner.match import is_ignored
from egain_provision.sensitive import opaque_paths, secret_paths

PLAN_KEY_VARIABLE = "EGAIN_PLAN_KEY"
MIN_KEY_CHARS = 32
KEY_HINT = "generate one with `openssl rand -hex 32` and keep it as a CI secret"


def plan_key(environ: Mapping[str, str] | None = None) -> bytes | None:
    """The signing key from EGAIN_PLAN_KEY, or None when unset; UsageError when too short to be one.

    The key is never shown: not in errors, not in output.
    """
    value = (os.environ if environ is None else environ).get(PLAN_KEY_VARIABLE, "")
    if not value:
        return None
    if len(value) < MIN_KEY_CHARS:
        too_short = f"{PLAN_KEY_VARIABLE} is too short to sign plans: at least {MIN_KEY_CHARS} characters"
        raise UsageError(too_short, hint=KEY_HINT)
    return value.encode("utf-8")


def check_signature(document: dict[str, Any], key: bytes | None, *, applying: bool) -> str | None:
    """PlanError when the plan's signature does not hold under `key`; a note for `show` when it cannot be checked."""
    signed = "signature" in document
    if key is None:
        if signed and applying:
            raise PlanError(
                f"the plan is signed, but {PLAN_KEY_VARIABLE} is not set, so its signature cannot be checked; "
                "nothing was applied",
                hint=f"set {PLAN_KEY_VARIABLE} to the key the planning job signed it with",
            )
        if signed:
            return f"note: the plan is signed; its signature was not checked ({PLAN_KEY_VARIABLE} is not set)"
        return None
    if not signed:
        raise PlanError(
            f"the plan is not signed, but {PLAN_KEY_VARIABLE} is set: an unsigned plan is not trusted; "
            "nothing was applied",
            hint=f"create it with `egain-provision plan --out FILE` while {PLAN_KEY_VARIABLE} is set",
        )
    if not signature_matches(document, key):
        raise PlanError(
            f"the plan's signature does not verify with {PLAN_KEY_VARIABLE}: the file was edited after planning, "
            "or signed with another key; nothing was applied",
            hint="do not edit saved plans; create the plan again with `egain-provision plan --out FILE`",
        )
    return None


def refusals(plan: Plan) -> list[str]:
    """Each way the plan's actions depart from what it was made under: apply refuses the plan if any."""
    problems = [problem for action in plan.actions for problem in _action_problems(plan, action)]
    deletes = plan.count("delete")
    if plan.max_deletes is not None and deletes > plan.max_deletes:
        problems.append(f"the plan deletes {deletes} objects, more than its --max-deletes {plan.max_deletes}")
    return problems


def refuse(plan: Plan) -> None:
    """PlanError naming every refusal, when there is one."""
    problems = refusals(plan)
    if problems:
        raise PlanError(
            "the saved plan departs from what it was made under; nothing was applied:\n"
            + "\n".join(f"  {problem}" for problem in problems),
            hint="do not edit saved plans; create the plan again with `egain-provision plan --out FILE`",
        )


def _action_problems(plan: Plan, action: Action) -> list[str]:
    where = action.address
    if action.kind not in plan.kinds:
        return [f"{where}: {action.kind} is not among the kinds the plan covers ({', '.join(plan.kinds)})"]
    problems = []
    ownership = plan.ownership
    for key in dict.fromkeys(name for name in (action.natural_key, action.previous_key) if name is not None):
        if not ownership.owns(action.kind, key):
            problems.append(f"{where}: {key!r} is outside the scope the plan was made under")
        elif is_ignored(plan.made_under.ignore, action.kind, key):
            problems.append(f"{where}: {key!r} matches an ignore glob the plan was made under")
    if action.action == "delete" and not plan.prune:
        problems.append(f"{where}: a delete in a plan made without --prune")
    return problems + _misplaced_secrets(plan, action)


def _misplaced_secrets(plan: Plan, action: Action) -> list[str]:
    """An `${env:...}` value bound for a field that is not secret: it would become readable in the tenant."""
    if action.body is None:
        return []
    kind = KINDS_BY_NAME[action.kind]
    marked = {path: set(names) for path, names in plan.made_under.sensitive.items()}
    allowed = set(secret_paths(kind, action.body, marked)) | set(opaque_paths(kind, action.body))
    return [
        f"{action.address}: {path} would receive {expression}, but {path} is not a secret field "
        "(a saved plan sends ${env:...} values only to secret fields and callback header values)"
        for path, expression in action.sensitive.items()
        if path not in allowed and expression is not None and "${env:" in expression
    ]

"""How plan values read on screen, shared by the text and Markdown renderers.

Everything here is a pure function of what the Plan holds. User- and tenant-controlled text
(names, paths, values) passes through `visible` so it can neither move the terminal cursor nor
break a line in a pull-request comment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from egain_provision.limits import per_method_text
from egain_provision.plan import SENSITIVE_DISPLAY, Action, ActionType, Change, ChangeType, Plan, PlanRequests

SIGNS: dict[ChangeType, str] = {"add": "+", "remove": "-", "modify": "~"}
ACTION_SIGNS: dict[ActionType, str] = {"create": "+", "update": "~", "delete": "-"}
KNOWN_AFTER_APPLY = " (known after apply)"

# Longer strings (base64 icons, payload templates) would drown the plan; JSON output has them whole.
LONG_STRING = 120
# A list or mapping whose one-line form is wider than this is shown one item per line.
INLINE_WIDTH = 100

# C0/C1 controls, DEL, line/paragraph separators and bidirectional overrides ("Trojan source").
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """`text` with control, line-breaking and bidi characters written as `\\uXXXX` escapes."""
    return _INVISIBLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def quoted(text: str) -> str:
    """A string as a JSON literal (`"name"`), safe to print."""
    return visible(json.dumps(text, ensure_ascii=False))


def object_label(action: Action) -> str:
    """`clientApplications "order-bot-app"`: how text output names the object of an action."""
    return f"{visible(action.kind)} {quoted(action.natural_key)}"


def value_lines(value: Any) -> list[str]:
    """A value as JSON-ish lines: one line when short, one item per line for a long list or mapping."""
    inline = _inline(value)
    if len(inline) <= INLINE_WIDTH or not isinstance(value, list | dict):
        return [inline]
    if isinstance(value, list):
        return ["[", *(f"    {_inline(item)}," for item in value), "]"]
    return ["{", *(f"    {quoted(str(key))}: {_inline(item)}," for key, item in value.items()), "}"]


def change_lines(change: Change) -> list[str]:
    """One change without its sign: `path: value` or `path: old -> new`, then any continuation lines."""
    if change.change == "modify":
        before, after = _display(change, change.before), _display(change, change.after)
        lines = [*before[:-1], f"{before[-1]} -> {after[0]}", *after[1:]]
    else:
        lines = _display(change, change.after if change.change == "add" else change.before)
    lines[0] = f"{visible(change.path)}: {lines[0]}"
    if change.known_after_apply:
        lines[-1] += KNOWN_AFTER_APPLY
    return lines


def diff_lines(change: Change) -> list[str]:
    """One change as lines of a `diff` block, each starting with `-` or `+` (the lines GitHub colours).

    An add is `+` lines, a remove `-` lines, a modify its old value's `-` lines then its new value's `+` lines.
    """
    if change.change != "modify":
        return [f"{SIGNS[change.change]} {line}" for line in change_lines(change)]
    path = visible(change.path)
    before, after = _display(change, change.before), _display(change, change.after)
    before[0], after[0] = f"{path}: {before[0]}", f"{path}: {after[0]}"
    if change.known_after_apply:
        after[-1] += KNOWN_AFTER_APPLY
    return [*(f"- {line}" for line in before), *(f"+ {line}" for line in after)]


def summary_sentence(plan: Plan) -> str:
    """The closing line: `Plan: X to create, Y to update, Z to delete. N unchanged.` or `No changes. ...`."""
    counts = plan.summary
    if not plan.has_changes:
        return f"No changes. The tenant matches the manifests ({objects(counts['unchanged'])} unchanged)."
    return (
        f"Plan: {counts['create']} to create, {counts['update']} to update, {counts['delete']} to delete. "
        f"{counts['unchanged']} unchanged."
    )


def delete_limit_sentence(plan: Plan) -> str:
    """Why apply will refuse this plan (only meaningful when `plan.delete_limit_exceeded`)."""
    return (
        f"This plan deletes {objects(plan.count('delete'))}, more than --max-deletes {plan.max_deletes} allows: "
        "apply will refuse it. Review the deletes, then raise --max-deletes if they are intended."
    )


def partial_sentence(plan: Plan, code: Callable[[str], str] = str) -> str:
    """What a partial plan (`--only`) covers and leaves out (only meaningful when `plan.partial`)."""
    patterns = ", ".join(code(pattern) for pattern in plan.only)
    return (
        f"Partial plan: only {patterns} (--only). Objects outside the selection were not compared, changed or pruned."
    )


def requests_sentence(requests: PlanRequests) -> str:
    """`plan GET 7; its apply about POST 600, GET 9; the developer tier allows ...: 1 such run`."""
    applying = requests.apply_estimate
    spends = f"its apply about {per_method_text(applying)}" if applying else "nothing to apply"
    quota = f"; {requests.monthly_quota}" if requests.monthly_quota is not None else ""
    return f"plan {per_method_text(requests.plan)}; {spends}{quota}"


def objects(count: int) -> str:
    """`1 object`, `2 objects`."""
    return f"{count} object" if count == 1 else f"{count} objects"


def live_label(kind: str, natural_key: str, object_id: str | None) -> str:
    """`channels "custom.sms" (id 42)`: a live object, as listed among deletes and unmanaged objects."""
    where = f" (id {visible(object_id)})" if object_id else ""
    return f"{visible(kind)} {quoted(natural_key)}{where}"


def _display(change: Change, value: Any) -> list[str]:
    if change.sensitive:
        # Placeholders such as "(sensitive value)" show bare; anything else is masked, should one slip in.
        placeholder = isinstance(value, str) and value.startswith("(") and value.endswith(")")
        return [visible(value) if placeholder else SENSITIVE_DISPLAY]
    return value_lines(value)


def _inline(value: Any) -> str:
    if isinstance(value, str):
        return f"<{len(value)} characters>" if len(value) > LONG_STRING else quoted(value)
    if isinstance(value, list):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{quoted(str(key))}: {_inline(item)}" for key, item in value.items()) + "}"
    return json.dumps(value)

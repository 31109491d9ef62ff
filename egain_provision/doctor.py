"""`doctor`: probe a target with reads only and say how it behaves where eGain's spec is silent.

Token scopes that work, and per kind: where the list sits in the answer, whether it carries
`paginationInfo`, the page size actually honoured, what an empty collection answers, whether
list items carry `modified`, how secrets come back, fields no manifest can hold, the shape of
references, and rate-limit headers. It never writes: only token requests and GETs. It ends within
a total time budget, reporting what it could not finish as unknown.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from egain_provision.client import EgainClient, RunDeadline, RunOutOfTime, says_nothing_exists, token_answer_fields
from egain_provision.errors import ApiError, ProvisionerError
from egain_provision.kinds import KINDS, Kind
from egain_provision.listing import IncompleteRead, parse_page
from egain_provision.live import modified_of
from egain_provision.normalize import is_masked, known_only

MANAGE = "app.conversation.conversationmgr.manage"
READ = "app.conversation.conversationmgr.read"
SCOPES = (
    "https://api.egain.cloud/auth/.default",
    MANAGE,
    f"https://api.egain.cloud/auth/{MANAGE}",
    READ,
    f"https://api.egain.cloud/auth/{READ}",
)
# Seconds doctor may take in all: long enough for a slow tenant's six kinds, short enough for a terminal.
DEFAULT_TIME_BUDGET = 60.0


@dataclass
class KindReport:
    """What one kind's list showed."""

    kind: str
    status: int | None = None
    list_key: str | None = None
    pagination_info: bool | None = None
    count: int | None = None
    items: int = 0
    paging: str = "not probed"
    empty_answer: str | None = None
    modified_in_items: bool | None = None
    # Whether the tenant can tell this tool that an object changed since it was read (`modified`, any JSON scalar).
    concurrent_changes: str | None = None
    secrets: list[str] = field(default_factory=list)
    references: str | None = None
    unknown_fields: list[str] = field(default_factory=list)
    read_whole: str = "not read"


@dataclass
class Report:
    """Everything doctor found, and what stops the tool from working on this target."""

    target: str
    scopes: dict[str, str] = field(default_factory=dict)
    kinds: list[KindReport] = field(default_factory=list)
    rate_headers: set[str] = field(default_factory=set)
    blockers: list[str] = field(default_factory=list)
    # What the time budget did not leave time for (unknown, neither passed nor failed), and that budget.
    unfinished: list[str] = field(default_factory=list)
    time_budget: float = DEFAULT_TIME_BUDGET

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "scopes": dict(self.scopes),
            "kinds": [vars(kind) for kind in self.kinds],
            "rate_limit_headers": sorted(self.rate_headers),
            "blockers": list(self.blockers),
            "time_budget": self.time_budget,
            "unfinished": list(self.unfinished),
        }


async def examine(client: EgainClient, target: str, time_budget: float = DEFAULT_TIME_BUDGET) -> Report:
    """Probe the target behind `client` (token scopes first, then every kind's list) within `time_budget` seconds.

    No retry waits past the budget (a Retry-After beyond it fails that probe, saying so); what is
    still running when it ends is cut off and listed in `Report.unfinished`.
    """
    report = Report(target, time_budget=time_budget)
    option = f"doctor's --time-budget of {time_budget:g} s"
    client.run_deadline = RunDeadline(time.monotonic() + time_budget, option)
    try:
        async with asyncio.timeout(time_budget):
            if client.credentials.token_url and client.credentials.client_id:
                await _probe_scopes(client, report)
            for kind in KINDS:
                found = KindReport(kind.name)
                report.kinds.append(found)
                try:
                    await _probe_kind(client, kind, found, report)
                except RunOutOfTime as exc:
                    found.read_whole = f"unknown: {exc.message}"
                    report.unfinished.append(kind.name)
    except TimeoutError:
        _note_unfinished(client, report, option)
    return report


def _note_unfinished(client: EgainClient, report: Report, option: str) -> None:
    """After the budget ran out: every probe not done, marked unknown."""
    if client.credentials.token_url and client.credentials.client_id and len(report.scopes) < len(SCOPES):
        report.unfinished.append("token scopes")
        for scope in SCOPES:
            report.scopes.setdefault(scope, "unknown (not probed)")
    probed = {found.kind for found in report.kinds}
    report.kinds += [KindReport(kind.name) for kind in KINDS if kind.name not in probed]
    for found in report.kinds:
        if found.read_whole == "not read":
            found.read_whole = f"unknown: not finished within {option}"
            report.unfinished.append(found.kind)


async def _probe_scopes(client: EgainClient, report: Report) -> None:
    for scope in SCOPES:
        try:
            answer = await client.token_for(scope)
        except (httpx.HTTPError, OSError, TimeoutError) as exc:
            report.scopes[scope] = f"no answer ({type(exc).__name__})"
            continue
        report.scopes[scope] = "granted" if answer.status_code == 200 else f"refused ({_reason(answer)})"
    if not any(result == "granted" for result in report.scopes.values()):
        report.blockers.append(
            "no scope form is granted to these client credentials; fix: check EGAIN_CLIENT_ID/SECRET and that "
            "the client application has the Conversation Manager permissions"
        )


def _reason(answer: httpx.Response) -> str:
    payload = token_answer_fields(answer)
    error = payload.get("error") if payload is not None else None
    return error if isinstance(error, str) and error.isidentifier() else f"HTTP {answer.status_code}"


async def _probe_kind(client: EgainClient, kind: Kind, found: KindReport, report: Report) -> None:
    try:
        plain = await client.probe(kind.api_path)
    except (ProvisionerError, httpx.HTTPError, OSError, TimeoutError) as exc:
        found.read_whole = f"no: {getattr(exc, 'message', type(exc).__name__)}"
        report.blockers.append(f"{kind.name}: the list cannot be read ({found.read_whole})")
        return
    _headers(plain, report)
    found.status = plain.status_code
    items = _describe_answer(kind, plain, found, report, client.redact)
    if items is not None:
        _describe_items(kind, items, found)
        found.concurrent_changes = await _concurrency(client, kind, items, found)
        if len(items) >= 2:
            paged = await client.probe(kind.api_path, {"$pagesize": "1", "$pagenum": "2"})
            found.paging = _paging(kind, paged, items, found.count)
        else:
            found.paging = "cannot tell (fewer than 2 objects)"
    try:
        listing = await client.list_all(kind)
        found.read_whole = f"yes ({len(listing.items)} objects)" + "".join(f"; {w}" for w in listing.warnings)
    except RunOutOfTime:
        raise  # unknown, not a blocker: examine() says it was not finished
    except IncompleteRead as exc:
        found.read_whole = f"no: {exc.message}"
        report.blockers.append(f"{kind.name}: {exc.message}" + (f"; fix: {exc.hint}" if exc.hint else ""))
    except ProvisionerError as exc:
        found.read_whole = f"no: {exc.message}"
        report.blockers.append(f"{kind.name}: {exc.message}")


def _describe_answer(
    kind: Kind, answer: httpx.Response, found: KindReport, report: Report, redact: Callable[[str], str]
) -> list[Any] | None:
    """The items of a plain list answer, noting its shape; None when it holds no list."""
    if answer.status_code == 204:
        found.empty_answer = "204 No Content"
        return []
    payload = _payload(answer)
    if answer.status_code == 404:
        code = payload.get("code") if isinstance(payload, dict) else None
        message = payload.get("developerMessage") if isinstance(payload, dict) else None
        message = redact(message) if isinstance(message, str) else None
        error = ApiError(str(message or ""), status=404, code=code if isinstance(code, str) else None)
        if says_nothing_exists(error):
            found.empty_answer = f"404 with eGain code {code}"
            return []
        report.blockers.append(
            f"{kind.name}: {answer.request.url} answers 404 ({message or 'no eGain body'}); fix: the base URL must "
            "end in /conversation/conversationmgr/v3"
        )
        return None
    if answer.status_code != 200 or not isinstance(payload, dict):
        return None
    found.list_key = next(
        (
            label
            for key, label in ((kind.list_key, "singular"), (kind.name, "plural"))
            if isinstance(payload.get(key), list)
        ),
        "the only array" if sum(isinstance(v, list) for v in payload.values()) == 1 else None,
    )
    info = payload.get("paginationInfo")
    found.pagination_info = isinstance(info, dict)
    if isinstance(info, dict) and isinstance(info.get("count"), int):
        found.count = info["count"]
    try:
        items = parse_page(kind, payload, str(answer.request.url)).items
    except IncompleteRead:
        return None
    if not items:
        found.empty_answer = "200 with an empty list"
    return items


def _describe_items(kind: Kind, items: list[Any], found: KindReport) -> None:
    found.items = len(items)
    objects = [item for item in items if isinstance(item, dict)]
    if objects:
        found.modified_in_items = all(modified_of(item) is not None for item in objects)
    unknown: set[str] = set()
    for item in objects:
        unknown |= known_only(kind, item)[1]
        for path in kind.secret_fields:
            head, _, leaf = path.partition(".")
            holder = item.get(head)
            if isinstance(holder, dict):
                found.secrets.append(_mask_style(holder.get(leaf)))
    found.unknown_fields = sorted(unknown)
    found.secrets = sorted(set(found.secrets))
    found.references = _reference_shape(kind, objects)


async def _concurrency(client: EgainClient, kind: Kind, items: list[Any], found: KindReport) -> str | None:
    """Whether a change another client makes between our read and our write is detected, from `modified`.

    Lists without it send apply to the object itself (one GET, probed here on the first object).
    """
    if found.modified_in_items is None:
        return None
    if found.modified_in_items:
        return "detected (`modified` in list items)"
    first = next((item.get("id") for item in items if isinstance(item, dict)), None)
    try:
        body = await client.get(kind, first) if isinstance(first, str) else {}
    except ProvisionerError:
        return "unknown: the first object could not be read by id"
    if modified_of(body) is not None:
        return "detected (`modified` by id only: apply reads each object before updating it)"
    return "cannot be detected: no `modified` in list items or by id; a change made meanwhile is overwritten"


def _mask_style(value: Any) -> str:
    if value is None:
        return "absent (write-only)"
    if is_masked(value):
        return f"masked as {value!r}"
    return "shown in clear"


def _reference_shape(kind: Kind, objects: list[dict[str, Any]]) -> str | None:
    """How the live objects hold references: `{id}` objects, bare ids, or other shapes (nested ones included)."""
    shapes: list[str] = []
    for reference in kind.references:
        for item in objects:
            found = next(_values_at(item, reference.wire_path.split(".")), None)
            if found is None:
                continue
            if isinstance(found, dict):
                shape = "{id}" if set(found) == {"id"} else "{" + ", ".join(sorted(found)) + "}"
            else:
                shape = "bare id"
            if shape not in shapes:
                shapes.append(shape)
            break
    return ", ".join(shapes) or None


def _values_at(value: Any, parts: list[str]) -> Iterator[Any]:
    """The values at a wire path (`roles[].authentication`) in a live object, through its lists."""
    if not parts:
        if value is not None:
            yield value
        return
    if not isinstance(value, dict):
        return
    head, rest = parts[0], parts[1:]
    inner = value.get(head.removesuffix("[]"))
    for element in (inner if head.endswith("[]") and isinstance(inner, list) else [inner]):
        yield from _values_at(element, rest)


def _paging(kind: Kind, answer: httpx.Response, first: list[Any], count: int | None) -> str:
    """What `$pagesize=1&$pagenum=2` brought, compared with the plain list."""
    payload = _payload(answer)
    code = payload.get("code") if isinstance(payload, dict) else None
    if answer.status_code == 400 and code == "400-101":
        return "refuses $ parameters (400-101): read without them"
    try:
        page = parse_page(kind, payload, str(answer.request.url)).items
    except IncompleteRead:
        return f"unclear (HTTP {answer.status_code})"
    ids = [item.get("id") for item in first if isinstance(item, dict)]
    if len(page) == 1 and isinstance(page[0], dict) and len(ids) > 1 and page[0].get("id") == ids[1]:
        return "honours $pagesize and $pagenum"
    if count is not None and len(first) < count:
        return f"ignores $pagesize: pages of {len(first)}"
    if len(page) > 1:
        return f"ignores $pagesize: pages of {len(page)}"
    return "ignores $pagenum" if page and isinstance(page[0], dict) and page[0].get("id") == ids[0] else "unclear"


def _payload(answer: httpx.Response) -> Any:
    try:
        return answer.json()
    except ValueError:
        return None


def _headers(answer: httpx.Response, report: Report) -> None:
    for name in answer.headers:
        lowered = name.lower()
        if "ratelimit" in lowered or lowered == "retry-after":
            report.rate_headers.add(name)


def render_text(report: Report) -> str:
    """The report for people."""
    lines = [f"Target: {report.target}", ""]
    if report.scopes:
        lines.append("Token scopes:")
        lines += [f"  {result:<28} {scope}" for scope, result in report.scopes.items()]
        lines.append("")
    lines.append("Lists:")
    for kind in report.kinds:
        lines.append(f"  {kind.kind}:")
        for label, value in _kind_lines(kind):
            lines.append(f"    {label:<22} {value}")
    lines.append("")
    lines.append("Rate-limit headers seen: " + (", ".join(sorted(report.rate_headers)) or "none"))
    if report.blockers:
        lines += ["", "Blockers (plan and apply will stop):"] + [f"  - {blocker}" for blocker in report.blockers]
    if report.unfinished:
        lines += [
            "",
            f"Not finished within --time-budget {report.time_budget:g} s (unknown, neither passed nor failed): "
            + ", ".join(report.unfinished),
            "  run doctor again with a longer --time-budget to finish them",
        ]
    elif not report.blockers:
        lines += ["", "No blockers: plan and apply can read this tenant whole."]
    return "\n".join(lines) + "\n"


def _kind_lines(kind: KindReport) -> list[tuple[str, str]]:
    def shown(value: Any) -> str:
        return "-" if value is None else "yes" if value is True else "no" if value is False else str(value)

    items = f"{kind.items} item{'s' if kind.items != 1 else ''}"
    return [
        ("list", f"HTTP {shown(kind.status)}, key: {shown(kind.list_key)}, {items}"),
        ("paginationInfo", shown(kind.pagination_info) + (f" (count {kind.count})" if kind.count is not None else "")),
        ("paging", kind.paging),
        ("empty collection", shown(kind.empty_answer)),
        ("modified in items", shown(kind.modified_in_items)),
        ("concurrent changes", shown(kind.concurrent_changes)),
        ("secrets", ", ".join(kind.secrets) or "-"),
        ("references", shown(kind.references)),
        ("unknown fields", ", ".join(kind.unknown_fields) or "none"),
        ("read whole", kind.read_whole),
    ]

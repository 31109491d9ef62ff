"""Tenant variants: how a real tenant may answer where eGain's spec is silent.

Each variant is a `SandboxConfig` field, a `sandbox serve` option and an answer option
(`PUT /_sandbox/options`). The defaults are the sandbox's own reading of the spec; the others
reproduce what a real tenant may do instead: page differently, name its list another way,
answer an empty list with 204 or 404, add fields, enrich references, mask secrets in other
forms, leave `modified` out of lists, or show new objects in lists late; and the tenant
behaviours of `tenants.py` (normalising, merging PUTs, a numeric `modified`, lists lagging behind
every write, churn between page reads, deletes answered 202, a form-encoded token answer).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from starlette.responses import JSONResponse, Response

from egain_provision.sandbox import failures
from egain_provision.sandbox.config import SandboxConfig
from egain_provision.sandbox.failures import error_body
from egain_provision.sandbox.rules import SECRET_MASK, Resource
from egain_provision.sandbox.store import StoredObject
from egain_provision.sandbox.tenants import TOKEN_FORMATS, normalization_classes

PAGING_MODES = ("honour", "none", "refuse-params")
UNPAGED_PAGE_SIZE = 25
MAX_FIXED_PAGE_SIZE = 1000
LIST_KEYS = ("singular", "plural")
EMPTY_LIST_STATUSES = (200, 204, 404)
MASK_STYLES = {"none": None, "stars": SECRET_MASK, "empty": ""}
MASK_STYLE_NAMES = (*MASK_STYLES, "absent")
TENANT_ID = "sandbox-tenant"
CREATED_BY = "sandbox-admin"
_CHOICES: dict[str, tuple[Any, ...]] = {
    "list_key": LIST_KEYS,
    "empty_list": EMPTY_LIST_STATUSES,
    "mask_style": MASK_STYLE_NAMES,
    "token_format": TOKEN_FORMATS,
}
_FLAGS = (
    "omit_pagination_info",
    "extra_fields",
    "enriched_references",
    "no_modified_in_lists",
    "list_lag_writes",
    "put_merges",
    "numeric_modified",
)
MAX_SECONDS = 3600
MAX_CHURNS = 10_000


def fixed_page_size(paging: str) -> int | None:
    """N of `fixed:N`, None for the other modes; ValueError for a paging mode that is none of them."""
    if paging in PAGING_MODES:
        return None
    prefix, _, size = paging.partition(":")
    if prefix == "fixed" and size.isascii() and size.isdigit() and 1 <= int(size) <= MAX_FIXED_PAGE_SIZE:
        return int(size)
    raise ValueError(f"paging must be honour, fixed:N (N in 1..{MAX_FIXED_PAGE_SIZE}), none or refuse-params")


@dataclass(frozen=True)
class Variants:
    """How lists and objects are answered; every default is the spec's reading."""

    paging: str = "honour"
    omit_pagination_info: bool = False
    list_key: str = "singular"
    empty_list: int = 200
    extra_fields: bool = False
    enriched_references: bool = False
    mask_style: str = "none"
    no_modified_in_lists: bool = False
    list_lag: float = 0
    list_lag_writes: bool = False
    normalize: tuple[str, ...] = ()
    put_merges: bool = False
    numeric_modified: bool = False
    churn_between_pages: int = 0
    delete_delay: float = 0
    token_format: str = "json"

    @classmethod
    def from_config(cls, config: SandboxConfig) -> Variants:
        """The initial variants; `mask_secrets` is the `stars` mask style's old spelling."""
        values = {option.name: getattr(config, option.name) for option in fields(cls)}
        if config.mask_secrets and values["mask_style"] == "none":
            values["mask_style"] = "stars"
        return cls().updated(values)

    def updated(self, changes: dict[str, Any]) -> Variants:
        """These variants with `changes` (all known names) applied; ValueError names the first bad one."""
        for name, value in changes.items():
            _check(name, value)
        if "normalize" in changes:
            changes = {**changes, "normalize": normalization_classes(changes["normalize"])}
        return replace(self, **changes)

    @property
    def refuses_params(self) -> bool:
        """Whether any query parameter on a list is refused (400-101)."""
        return self.paging == "refuse-params"

    def as_json(self) -> dict[str, Any]:
        """The variants as the admin endpoint shows them."""
        return asdict(self)


def _check(name: str, value: Any) -> None:
    if name == "paging":
        if not isinstance(value, str):
            raise ValueError("paging must be a string")
        fixed_page_size(value)
    elif name in _FLAGS:
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
    elif name in ("list_lag", "delete_delay"):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_SECONDS:
            raise ValueError(f"{name} must be a number of seconds in 0..{MAX_SECONDS}")
    elif name == "churn_between_pages":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_CHURNS:
            raise ValueError(f"churn_between_pages must be a whole number of churns in 0..{MAX_CHURNS}")
    elif name == "normalize":
        normalization_classes(value)
    elif name in _CHOICES:
        if isinstance(value, bool) or value not in _CHOICES[name]:
            raise ValueError(f"{name} must be one of {', '.join(map(str, _CHOICES[name]))}")
    else:
        raise ValueError(f"unknown option(s): {name}")


VARIANT_NAMES = frozenset(option.name for option in fields(Variants))

Render = Callable[[StoredObject], dict[str, Any]]


def list_response(
    variants: Variants, resource: Resource, objects: list[StoredObject], pagenum: int, pagesize: int, render: Render
) -> Response:
    """One list answer over `objects` (all of the kind, in creation order) as the variants shape it.

    `pagenum`/`pagesize` are what was asked (1 and 0 when the list is asked without parameters).
    """
    if variants.list_lag:
        seen_before = time.time_ns() // 1_000_000 - round(variants.list_lag * 1000)
        objects = [obj for obj in objects if obj.created_ms <= seen_before]
    size = page_size(variants, pagesize, len(objects))
    page = objects[(pagenum - 1) * size : pagenum * size]
    return page_response(variants, resource, page, len(objects), pagenum, size, render)


def pages_in_store(variants: Variants) -> bool:
    """True when a page is the store's page as it is (no lag to filter, no unpaged answer): it may page itself."""
    return not (variants.list_lag or variants.list_lag_writes or variants.refuses_params)


def page_response(
    variants: Variants,
    resource: Resource,
    page: list[StoredObject],
    count: int,
    pagenum: int,
    size: int,
    render: Render,
) -> Response:
    """The list answer holding `page`, page `pagenum` of `size` items of `count`, as the variants shape it."""
    if not page and variants.empty_list == 204:
        return Response(status_code=204)
    if not page and variants.empty_list == 404:
        body = error_body(failures.NOT_FOUND, f"No {resource.singular} found")
        return JSONResponse(body, status_code=404)
    answer: dict[str, Any] = {}
    if not (variants.omit_pagination_info or variants.paging == "none"):
        answer["paginationInfo"] = {"count": count, "pagenum": pagenum, "pagesize": size}
    key = resource.singular + "s" if variants.list_key == "plural" else resource.singular
    answer[key] = [render(obj) for obj in page]
    return JSONResponse(answer)


def page_size(variants: Variants, asked: int, total: int) -> int:
    """How many items a page holds when `asked` (0: not asked) of `total`."""
    if variants.refuses_params:
        return max(total, 1)
    if variants.paging == "none":
        return UNPAGED_PAGE_SIZE
    return fixed_page_size(variants.paging) or asked


def shape(
    variants: Variants,
    resource: Resource,
    rendered: dict[str, Any],
    *,
    listed: bool,
    labels: Callable[[], dict[str, str]],
) -> dict[str, Any]:
    """One object's answer as the variants shape it; `labels` gives the names of the objects it references."""
    answer = _masked(resource, rendered, variants.mask_style)
    if variants.enriched_references:
        answer = _enriched(answer, labels())
    if variants.extra_fields:
        answer = {**answer, "tenantId": TENANT_ID, "createdBy": CREATED_BY}
    if listed and variants.no_modified_in_lists:
        answer.pop("modified", None)
    return answer


def _masked(resource: Resource, body: dict[str, Any], style: str) -> dict[str, Any]:
    if style == "none":
        return body
    copy = dict(body)
    for outer, inner in resource.secrets:
        section = copy.get(outer)
        if isinstance(section, dict) and inner in section:
            section = dict(section)
            if style == "absent":
                del section[inner]
            else:
                section[inner] = MASK_STYLES[style]
            copy[outer] = section
    return copy


def _enriched(value: Any, labels: dict[str, str]) -> Any:
    """Every reference `{"id": X}` to a stored object answered as `{"id": X, "name": its name}`."""
    if isinstance(value, list):
        return [_enriched(item, labels) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"id"} and value["id"] in labels:
        return {"id": value["id"], "name": labels[value["id"]]}
    return {key: _enriched(item, labels) for key, item in value.items()}

"""The plan as a value: ordered actions with field-level changes, computed once, read by renderers
and by the executor. Its JSON form (`format_version`) is what `plan --format json` prints and
what `plan --out` saves; it never holds a secret value.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from egain_provision import __version__
from egain_provision.errors import PlanError
from egain_provision.limits import MonthlyQuota, per_method
from egain_provision.model import SENSITIVE_DISPLAY, Modified, Ownership, Ref, SourceLocation
from egain_provision.paths import join_path
from egain_provision.schemas import load_schema

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

FORMAT_VERSION = "1.4"
# Saved plans before 1.3 do not record what they were made under (scope, ignore, sensitive names),
# so their actions cannot be checked against it: they are refused, and planning again is the fix.
OLDEST_SAVED_VERSION = (1, 3)
WRITE_ONLY_DISPLAY = "(write-only, not compared)"

ActionType = Literal["create", "update", "delete"]
ChangeType = Literal["add", "remove", "modify"]


class _Missing:
    """The value of a field that is absent on one side of a change."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Change:
    """One field of one object: `path` in manifest terms, `before` -> `after` (MISSING when absent)."""

    path: str
    before: Any
    after: Any
    sensitive: bool = False
    known_after_apply: bool = False

    @property
    def change(self) -> ChangeType:
        if self.before is MISSING:
            return "add"
        if self.after is MISSING:
            return "remove"
        return "modify"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "change": self.change, "sensitive": self.sensitive}
        if self.before is not MISSING:
            out["before"] = _masked(self.before) if self.sensitive else self.before
        if self.after is not MISSING:
            out["after"] = _masked(self.after) if self.sensitive else self.after
        if self.known_after_apply:
            out["known_after_apply"] = True
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        return cls(
            path=data["path"],
            before=data.get("before", MISSING),
            after=data.get("after", MISSING),
            sensitive=bool(data.get("sensitive")),
            known_after_apply=bool(data.get("known_after_apply")),
        )


@dataclass(frozen=True)
class Action:
    """One mutation: create, update (with changes) or delete of one object; frozen once planned.

    `body` is what will be sent, in API shape: references already live resolve to ids,
    references to objects this plan creates stay `Ref`s, and every sensitive field is listed in
    `sensitive` with the expression it comes from (`${env:...}`), so a saved plan can omit values.
    Nothing changes `body` after planning: binding secrets and ids makes new bodies.
    """

    action: ActionType
    kind: str
    natural_key: str
    id: str | None = None
    modified: Modified | None = None
    # A digest of the object as the plan read it (secrets left out): a saved plan refuses when it moved.
    fingerprint: str | None = None
    previous_key: str | None = None
    changes: Sequence[Change] = ()
    body: dict[str, Any] | None = None
    sensitive: Mapping[str, str | None] = field(default_factory=dict)
    depends_on: Sequence[str] = ()
    notes: Sequence[str] = ()
    location: SourceLocation | None = None

    def __post_init__(self) -> None:
        _freeze(self, "changes", "depends_on", "notes")
        object.__setattr__(self, "sensitive", FrozenDict(self.sensitive))

    @property
    def address(self) -> str:
        """Unique within a plan: `kind/key`, with the id for deletes (live names may repeat)."""
        return address_of(self.action, self.kind, self.natural_key, self.id)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "address": self.address,
            "action": self.action,
            "kind": self.kind,
            "natural_key": self.natural_key,
            "id": self.id,
            "modified": self.modified,
            "changes": [change.to_json() for change in self.changes],
            "depends_on": list(self.depends_on),
            "notes": list(self.notes),
        }
        if self.fingerprint is not None:
            out["fingerprint"] = self.fingerprint
        if self.previous_key is not None:
            out["previous_key"] = self.previous_key
        if self.location is not None:
            out["location"] = str(self.location)
        if self.body is not None:
            out["body"] = _encode_body(self.body, self.sensitive)
            out["sensitive"] = dict(self.sensitive)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Action:
        location = _location(data.get("location"))
        body = data.get("body")
        sensitive = dict(data.get("sensitive") or {})
        return cls(
            action=data["action"],
            kind=data["kind"],
            natural_key=data["natural_key"],
            id=data.get("id"),
            modified=data.get("modified"),
            fingerprint=data.get("fingerprint"),
            previous_key=data.get("previous_key"),
            changes=[Change.from_json(item) for item in data.get("changes", [])],
            body=_decode_body(body, set(sensitive)) if isinstance(body, dict) else None,
            sensitive=sensitive,
            depends_on=list(data.get("depends_on", [])),
            notes=list(data.get("notes", [])),
            location=location,
        )


@dataclass(frozen=True)
class NormalisationNote:
    """A declared value the tenant stores in another form no write can change (format 1.3): shown, not planned."""

    kind: str
    natural_key: str
    path: str
    normalisation: str
    declared: Any
    stored: Any
    fix: str
    location: SourceLocation | None = None

    @property
    def message(self) -> str:
        declared, stored = json.dumps(self.declared), json.dumps(self.stored)
        return (
            f"{self.kind} {json.dumps(self.natural_key)}: {self.path}: the tenant stores {declared} as {stored} "
            f"({self.normalisation}); {self.fix}"
        )

    def to_json(self) -> dict[str, Any]:
        out = {
            "kind": self.kind,
            "natural_key": self.natural_key,
            "path": self.path,
            "normalisation": self.normalisation,
            "declared": self.declared,
            "stored": self.stored,
            "fix": self.fix,
        }
        if self.location is not None:
            out["location"] = str(self.location)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NormalisationNote:
        names = ("kind", "natural_key", "path", "normalisation", "declared", "stored", "fix")
        return cls(**{name: data[name] for name in names}, location=_location(data.get("location")))


def _location(text: Any) -> SourceLocation | None:
    """`file:line:col` read back (None when absent)."""
    if not text:
        return None
    file, _, rest = str(text).rpartition(":")
    file, _, line = file.rpartition(":")
    return SourceLocation(file, int(line), int(rest))


def address_of(action: str, kind: str, natural_key: str, object_id: str | None) -> str:
    """An action's address: `kind/key`, with `#id` for a delete."""
    if action == "delete" and object_id:
        return f"{kind}/{natural_key}#{object_id}"
    return f"{kind}/{natural_key}"


class FrozenDict(dict[str, Any]):
    """A dict that refuses changes: the mappings of a frozen plan (copies and JSON work as for a dict)."""

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("a planned value cannot be changed")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (dict(self),))


def _freeze(instance: Any, *names: str) -> None:
    """Turn the named sequence fields of a frozen dataclass into tuples (callers may pass lists)."""
    for name in names:
        object.__setattr__(instance, name, tuple(getattr(instance, name)))


@dataclass(frozen=True)
class PlanRequests:
    """The requests planning sent per method, those its apply will send at least, and how many such runs
    (plan and apply) fit in the `--rate-limit` tier's month when its quota is known (format 1.4)."""

    plan: Mapping[str, int]
    apply_estimate: Mapping[str, int]
    monthly_quota: MonthlyQuota | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "plan", FrozenDict(per_method(self.plan)))
        object.__setattr__(self, "apply_estimate", FrozenDict(per_method(self.apply_estimate)))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"plan": dict(self.plan), "apply_estimate": dict(self.apply_estimate)}
        if self.monthly_quota is not None:
            quota = self.monthly_quota
            out["monthly_quota"] = {
                "tier": quota.tier,
                "per_method": quota.per_method,
                "busiest_method": quota.busiest_method,
                "runs": quota.runs,
            }
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlanRequests:
        quota = data.get("monthly_quota")
        return cls(
            plan=dict(data["plan"]),
            apply_estimate=dict(data["apply_estimate"]),
            monthly_quota=None if quota is None else MonthlyQuota(**quota),
        )


@dataclass(frozen=True)
class Unmanaged:
    """A live object in scope that is neither declared nor ignored (deleted only with --prune)."""

    kind: str
    natural_key: str
    id: str


@dataclass(frozen=True)
class Plan:
    """Everything `plan` found: ordered actions, unchanged counts, unmanaged objects; frozen once computed."""

    target: str
    target_identity: str
    actions: Sequence[Action] = ()
    unchanged: Mapping[str, int] = field(default_factory=dict)
    unmanaged: Sequence[Unmanaged] = ()
    ignored: Mapping[str, int] = field(default_factory=dict)
    # Live objects outside the manifests' `scope:`, per kind (format 1.2; absent from older plans).
    out_of_scope: Mapping[str, int] = field(default_factory=dict)
    # Of those, the ones a scope exclusion took out, per `kind: !glob` (format 1.3).
    excluded: Mapping[str, int] = field(default_factory=dict)
    # The declared objects left unchanged, per kind by live id -> natural key: diagrams draw them by
    # name, and name the references the actions' bodies hold by id (absent from plans before it).
    unchanged_names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    warnings: Sequence[str] = ()
    # Declared values the tenant stores normalised (format 1.3; absent from older plans).
    normalisations: Sequence[NormalisationNote] = ()
    manifests: Sequence[str] = ()
    kinds: Sequence[str] = ()
    prune: bool = False
    max_deletes: int | None = None
    # What the plan was made under (format 1.3): apply and show check every action against it.
    made_under: MadeUnder = field(default_factory=lambda: MadeUnder())
    # The `--only KIND/NAME` patterns of a partial plan (format 1.3; absent from whole plans).
    only: Sequence[str] = ()
    # What `plan` sent and its apply will send, per method (format 1.4; absent when not planned by `plan`).
    requests: PlanRequests | None = None

    def __post_init__(self) -> None:
        _freeze(self, "actions", "unmanaged", "warnings", "normalisations", "manifests", "kinds", "only")
        for name in ("unchanged", "ignored", "out_of_scope", "excluded"):
            object.__setattr__(self, name, FrozenDict(getattr(self, name)))

    def count(self, action: ActionType) -> int:
        return sum(1 for item in self.actions if item.action == action)

    @property
    def summary(self) -> dict[str, int]:
        return {
            "create": self.count("create"),
            "update": self.count("update"),
            "delete": self.count("delete"),
            "unchanged": sum(self.unchanged.values()),
            "unmanaged": len(self.unmanaged),
        }

    @property
    def partial(self) -> bool:
        """Planned with `--only`: objects outside the selection were neither compared nor pruned."""
        return bool(self.only)

    @property
    def has_changes(self) -> bool:
        return bool(self.actions)

    @property
    def delete_limit_exceeded(self) -> bool:
        """More deletes than --max-deletes allows: shown, but never applied."""
        return self.max_deletes is not None and self.count("delete") > self.max_deletes

    @property
    def has_deletes(self) -> bool:
        return any(item.action == "delete" for item in self.actions)

    def to_json(self) -> dict[str, Any]:
        """The document of `plan --format json` and `plan --out` (schemas/plan.schema.json), with its digest."""
        document = self._content()
        document["digest"] = digest_of(document)
        return document

    def _content(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "tool": "egain-provision",
            "target": self.target,
            "target_identity": self.target_identity,
            "manifests": list(self.manifests),
            "kinds": list(self.kinds),
            "prune": self.prune,
            "max_deletes": self.max_deletes,
            "summary": self.summary,
            "actions": [item.to_json() for item in self.actions],
            "unchanged": dict(self.unchanged),
            "unmanaged": [
                {"kind": item.kind, "natural_key": item.natural_key, "id": item.id} for item in self.unmanaged
            ],
            "ignored": dict(self.ignored),
            "out_of_scope": dict(self.out_of_scope),
            "excluded": dict(self.excluded),
            "unchanged_names": {kind: dict(names) for kind, names in self.unchanged_names.items()},
            "warnings": list(self.warnings),
            "normalisations": [note.to_json() for note in self.normalisations],
            "made_under": self.made_under.to_json(),
        }
        if self.partial:
            document.update(partial=True, only=list(self.only))
        if self.requests is not None:
            document["requests"] = self.requests.to_json()
        return document

    @classmethod
    def from_json(cls, data: Any) -> Plan:
        """A saved plan read back; PlanError when it is not one this version understands."""
        if not isinstance(data, dict) or data.get("tool") != "egain-provision":
            raise PlanError(
                "not an egain-provision plan file", hint="create one with `egain-provision plan --out FILE`"
            )
        _check_version(str(data.get("format_version", "")))
        if not isinstance(data.get("digest"), str) or data["digest"] != digest_of(_content_of(data)):
            raise PlanError(
                "the plan file was edited: its content does not match its digest; nothing was applied",
                hint="do not edit saved plans; create the plan again with `egain-provision plan --out FILE`",
            )
        # A plan file is input like any other: nothing in it is executed unless it has the published shape.
        problem = _schema_problem(data)
        if problem is not None:
            where = "/".join(str(part) for part in problem.absolute_path) or "(top level)"
            raise PlanError(
                f"the plan file does not match schemas/plan.schema.json at {where}: {problem.message}",
                hint="do not edit saved plans; create the plan again with `egain-provision plan --out FILE`",
            )
        try:
            return cls(
                target=data["target"],
                target_identity=data["target_identity"],
                actions=[Action.from_json(item) for item in data["actions"]],
                unchanged=dict(data.get("unchanged", {})),
                unmanaged=[Unmanaged(**item) for item in data.get("unmanaged", [])],
                ignored=dict(data.get("ignored", {})),
                out_of_scope=dict(data.get("out_of_scope", {})),
                excluded=dict(data.get("excluded", {})),
                unchanged_names={kind: dict(names) for kind, names in data.get("unchanged_names", {}).items()},
                warnings=list(data.get("warnings", [])),
                normalisations=[NormalisationNote.from_json(item) for item in data.get("normalisations", [])],
                manifests=list(data.get("manifests", [])),
                kinds=list(data.get("kinds", [])),
                prune=bool(data.get("prune")),
                max_deletes=data.get("max_deletes"),
                made_under=MadeUnder.from_json(data["made_under"]),
                only=list(data.get("only", [])),
                requests=PlanRequests.from_json(data["requests"]) if "requests" in data else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PlanError(f"the plan file is damaged ({type(exc).__name__}: {exc})") from None

    def dumps(self, key: bytes | None = None) -> str:
        """The saved plan's text; with `key` (EGAIN_PLAN_KEY) it carries an HMAC-SHA256 `signature` too."""
        document = self.to_json()
        if key is not None:
            document["signature"] = signature_of(_content_of(document), key)
        return json.dumps(document, indent=2, sort_keys=False) + "\n"

    @property
    def ownership(self) -> Ownership:
        """The scope the plan was made under, as the planner used it."""
        return self.made_under.ownership


@dataclass(frozen=True)
class MadeUnder:
    """What a plan was made under, beyond its target, kinds and limits: the tool, the manifests' `scope:`
    (None: they own everything), `ignore:` globs and `sensitive:` item names."""

    tool_version: str = __version__
    scope: Mapping[str, Sequence[str]] | None = None
    scope_excluded: Mapping[str, Sequence[str]] = field(default_factory=dict)
    ignore: Mapping[str, Sequence[str]] = field(default_factory=dict)
    sensitive: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @property
    def ownership(self) -> Ownership:
        owned = None if self.scope is None else {kind: tuple(globs) for kind, globs in self.scope.items()}
        return Ownership(owned, {kind: tuple(globs) for kind, globs in self.scope_excluded.items()})

    def to_json(self) -> dict[str, Any]:
        return {
            "tool_version": self.tool_version,
            "scope": None if self.scope is None else {kind: list(globs) for kind, globs in self.scope.items()},
            "scope_excluded": {kind: list(globs) for kind, globs in self.scope_excluded.items()},
            "ignore": {kind: list(globs) for kind, globs in self.ignore.items()},
            "sensitive": {path: sorted(names) for path, names in self.sensitive.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MadeUnder:
        return cls(
            tool_version=data["tool_version"],
            scope=data["scope"],
            scope_excluded=data["scope_excluded"],
            ignore=data["ignore"],
            sensitive=data["sensitive"],
        )


def _check_version(version: str) -> None:
    """PlanError unless a saved plan's format is one this tool checks fully (1.3 up to its own)."""
    try:
        found = tuple(int(part) for part in version.split("."))
    except ValueError:
        found = ()
    newest = tuple(int(part) for part in FORMAT_VERSION.split("."))
    if len(found) != 2 or found > newest or found[0] != newest[0]:
        raise PlanError(
            f"plan format_version {version!r} is not supported (this tool writes {FORMAT_VERSION})",
            hint="create the plan again with this version of egain-provision",
        )
    if found < OLDEST_SAVED_VERSION:
        raise PlanError(
            f"the plan is of format {version}, made by an older egain-provision: it does not record the scope, "
            "ignore globs and secret names it was made under, so its actions cannot be checked against them; "
            "nothing was applied",
            hint="create the plan again with `egain-provision plan --out FILE`",
        )


def _content_of(document: dict[str, Any]) -> dict[str, Any]:
    """A plan document without its digest and signature: what both are computed over."""
    return {key: value for key, value in document.items() if key not in ("digest", "signature")}


def signature_of(content: dict[str, Any], key: bytes) -> str:
    """`hmac-sha256:<hex>` of a plan's canonical content under `key`."""
    return "hmac-sha256:" + hmac.new(key, canonical_json(content), hashlib.sha256).hexdigest()


def signature_matches(document: dict[str, Any], key: bytes) -> bool:
    """Whether a plan document carries a signature made with `key` over its content (compared in constant time)."""
    found = document.get("signature")
    return isinstance(found, str) and hmac.compare_digest(found, signature_of(_content_of(document), key))


def _schema_problem(data: dict[str, Any]) -> ValidationError | None:
    """The most relevant way `data` departs from schemas/plan.schema.json, or None."""
    # Imported here: only reading a plan file needs jsonschema, not planning or rendering.
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    return best_match(Draft202012Validator(load_schema("plan")).iter_errors(data))


def canonical_json(document: dict[str, Any]) -> bytes:
    """A plan document's canonical JSON (sorted keys, no spaces), as UTF-8."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest_of(document: dict[str, Any]) -> str:
    """`sha256:<hex>` of a plan document's canonical JSON: catches accidents and truncation, not a deliberate edit."""
    return "sha256:" + hashlib.sha256(canonical_json(document)).hexdigest()


def _masked(value: Any) -> Any:
    """A sensitive change's value as written out: only ever a placeholder, whatever it holds."""
    return value if value in (SENSITIVE_DISPLAY, WRITE_ONLY_DISPLAY) else SENSITIVE_DISPLAY


REF_KEY = "$ref"
SENSITIVE_KEY = "$sensitive"


def _encode_body(body: Any, sensitive: Mapping[str, str | None], path: str = "") -> Any:
    """The body as JSON: `Ref`s become `{"$ref": "kind/name"}`, sensitive values `{"$sensitive": expr}`."""
    if path in sensitive:
        return {SENSITIVE_KEY: sensitive[path]}
    if isinstance(body, Ref):
        return {REF_KEY: f"{body.kind}/{body.name}"}
    if isinstance(body, dict):
        return {key: _encode_body(value, sensitive, join_path(path, key)) for key, value in body.items()}
    if isinstance(body, list):
        return [_encode_body(value, sensitive, join_path(path, index)) for index, value in enumerate(body)]
    return body


def _decode_body(body: Any, sensitive: set[str], path: str = "") -> Any:
    """The inverse of `_encode_body`; placeholders are recognised only at the listed sensitive paths."""
    if path in sensitive and isinstance(body, dict) and set(body) == {SENSITIVE_KEY}:
        return SensitivePlaceholder(body[SENSITIVE_KEY])
    if isinstance(body, dict):
        if set(body) == {REF_KEY} and isinstance(body[REF_KEY], str):
            kind, _, name = body[REF_KEY].partition("/")
            return Ref(kind, name)
        return {key: _decode_body(value, sensitive, join_path(path, key)) for key, value in body.items()}
    if isinstance(body, list):
        return [_decode_body(value, sensitive, join_path(path, index)) for index, value in enumerate(body)]
    return body


@dataclass(frozen=True)
class SensitivePlaceholder:
    """A sensitive value left out of a saved plan: the expression to evaluate again at apply."""

    expression: str | None

"""Manifest files -> `ManifestSet`: read, interpolate, check shape and references, build desired objects.

Bad manifest content never raises: every problem becomes a `Diagnostic` with file:line:col and
the field path, so one run reports them all. Only unusable command-line paths raise
`UsageError`. A directory contributes its own `*.yaml`/`*.yml` files, sorted by name, not its
subdirectories (they can hold per-environment variable files or other setups).
"""

from __future__ import annotations

import difflib
import gc
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

from egain_provision.errors import UsageError
from egain_provision.kinds import KINDS_BY_NAME, SETUP_ORDER, Kind, Reference
from egain_provision.manifest.checks import check_declared
from egain_provision.manifest.declared import Declared, Document, under
from egain_provision.manifest.interpolate import (
    InterpolationError,
    Interpolator,
    UnsetEnvironment,
    UnsetValue,
    has_expression,
)
from egain_provision.manifest.ownership import ScopeReader, outside_scope, plain_globs
from egain_provision.manifest.reading import Unreadable, read_regular_file
from egain_provision.manifest.validation import document_problems, object_problems
from egain_provision.manifest.yamlnodes import NodeReader, compose_documents, decode_text, mark_location
from egain_provision.model import DesiredObject, Diagnostic, Ownership, Severity, SourceLocation
from egain_provision.paths import join_path
from egain_provision.references import KEEP, api_path_of, rewrite_references
from egain_provision.sensitive import Marked, read_marks, secret_paths

T = TypeVar("T")

MANIFEST_SUFFIXES = (".yaml", ".yml")
# Far above any real manifest (icons are at most 512000 characters); refuses runaway inputs early.
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass
class ManifestSet:
    """Everything the manifests declare, merged, plus what is wrong with them."""

    objects: list[DesiredObject] = field(default_factory=list)
    ignore: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # What `scope:` says the set owns, merged over every document (everything when none has one).
    ownership: Ownership = field(default_factory=Ownership)
    # Further secret item names (`sensitive: {attributes: [apiKey]}`), merged over every document.
    sensitive: dict[str, frozenset[str]] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    # The names of every ${var:NAME} the manifests hold, whether set or not.
    variables_used: frozenset[str] = frozenset()

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.diagnostics)

    def unused_variables(self, given: Iterable[str]) -> list[Diagnostic]:
        """A warning for each given variable no manifest uses (a typo, as Terraform warns), with a near name."""
        warnings = []
        for name in sorted(set(given) - self.variables_used):
            near = difflib.get_close_matches(name, sorted(self.variables_used), n=1)
            warnings.append(
                Diagnostic(
                    "warning",
                    None,
                    "",
                    f"variable {name!r} is set but no manifest uses it",
                    f"did you mean {near[0]!r}?" if near else "check its name, or stop passing it",
                )
            )
        return warnings


def manifest_files(paths: Sequence[str | Path]) -> list[str]:
    """The files to read, in order: each file as given, each directory's manifests sorted by name.

    A path or directory entry that is a looping or dangling symbolic link, a FIFO or a device is
    listed all the same: reading it then reports why it cannot be a manifest, at its path.
    """
    files: list[str] = []
    seen: set[str] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            candidates = [str(path / name) for name in _directory_manifests(path, str(given))]
        elif path.exists() or path.is_symlink():
            candidates = [str(given)]
        else:
            raise UsageError("no such file or directory", where=str(given), hint="check the path")
        for candidate in candidates:
            # realpath, unlike Path.resolve on Python 3.11, does not raise on a symlink loop.
            resolved = os.path.realpath(candidate)
            if resolved not in seen:
                seen.add(resolved)
                files.append(candidate)
    return files


def _directory_manifests(path: Path, given: str) -> list[str]:
    """The names of a directory's manifests: its `*.yaml`/`*.yml` entries that are not directories."""
    try:
        with os.scandir(path) as entries:
            found = sorted(entry.name for entry in entries if entry.name.endswith(MANIFEST_SUFFIXES))
    except OSError as exc:
        raise UsageError(f"cannot read directory: {exc.strerror}", where=given, hint="check its permissions") from None
    # Subdirectories are other setups; a link that loops or leads nowhere is no directory and is reported.
    found = [name for name in found if not (path / name).is_dir()]
    if not found:
        raise UsageError(
            "directory holds no manifests",
            where=given,
            hint="a directory contributes its *.yaml and *.yml files (not those of subdirectories)",
        )
    return found


def load_manifests(
    paths: Sequence[str | Path],
    *,
    variables: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    allow_unset: bool | Literal["env"] = False,
) -> ManifestSet:
    """Read and check the manifests at `paths` (files or directories); never raises for bad content.

    `allow_unset`: an unset `${env:...}`/`${var:...}` is a warning and its field goes unchecked
    ("env": only `${env:...}`, the secrets, as `graph` wants).
    """
    files = manifest_files(paths)
    interpolator = Interpolator(variables or {}, os.environ if environ is None else environ)
    loading = _Loading(interpolator, allow_unset)
    with _collector_paused():
        for index, file in enumerate(files):
            loading.read_file(index, file)
    loading.diagnostics.extend(check_declared(loading.declared))
    ownership = loading.scopes.ownership()
    loading.diagnostics.extend(outside_scope(loading.declared, ownership))
    ordered = sorted(loading.declared, key=lambda obj: (SETUP_ORDER.index(obj.kind.name), obj.order))
    located: dict[int, dict[str, dict[str, SourceLocation]]] = {}
    env_paths: dict[int, dict[str, dict[str, None]]] = {}
    objects = []
    for obj in ordered:
        if obj.natural_key is not None:
            document = id(obj.document)
            if document not in located:
                located[document] = _by_object(obj.document.positions.values)
                env_paths[document] = _by_object(dict.fromkeys(obj.document.env_paths))
            objects.append(
                desired_object(
                    obj, located[document].get(obj.prefix, {}), env_paths[document].get(obj.prefix, {}), loading.marked
                )
            )
    return ManifestSet(
        objects=objects,
        ignore={kind: tuple(dict.fromkeys(globs)) for kind, globs in loading.ignore.items()},
        ownership=ownership,
        sensitive={list_path: frozenset(names) for list_path, names in loading.marked.items()},
        diagnostics=sorted(loading.diagnostics, key=Diagnostic.sort_key),
        files=files,
        variables_used=frozenset(interpolator.referenced),
    )


class _Loading:
    """The state of one `load_manifests` call."""

    def __init__(self, interpolator: Interpolator, allow_unset: bool | Literal["env"] = False) -> None:
        self.interpolator = interpolator
        self.allow_unset = allow_unset
        self.diagnostics: list[Diagnostic] = []
        self.declared: list[Declared] = []
        self.ignore: dict[str, list[str]] = {}
        self.scopes = ScopeReader(self.diagnostics)
        self.marked: dict[str, set[str]] = {}

    def read_file(self, index: int, file: str) -> None:
        start = SourceLocation(file, 1, 1)
        try:
            data = read_regular_file(file, MAX_FILE_BYTES)
        except Unreadable as exc:
            self.diagnostics.append(Diagnostic("error", start, "", f"cannot read file: {exc.reason}", exc.hint))
            return
        text, problem = decode_text(file, data)
        if text is None:
            self.diagnostics.extend([problem] if problem else [])
            return
        nodes, problem = compose_documents(file, text)
        if problem is not None:
            self.diagnostics.append(problem)
        documents = [node for node in nodes if node is not None]
        if not documents and problem is None:
            self.diagnostics.append(
                Diagnostic(
                    "warning", start, "", "file holds no manifest", "add 'version: 1' and some objects, or remove it"
                )
            )
        for node in documents:
            self.read_document(index, file, node)

    def read_document(self, index: int, file: str, node: yaml.Node) -> None:
        document = Document(file, Path(file).parent, None, mark_location(file, node.start_mark))
        if not isinstance(node, yaml.MappingNode):
            self.diagnostics.append(
                Diagnostic(
                    "error",
                    document.location,
                    "",
                    "a manifest document must be a mapping",
                    "start the document with 'version: 1' followed by kind lists such as 'clientApplications:'",
                )
            )
            return

        def on_string(text: str, location: SourceLocation, path: str, plain: bool) -> Any:
            if not has_expression(text):
                return text
            try:
                expanded = self.interpolator.expand(text, document.base_dir, plain=plain, glob=_is_glob(path))
            except InterpolationError as exc:
                unset = UnsetEnvironment if self.allow_unset == "env" else UnsetValue
                severity: Severity = "warning" if self.allow_unset and isinstance(exc, unset) else "error"
                self.diagnostics.append(Diagnostic(severity, location, path, exc.message, exc.hint))
                document.reported.add(path)
                # Still a template, not a literal: no "literal secret" warning on top of the error.
                document.templates[path] = text
                return text
            if expanded.interpolated:
                document.templates[path] = text
            if expanded.from_env:
                document.env_paths.add(path)
            return expanded.value

        reader = NodeReader(file, on_string)
        document.value = reader.convert(node, "", document.positions)
        self.collect_marks(document)
        self.diagnostics.extend(reader.diagnostics)
        document.reported.update(reader.reported)
        for problem in document_problems(document.value, document.is_sensitive):
            if problem.path in document.reported:
                continue
            self.diagnostics.append(
                Diagnostic(
                    "error",
                    document.locate(problem.path, at_key=problem.at_key),
                    problem.path,
                    problem.message,
                    problem.hint,
                )
            )
        if not isinstance(document.value, dict):
            return
        self.collect_ignore(document)
        self.scopes.read(document)
        for kind_name in SETUP_ORDER:
            items = document.value.get(kind_name)
            if isinstance(items, list):
                self.read_objects(index, KINDS_BY_NAME[kind_name], document, items)

    def read_objects(self, index: int, kind: Kind, document: Document, items: list[Any]) -> None:
        for position, value in enumerate(items):
            prefix = join_path(join_path("", kind.name), position)

            def sensitive(relative: str, prefix: str = prefix) -> bool:
                return document.is_sensitive(under(prefix, relative))

            for problem in object_problems(kind.name, value, sensitive):
                path = under(prefix, problem.path)
                if path in document.reported:
                    continue
                self.diagnostics.append(
                    Diagnostic(
                        "error", document.locate(path, at_key=problem.at_key), path, problem.message, problem.hint
                    )
                )
            if isinstance(value, dict):
                location = document.locate(prefix)
                self.declared.append(Declared(kind, document, prefix, value, (index, location.line, location.column)))

    def collect_marks(self, document: Document) -> None:
        """The document's `sensitive:` names: for its own validation, and for the whole set."""
        document.marked = read_marks(document.value.get("sensitive") if isinstance(document.value, dict) else None)
        for list_path, names in document.marked.items():
            self.marked.setdefault(list_path, set()).update(names)

    def collect_ignore(self, document: Document) -> None:
        ignore = document.value.get("ignore")
        if not isinstance(ignore, dict):
            return
        for kind_name, globs in ignore.items():
            if kind_name in KINDS_BY_NAME and isinstance(globs, list):
                usable = plain_globs(document, "ignore", kind_name, globs, self.diagnostics)
                self.ignore.setdefault(kind_name, []).extend(usable)


def desired_object(
    obj: Declared, field_locations: dict[str, SourceLocation], env_paths: Iterable[str], marked: Marked | None = None
) -> DesiredObject:
    """The API-shaped desired object (the declared value is reused, not copied: it is not read again).

    `field_locations` are the object's value locations and `env_paths` its values read from the
    environment, both by manifest path relative to the object.
    """
    kind = obj.kind
    body = obj.value
    previous = body.pop("previousNames", None)
    sensitive: dict[str, str | None] = {}
    for relative in env_paths:
        sensitive[api_path_of(kind, relative)] = obj.document.templates.get(obj.path(relative))
    for path in secret_paths(kind, body, marked):
        sensitive.setdefault(path, obj.document.templates.get(obj.path(path)))
    rewrite_references(kind, body, _from_manifest, source="manifest")
    return DesiredObject(
        kind=kind.name,
        natural_key=str(obj.natural_key),
        body=body,
        location=obj.location,
        field_locations=field_locations,
        sensitive=sensitive,
        previous_names=tuple(name for name in previous if isinstance(name, str)) if isinstance(previous, list) else (),
    )


def _from_manifest(reference: Reference, value: Any) -> Any:
    placed = reference.from_manifest(value)
    return KEEP if placed is None else placed


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Parsing allocates many small containers that live until the end; cyclic GC passes over them only cost time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _by_object(by_path: dict[str, T]) -> dict[str, dict[str, T]]:
    """Document paths grouped by object (`clientApplications[0]`), made relative to it."""
    grouped: dict[str, dict[str, T]] = {}
    for path, location in by_path.items():
        close = path.find("]")
        if close < 0 or path[close + 1 : close + 2] != ".":
            continue
        grouped.setdefault(path[: close + 1], {})[path[close + 2 :]] = location
    return grouped


def _is_glob(path: str) -> bool:
    """Whether a document path is a `scope:` or `ignore:` glob (top level: objects' paths start with their kind)."""
    return path.startswith(("scope.", "ignore."))

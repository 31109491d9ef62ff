"""YAML text to plain values, keeping where every key and value was written.

PyYAML composes node graphs with start marks (the C parser when available, for speed); this
module turns them into dicts, lists and scalars, recording 1-based `SourceLocation`s by
concrete path (`roles[1].callback`). Anchors and aliases are allowed: an aliased value is
copied, and its locations point at the anchor's definition (where the text is written) while
its path names the place of use. `<<` merge keys work as in YAML 1.1. Problems become
`Diagnostic`s, never exceptions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from egain_provision.model import Diagnostic, SourceLocation
from egain_provision.paths import join_path

Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Manifest numbers are counts, sizes and minutes: past 64 bits an integer is a mistake (and JSON
# readers, the API's included, would not take it); beyond 4,300 digits Python will not even parse it.
MAX_INTEGER = 2**63 - 1
MAX_INTEGER_DIGITS = 4300
_RANGE_HINT = "numbers in a manifest are counts, sizes and minutes; quote the value if it is text"

# An alias copies its anchor; past this many copied nodes a file is an alias bomb, not a manifest.
MAX_ALIAS_NODES = 200_000

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_NULL = "tag:yaml.org,2002:null"
_KNOWN_SCALARS = {
    _NULL,
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
}

# (text, location, path, plain style) -> the value to keep; lets interpolation run during the walk.
ScalarHook = Callable[[str, SourceLocation, str, bool], Any]


def mark_location(file: str, mark: Any) -> SourceLocation:
    """PyYAML's 0-based mark as a 1-based location."""
    return SourceLocation(file, mark.line + 1, mark.column + 1)


def decode_text(file: str, data: bytes) -> tuple[str | None, Diagnostic | None]:
    """The file's text (UTF-8, optional BOM), or a diagnostic at the first undecodable byte."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8", errors="replace")
        line = good.count("\n") + 1
        column = len(good) - (good.rfind("\n") + 1) + 1
        byte = data[exc.start]
        return None, Diagnostic(
            "error",
            SourceLocation(file, line, column),
            "",
            f"file is not valid UTF-8 (byte 0x{byte:02x})",
            "save the file as UTF-8",
        )


def compose_documents(file: str, text: str) -> tuple[list[yaml.Node | None], Diagnostic | None]:
    """Every document of a YAML stream as a node graph (None for an empty document)."""
    documents: list[yaml.Node | None] = []
    try:
        loader = Loader(text)
        try:
            while loader.check_node():
                node = loader.get_node()
                # An empty document (a trailing `---`) composes as a null scalar.
                empty = isinstance(node, yaml.ScalarNode) and node.tag == _NULL and not node.value
                documents.append(None if empty else node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        return documents, _syntax_diagnostic(file, text, exc)
    except yaml.YAMLError as exc:
        return documents, Diagnostic("error", SourceLocation(file, 1, 1), "", f"YAML error: {exc}")
    return documents, None


def _syntax_diagnostic(file: str, text: str, exc: yaml.MarkedYAMLError) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    location = mark_location(file, mark) if mark is not None else SourceLocation(file, 1, 1)
    problem = exc.problem or "invalid YAML"
    message = f"YAML syntax error: {problem}"
    if exc.context:
        message += f" ({exc.context})"
    hint = "check the indentation and quoting around this point"
    lines = text.splitlines()
    if 0 < location.line <= len(lines) and "\t" in lines[location.line - 1][: location.column]:
        hint = "YAML does not allow tabs for indentation; indent with spaces"
    elif "flow" in (exc.context or "") and 0 < location.line <= len(lines) and "${" in lines[location.line - 1]:
        hint = 'inside { } or [ ], quote values that hold an expression: "${var:NAME}"'
    elif "found undefined alias" in problem:
        hint = "define the anchor (&name) before its alias (*name)"
    return Diagnostic("error", location, "", message, hint)


@dataclass
class Positions:
    """Where each concrete path of one converted value was written.

    Keys are rarely asked for (only to point at an unknown field), so they are kept as cheap
    1-based (line, column) pairs of the file.
    """

    values: dict[str, SourceLocation] = field(default_factory=dict)
    keys: dict[str, tuple[int, int]] = field(default_factory=dict)


class NodeReader:
    """Converts the nodes of one file into values; collects its diagnostics."""

    def __init__(self, file: str, on_string: ScalarHook) -> None:
        self.file = file
        self.on_string = on_string
        self.diagnostics: list[Diagnostic] = []
        # Paths already reported here; the schema's complaints about them would only repeat the problem.
        self.reported: set[str] = set()
        self._sizes: dict[int, int] = {}
        self._active: set[int] = set()
        self._alias_budget = MAX_ALIAS_NODES

    def error(self, location: SourceLocation, path: str, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic("error", location, path, message, hint))
        self.reported.add(path)

    def location(self, node: yaml.Node) -> SourceLocation:
        return mark_location(self.file, node.start_mark)

    def convert(self, node: yaml.Node, path: str, positions: Positions) -> Any:
        """The plain value of `node`, its locations recorded under `path`."""
        location = positions.values[path] = self.location(node)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, location, path)
        ident = id(node)
        if ident in self._active:
            self.error(location, path, "recursive alias: a value contains itself", "remove the alias")
            return None
        if ident in self._sizes:
            self._alias_budget -= self._sizes[ident]
            if self._alias_budget < 0:
                self.error(
                    location,
                    path,
                    f"aliases expand to more than {MAX_ALIAS_NODES} values",
                    "write the values out or use fewer nested aliases",
                )
                return None
        self._active.add(ident)
        before = len(positions.values)
        if isinstance(node, yaml.MappingNode):
            value: Any = self._mapping(node, path, positions)
        else:
            value = [self.convert(item, join_path(path, index), positions) for index, item in enumerate(node.value)]
        self._active.discard(ident)
        self._sizes.setdefault(ident, len(positions.values) - before + 1)
        return value

    def _mapping(self, node: yaml.MappingNode, path: str, positions: Positions) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: list[yaml.MappingNode] = []
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag == _MERGE:
                merged.extend(self._merge_sources(value_node, path))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(self.location(key_node), path, "a mapping key must be a plain name", "write the key as text")
                continue
            key = str(key_node.value)
            child = join_path(path, key)
            if key in result:
                first = positions.keys[child]
                self.error(
                    self.location(key_node),
                    child,
                    f"duplicate key {key!r} (first written at {self.file}:{first[0]}:{first[1]})",
                    "remove one of them; YAML keys are unique within a mapping",
                )
            mark = key_node.start_mark
            positions.keys[child] = (mark.line + 1, mark.column + 1)
            result[key] = self.convert(value_node, child, positions)
        for source in merged:
            for key_node, value_node in source.value:
                key = str(key_node.value)
                if key in result or not isinstance(key_node, yaml.ScalarNode):
                    continue
                child = join_path(path, key)
                mark = key_node.start_mark
                positions.keys[child] = (mark.line + 1, mark.column + 1)
                result[key] = self.convert(value_node, child, positions)
        return result

    def _merge_sources(self, node: yaml.Node, path: str) -> Iterator[yaml.MappingNode]:
        """The mappings a `<<:` key merges in: one mapping, or a list of them (earlier ones win)."""
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for item in items:
            if isinstance(item, yaml.MappingNode):
                yield item
            else:
                self.error(
                    self.location(item), path, "'<<' merges only mappings", "merge an anchored mapping: <<: *name"
                )

    def _scalar(self, node: yaml.ScalarNode, location: SourceLocation, path: str) -> Any:
        text = str(node.value)
        if node.tag == _STR:
            return self.on_string(text, location, path, node.style in (None, ""))
        if node.tag == _TIMESTAMP:
            return text
        if node.tag not in _KNOWN_SCALARS:
            self.error(
                location, path, f"unsupported YAML tag {node.tag!r}", "remove the tag; manifests hold plain values"
            )
            return None
        try:
            return resolve_plain(text, node.tag)
        except NotAValue as exc:
            self.error(location, path, exc.message, exc.hint)
            return None


_CONSTRUCTOR = yaml.SafeLoader("")
_RESOLVER = yaml.resolver.Resolver()


class NotAValue(ValueError):
    """A plain scalar that reads as a number no manifest field can hold; the message never quotes it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def resolve_plain(text: str, tag: str | None = None) -> Any:
    """The value a plain YAML scalar `text` stands for (`30` -> 30, `true` -> True, else the text).

    Raises `NotAValue` for a number that is invalid (`0x_`), out of range or not finite.
    """
    if tag is None:
        tag = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))
    if tag not in _KNOWN_SCALARS:
        return text
    construct = _CONSTRUCTOR.yaml_constructors[tag]
    try:
        value = construct(_CONSTRUCTOR, yaml.ScalarNode(tag, text))
    except ValueError:
        # PyYAML's patterns let `0x_` through to int(''), and Python refuses decimals of over 4,300 digits.
        if len(text) > MAX_INTEGER_DIGITS:
            raise NotAValue(f"number too large ({len(text)} characters)", _RANGE_HINT) from None
        raise NotAValue("not a valid number", "write digits, or quote the value to keep it as text") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise NotAValue("infinite or NaN numbers are not allowed", "write a finite number")
    if isinstance(value, int) and not isinstance(value, bool) and not -MAX_INTEGER - 1 <= value <= MAX_INTEGER:
        raise NotAValue(f"integer out of range (at most {MAX_INTEGER})", _RANGE_HINT)
    return value

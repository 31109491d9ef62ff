"""The manifests' `scope:`: which live objects the set owns, merged over its documents.

In one document a kind's own entry replaces `"*"` for that kind (so it can also narrow it, down
to `[]`); the set owns the union of what its documents own. A document without `scope:` adds
nothing; a set where no document has one owns everything (no scope, today's behaviour).
"""

from __future__ import annotations

from collections.abc import Sequence

from egain_provision.kinds import SETUP_ORDER
from egain_provision.manifest.declared import Declared, Document
from egain_provision.model import EVERY_KIND, Diagnostic, Ownership
from egain_provision.paths import join_path


class ScopeReader:
    """Collects the `scope:` of each document as read, then the set's `Ownership`."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        self.globs: dict[str, list[str]] | None = None
        self.excluded: dict[str, list[str]] = {}

    def read(self, document: Document) -> None:
        """Add one document's scope (a bad shape is the schema's to report, and adds nothing)."""
        scope = document.value.get("scope") if isinstance(document.value, dict) else None
        if not isinstance(scope, dict):
            return
        globs = self.globs if self.globs is not None else {}
        self.globs = globs
        usable = self._usable_globs(document, scope)
        for kind in SETUP_ORDER:
            entry = kind if kind in scope else EVERY_KIND
            if entry not in usable:
                continue
            for glob, is_exclusion in usable[entry]:
                (self.excluded if is_exclusion else globs).setdefault(kind, []).append(glob)
            globs.setdefault(kind, [])

    def _usable_globs(self, document: Document, scope: dict[str, object]) -> dict[str, list[tuple[str, bool]]]:
        """Each entry's string globs, each with whether it is an exclusion; one from ${env:...} is an error, left out.

        An exclusion is written with a leading `!` in the manifest itself; a `${var:...}` value is
        literal, so it can neither start one nor widen a glob.
        """
        usable: dict[str, list[tuple[str, bool]]] = {}
        for entry, values in scope.items():
            if isinstance(values, list):
                items = plain_glob_items(document, "scope", entry, values, self.diagnostics)
                usable[entry] = [_exclusion_or_glob(document, path, glob) for path, glob in items]
        return usable

    def ownership(self) -> Ownership:
        if self.globs is None:
            return Ownership()
        return Ownership(
            {kind: tuple(dict.fromkeys(globs)) for kind, globs in self.globs.items()},
            {kind: tuple(dict.fromkeys(globs)) for kind, globs in self.excluded.items()},
        )


def _exclusion_or_glob(document: Document, path: str, glob: str) -> tuple[str, bool]:
    written = document.templates.get(path, glob)
    if written.startswith("!") and glob.startswith("!"):
        return glob[1:], True
    return glob, False


def plain_globs(
    document: Document, section: str, entry: str, values: list[object], diagnostics: list[Diagnostic]
) -> list[str]:
    """The string globs of `section.entry` (`scope:` or `ignore:`); one from ${env:...} is an error, left out.

    Environment values are never shown, and a plan must show which objects it owns or leaves alone.
    """
    return [glob for _, glob in plain_glob_items(document, section, entry, values, diagnostics)]


def plain_glob_items(
    document: Document, section: str, entry: str, values: list[object], diagnostics: list[Diagnostic]
) -> list[tuple[str, str]]:
    """As `plain_globs`, each glob with its path in the document (`scope.*[0]`)."""
    globs = []
    for index, glob in enumerate(values):
        path = join_path(join_path(section, entry), index)
        if not isinstance(glob, str):
            continue
        if path in document.env_paths:
            diagnostics.append(
                Diagnostic(
                    "error",
                    document.locate(path),
                    path,
                    f"{'a scope' if section == 'scope' else 'an ignore'} glob cannot come from ${{env:...}}: "
                    "environment values are never shown, and a plan must show which objects it "
                    f"{'owns' if section == 'scope' else 'leaves alone'}",
                    "use ${var:NAME} with --var or --var-file",
                )
            )
            continue
        globs.append((path, glob))
    return globs


def outside_scope(declared: Sequence[Declared], ownership: Ownership) -> list[Diagnostic]:
    """An error for each declared object, or previous name, that the set's scope does not own."""
    if not ownership.declared:
        return []
    problems = []
    for obj in declared:
        key = obj.natural_key
        if key is None:
            continue
        kind = obj.kind
        field = kind.natural_key
        if not ownership.owns(kind.name, key):
            problems.append(
                Diagnostic(
                    "error",
                    obj.locate(field),
                    obj.path(field),
                    f"{kind.title} {key!r} is outside the scope of these manifests ({_owned(ownership, kind.name)})",
                    f'widen `scope:` ({kind.name}, or "*") to cover {key!r}, or rename the object to match it',
                )
            )
        previous = obj.value.get("previousNames")
        for index, name in enumerate(previous if isinstance(previous, list) else []):
            if isinstance(name, str) and not ownership.owns(kind.name, name):
                relative = join_path("previousNames", index)
                problems.append(
                    Diagnostic(
                        "error",
                        obj.locate(relative),
                        obj.path(relative),
                        f"previous name {name!r} is outside the scope of these manifests "
                        f"({_owned(ownership, kind.name)}): a rename cannot take over an object they do not own",
                        "widen `scope:` to cover the old name, or remove it from previousNames",
                    )
                )
    return problems


def _owned(ownership: Ownership, kind: str) -> str:
    globs = (ownership.globs or {}).get(kind, ())
    if not globs:
        return f"scope: owns no {kind}"
    return f"scope of {kind}: {', '.join(globs)}"

"""Checks across objects, generic over the kinds table: keys, references, roles, secrets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from egain_provision.kinds import KINDS_BY_NAME, Reference
from egain_provision.manifest.channeltypes import channel_type_problems
from egain_provision.manifest.confusables import confusable_keys
from egain_provision.manifest.declared import Declared
from egain_provision.model import SENSITIVE_DISPLAY, Diagnostic, Severity, SourceLocation
from egain_provision.paths import get_concrete, iter_slots
from egain_provision.references import iter_references, missing_reference
from egain_provision.sensitive import secret_paths


def check_declared(declared: Sequence[Declared]) -> list[Diagnostic]:
    """Every cross-object problem of the merged manifests."""
    return _Checker(declared).run() + confusable_keys(declared) + channel_type_problems(declared)


class _Checker:
    def __init__(self, declared: Sequence[Declared]) -> None:
        self.declared = declared
        self.diagnostics: list[Diagnostic] = []
        self.by_key: dict[tuple[str, str], Declared] = {}

    def add(self, severity: Severity, location: SourceLocation, path: str, message: str, hint: str | None) -> None:
        self.diagnostics.append(Diagnostic(severity, location, path, message, hint))

    def run(self) -> list[Diagnostic]:
        for obj in self.declared:
            self.register(obj)
        for obj in self.declared:
            self.identity_from_environment(obj)
            self.previous_names(obj)
            self.keyed_lists(obj)
            self.literal_secrets(obj)
            self.references(obj)
        return self.diagnostics

    def shown(self, obj: Declared, relative: str, value: str) -> str:
        return SENSITIVE_DISPLAY if obj.document.is_sensitive(obj.path(relative)) else repr(value)

    def register(self, obj: Declared) -> None:
        key = obj.natural_key
        if key is None:
            return
        first = self.by_key.setdefault((obj.kind.name, key), obj)
        if first is not obj:
            field = obj.kind.natural_key
            self.add(
                "error",
                obj.locate(field),
                obj.path(field),
                f"{obj.kind.title} {self.shown(obj, field, key)} is declared twice: here and at {first.locate(field)}",
                f"the {field} of each {obj.kind.title} must be unique across all manifest files; "
                "rename or remove one of them",
            )

    def previous_names(self, obj: Declared) -> None:
        names = obj.value.get("previousNames")
        if not isinstance(names, list):
            return
        for index, old in enumerate(names):
            if not isinstance(old, str):
                continue
            relative = f"previousNames[{index}]"
            other = self.by_key.get((obj.kind.name, old))
            if other is obj or old == obj.natural_key:
                self.add(
                    "error",
                    obj.locate(relative),
                    obj.path(relative),
                    f"previousNames lists the object's own {obj.kind.natural_key}",
                    "remove it: previousNames holds the names it had before",
                )
            elif other is not None:
                self.add(
                    "error",
                    obj.locate(relative),
                    obj.path(relative),
                    f"previous name {self.shown(obj, relative, old)} is the {obj.kind.natural_key} of another "
                    f"declared {obj.kind.title} (at {other.location})",
                    "a previous name must not be in use; remove it from previousNames or rename the other object",
                )

    def keyed_lists(self, obj: Declared) -> None:
        for list_path, key_field in obj.kind.keyed_lists.items():
            for slot in iter_slots(obj.value, list_path):
                if not isinstance(slot.value, list):
                    continue
                first_at: dict[Any, SourceLocation] = {}
                for index, item in enumerate(slot.value):
                    if not isinstance(item, dict) or not isinstance(item.get(key_field), str):
                        continue
                    relative = f"{slot.path}[{index}].{key_field}"
                    location = obj.locate(relative)
                    if item[key_field] in first_at:
                        self.add(
                            "error",
                            location,
                            obj.path(relative),
                            f"duplicate {key_field} {item[key_field]!r} in {list_path} "
                            f"(first at {first_at[item[key_field]]})",
                            f"each {key_field} may appear once in {list_path}; merge or remove one entry",
                        )
                    else:
                        first_at[item[key_field]] = location

    def identity_from_environment(self, obj: Declared) -> None:
        """Names and references may not come from ${env:...}: a plan must show what it names.

        Environment values are never shown, so an object named by one could not be told apart in a
        plan, and a keyed-list key (roles[].name) would appear in change paths.
        """
        kind = obj.kind
        patterns = [kind.natural_key, "previousNames[]"]
        patterns += [f"{path}[].{key}" for path, key in kind.keyed_lists.items()]
        patterns += [reference.path for reference in kind.references]
        patterns += [f"{reference.path}.id" for reference in kind.references]
        for pattern in patterns:
            for slot in iter_slots(obj.value, pattern):
                if isinstance(slot.value, str) and self.from_environment(obj, slot.path):
                    self.add(
                        "error",
                        obj.locate(slot.path),
                        obj.path(slot.path),
                        f"{slot.path} cannot come from ${{env:...}}: environment values are never shown, "
                        "and a plan must show which object it names",
                        "use ${var:NAME} with --var or --var-file for names and references",
                    )

    @staticmethod
    def from_environment(obj: Declared, relative: str) -> bool:
        return obj.path(relative) in obj.document.env_paths

    def literal_secrets(self, obj: Declared) -> None:
        for relative in secret_paths(obj.kind, obj.value, obj.document.marked):
            path = obj.path(relative)
            if isinstance(get_concrete(obj.value, relative), str) and path not in obj.document.templates:
                self.add(
                    "warning",
                    obj.locate(relative),
                    path,
                    f"secret field {relative} holds a literal value",
                    "keep secrets out of git: write ${env:EGAIN_VAR_NAME} and export EGAIN_VAR_NAME",
                )

    def references(self, obj: Declared) -> None:
        for reference, slot in iter_references(obj.kind, obj.value, "manifest"):
            name = slot.value
            if not isinstance(name, str):
                continue
            location = obj.locate(slot.path)
            path = obj.path(slot.path)
            shown = self.shown(obj, slot.path, name)
            found = self.by_key.get((reference.target, name))
            if found is None:
                missing = missing_reference(
                    reference.target,
                    name,
                    shown=shown,
                    candidates=self.visible_keys(reference.target),
                    declared_elsewhere=lambda kind, key: (kind, key) in self.by_key,
                )
                self.add("warning", location, path, missing.message, missing.hint)
                continue
            self.roles(found, reference, location, path, shown)

    def roles(self, found: Declared, reference: Reference, location: SourceLocation, path: str, shown: str) -> None:
        """Warn when the referenced application lacks a role the reference needs."""
        roles = _role_names(found)
        expected = reference.expected_roles
        if expected and roles and not set(roles).intersection(expected):
            listed = sorted(self.shown(found, at, role).strip("'") for role, at in roles.items())
            self.add(
                "warning",
                location,
                path,
                f"{KINDS_BY_NAME[reference.target].title} {shown} has no {' or '.join(expected)} role "
                f"(it has {', '.join(listed)})",
                f"add a role named {expected[0]} to it (at {found.location}), or reference another application",
            )

    def visible_keys(self, target: str) -> list[str]:
        """The declared names of `target` that may be shown in a hint (not read from the environment)."""
        return [
            key
            for (kind, key), obj in self.by_key.items()
            if kind == target and not obj.document.is_sensitive(obj.path(obj.kind.natural_key))
        ]


def _role_names(obj: Declared) -> dict[str, str]:
    """Role name -> its path within the object."""
    roles = obj.value.get("roles")
    if not isinstance(roles, list):
        return {}
    return {
        role["name"]: f"roles[{index}].name"
        for index, role in enumerate(roles)
        if isinstance(role, dict) and isinstance(role.get("name"), str)
    }

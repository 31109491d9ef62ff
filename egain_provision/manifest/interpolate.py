"""`${env:EGAIN_VAR_*}`, `${var:NAME}` and `${file:PATH}` in manifest strings; `$${` is a literal `${`.

Expressions may sit inside a larger string. A plain (unquoted) YAML scalar that is exactly one
`${env:...}` or `${var:...}` expression takes the type its value reads as (`timeout: ${var:T}`
with T=30 is the number 30); quoted scalars always stay strings.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from egain_provision.manifest.reading import MAX_INCLUDED_BYTES, Unreadable, confined_path, read_regular_file
from egain_provision.manifest.yamlnodes import NotAValue, resolve_plain

ENV_PREFIX = "EGAIN_VAR_"
_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)(\}?)")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_VAR_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


_GLOB_SPECIAL = re.compile(r"([*?\[])")


def glob_literal(text: str) -> str:
    """`text` as a glob matching only itself: `*`, `?` and `[` each in a one-character class (`[*]`)."""
    return _GLOB_SPECIAL.sub(r"[\1]", text)


class InterpolationError(Exception):
    """An expression that cannot be evaluated; the message never holds a resolved value."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UnsetValue(InterpolationError):
    """An `${env:...}` or `${var:...}` with no value in this run (`validate --allow-unset` lets it pass)."""


class UnsetEnvironment(UnsetValue):
    """An unset `${env:...}`: a secret by convention, which `graph` never needs."""


@dataclass(frozen=True)
class Expanded:
    """A string after interpolation; `from_env` marks it sensitive."""

    value: Any
    from_env: bool
    interpolated: bool


def has_expression(text: str) -> bool:
    """Whether `text` could hold an expression or escape (cheap pre-check)."""
    return "${" in text


class Interpolator:
    """Evaluates expressions for the manifests of one run."""

    def __init__(self, variables: Mapping[str, str], environ: Mapping[str, str]) -> None:
        self.variables = variables
        self.environ = environ
        self._files: dict[Path, str] = {}
        # Every ${var:NAME} seen, set or not: a --var no manifest uses is most likely a typo.
        self.referenced: set[str] = set()

    def expand(self, text: str, base_dir: Path, *, plain: bool = False, glob: bool = False) -> Expanded:
        """`text` with every expression replaced; raises InterpolationError on the first bad one.

        In a `glob` (a `scope:` or `ignore:` entry) a `${var:...}` value is literal: its glob
        characters are escaped, so `--var T='*'` cannot widen `team-${var:T}-*`.
        """
        parts: list[str] = []
        from_env = False
        interpolated = False
        position = 0
        sole: str | None = None
        for match in _TOKEN.finditer(text):
            parts.append(text[position : match.start()])
            position = match.end()
            if match.group(0) == "$${":
                parts.append("${")
                continue
            if not match.group(2):
                raise InterpolationError("unterminated ${ expression", "close it with }, or write $${ for a literal ${")
            source, _, argument = match.group(1).strip().partition(":")
            value = self._evaluate(source.strip(), argument.strip(), base_dir)
            if glob:
                value = glob_literal(value)
            interpolated = True
            from_env = from_env or source.strip() == "env"
            if match.start() == 0 and match.end() == len(text) and source.strip() in ("env", "var"):
                sole = value
            parts.append(value)
        parts.append(text[position:])
        result: Any = "".join(parts)
        if plain and sole is not None:
            try:
                typed = resolve_plain(sole)
            except NotAValue as exc:
                message = f"the value of {text.strip()} is not usable: {exc.message}"
                raise InterpolationError(message, exc.hint) from None
            if isinstance(typed, bool | int | float):
                result = typed
        return Expanded(result, from_env, interpolated)

    def fill(self, text: str, base_dir: Path, *, plain: bool = False, glob: bool = False) -> Any:
        """`text` as a manifest string again, its `${var:...}` and `${file:...}` filled in (`render`).

        `${env:...}` expressions, the secrets, stay as written so no secret is ever printed, and
        `$${` stays an escape; a filled-in value's own `${` is escaped, so the result reads back
        to the same value. A plain scalar that is one `${var:...}` takes the type its value reads as.
        """
        parts: list[str] = []
        position = 0
        sole: str | None = None
        for match in _TOKEN.finditer(text):
            parts.append(text[position : match.start()])
            position = match.end()
            source, _, argument = (match.group(1) or "").strip().partition(":")
            if match.group(0) == "$${" or source.strip() == "env":
                parts.append(match.group(0))
                continue
            if not match.group(2):
                raise InterpolationError("unterminated ${ expression", "close it with }, or write $${ for a literal ${")
            value = self._evaluate(source.strip(), argument.strip(), base_dir)
            value = glob_literal(value) if glob else value
            if match.start() == 0 and match.end() == len(text) and source.strip() == "var":
                sole = value
            parts.append(value.replace("${", "$${"))
        parts.append(text[position:])
        if plain and sole is not None:
            typed = resolve_plain(sole)
            if isinstance(typed, bool | int | float):
                return typed
        return "".join(parts)

    def _evaluate(self, source: str, argument: str, base_dir: Path) -> str:
        if source == "env":
            return self._env(argument)
        if source == "var":
            return self._var(argument)
        if source == "file":
            return self._file(argument, base_dir)
        raise InterpolationError(
            f"unknown interpolation source {source!r}" if source else "empty ${} expression",
            "use ${env:EGAIN_VAR_NAME}, ${var:NAME} or ${file:PATH}; write $${ for a literal ${",
        )

    def _env(self, name: str) -> str:
        if not _ENV_NAME.fullmatch(name):
            raise InterpolationError(f"invalid environment variable name {name!r}", "write ${env:EGAIN_VAR_NAME}")
        if not name.startswith(ENV_PREFIX) or name == ENV_PREFIX:
            raise InterpolationError(
                f"environment variable {name!r} may not be read: only {ENV_PREFIX}* variables are",
                f"export the value as {ENV_PREFIX}{name.removeprefix(ENV_PREFIX) or 'NAME'} and use that name",
            )
        if name not in self.environ:
            raise UnsetEnvironment(f"environment variable {name} is not set", f"export {name}=... before running")
        return self.environ[name]

    def _var(self, name: str) -> str:
        if not _VAR_NAME.fullmatch(name):
            raise InterpolationError(f"invalid variable name {name!r}", "write ${var:NAME} (letters, digits, _ . -)")
        self.referenced.add(name)
        if name not in self.variables:
            raise UnsetValue(
                f"variable {name!r} is not set", f"pass --var {name}=VALUE or a --var-file that defines {name}"
            )
        return self.variables[name]

    def _file(self, relative: str, base_dir: Path) -> str:
        if not relative:
            raise InterpolationError("${file:} needs a path", "write ${file:PATH}, relative to the manifest file")
        try:
            # Confined to the manifest's own tree: a manifest under review must not be able to lift
            # /proc/self/environ or ~/.ssh into a plan and the tenant.
            path = confined_path(base_dir, relative)
            if path not in self._files:
                data = read_regular_file(path, MAX_INCLUDED_BYTES, follow_symlinks=False)
                self._files[path] = base64.b64encode(data).decode("ascii")
        except Unreadable as exc:
            raise InterpolationError(f"cannot read file {relative!r}: {exc.reason}", exc.hint) from None
        return self._files[path]

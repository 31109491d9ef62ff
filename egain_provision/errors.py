"""The errors a user can hit. Each carries what went wrong, where, and a hint to fix it.

The CLI catches `ProvisionerError` and prints it; anything else reaching the user is a bug.
"""

from __future__ import annotations

from collections.abc import Sequence

from egain_provision.model import Diagnostic


class ProvisionerError(Exception):
    """Base of every error the tool reports to a user (exit code 1, no traceback)."""

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        hint: str | None = None,
        diagnostics: Sequence[Diagnostic] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint
        # The located findings behind the message, for `--format json|github`.
        self.diagnostics = tuple(diagnostics)

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class UsageError(ProvisionerError):
    """Bad command-line input: options, files that do not exist, conflicting flags."""


class ManifestError(ProvisionerError):
    """The manifests are invalid; the diagnostics say where."""


class SchemaError(ProvisionerError):
    """The shipped JSON Schema does not cover the kind table (a build that skipped `make schemas`)."""


class TargetError(ProvisionerError):
    """The target cannot be used: missing credentials, refused sandbox under CI, bad URL."""


class ApiError(ProvisionerError):
    """The eGain API answered with an error body `{code, developerMessage}`."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        method: str = "",
        path: str = "",
        where: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, where=where, hint=hint)
        self.status = status
        self.code = code
        self.method = method
        self.path = path


class ConflictError(ApiError):
    """The tenant's state refused a write (never retried blindly); the subclasses say which state."""


class NameTaken(ConflictError):
    """A create named an object that already exists (eGain 400-138, or a 409 on a create)."""


class StillReferenced(ConflictError):
    """A delete named an object something else still uses (a 409 on a delete)."""


class StaleWrite(ConflictError):
    """An update carried a `modified` older than the tenant's: the object changed since it was read."""


# What the server says (eGain code first, then status and method) -> the error it means.
CONFLICT_CODES: dict[str, type[ConflictError]] = {
    "400-138": NameTaken,
    "409-101": NameTaken,
    "409-102": StillReferenced,
    "409-103": StaleWrite,
}
CONFLICT_BY_METHOD: dict[str, type[ConflictError]] = {
    "POST": NameTaken,
    "DELETE": StillReferenced,
    "PUT": StaleWrite,
}


def api_error_class(status: int, code: str | None, method: str) -> type[ApiError]:
    """The error class for an API answer, keyed by its eGain code, then by status and method."""
    if code is not None and code in CONFLICT_CODES:
        return CONFLICT_CODES[code]
    if status == 409:
        return CONFLICT_BY_METHOD.get(method.upper(), ConflictError)
    return ApiError


class TransportError(ProvisionerError):
    """The request may or may not have reached the API (connection lost, timeout)."""


class StorageError(ProvisionerError):
    """A file the tool reads or writes (journal, saved plan, export) cannot be: disk full, no permission."""


class PlanError(ProvisionerError):
    """The plan cannot be computed or a saved plan cannot be used (stale, wrong target)."""

    @classmethod
    def from_diagnostics(cls, diagnostics: Sequence[Diagnostic], *, hint: str | None = None) -> PlanError:
        """One error reporting every finding, each on its own line."""
        count = len(diagnostics)
        lines = "\n".join(str(diagnostic) for diagnostic in diagnostics)
        return cls(
            f"{count} problem{'s' if count != 1 else ''} prevent planning:\n{lines}", hint=hint, diagnostics=diagnostics
        )


class Interrupted(Exception):
    """Ctrl-C (or SIGTERM) stopped a command; the message says what it had changed (exit 130, one line)."""


NOTHING_CHANGED = "nothing was changed"

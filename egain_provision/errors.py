"""The errors a user can hit. Each carries what went wrong, where, and a hint to fix it.

The CLI catches `ProvisionerError` and prints it; anything else reaching the user is a bug.
"""

from __future__ import annotations


class ProvisionerError(Exception):
    """Base of every error the tool reports to a user (exit code 1, no traceback)."""

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class UsageError(ProvisionerError):
    """Bad command-line input: options, files that do not exist, conflicting flags."""


class ManifestError(ProvisionerError):
    """The manifests are invalid; the diagnostics say where."""


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
    """The object changed since it was read (HTTP 409 on a write): never retried blindly."""


class TransportError(ProvisionerError):
    """The request may or may not have reached the API (connection lost, timeout)."""


class PlanError(ProvisionerError):
    """The plan cannot be computed or a saved plan cannot be used (stale, wrong target)."""

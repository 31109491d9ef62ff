"""The eGain error body and every error code the sandbox answers with (README "Sandbox behaviour")."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

# The spec's codes (common.yaml) where it names one; the sandbox's own where it does not.
UNSUPPORTED_QUERY = "400-101"
MALFORMED_BODY = "400-102"
BAD_PAGING = "400-103"
MALFORMED_ID = "400-104"
BAD_ADMIN_SETTINGS = "400-105"
DUPLICATE_KEY = "400-138"
REQUIRED_MISSING = "400-143"
MISSING_REFERENCE = "400-151"
VALUE_NOT_ALLOWED = "400-196"
TOO_LONG = "400-358"
UNKNOWN_ATTRIBUTE = "400-420"
TOKEN_INVALID = "401-104"
SCOPE_MISSING = "403-197"
NOT_FOUND = "404-101"
NO_SUCH_PATH = "404-102"
METHOD_NOT_ALLOWED = "405-101"
STILL_REFERENCED = "409-102"
STALE_WRITE = "409-103"
THROTTLED = "429-101"
INTERNAL = "500-100"
INJECTED_ERROR = "500-102"
UNAVAILABLE = "503-101"

# The spec's error body bounds: developerMessage, a detail's key and value at most 255 characters,
# at most 30 details.
MAX_TEXT = 255
MAX_DETAILS = 30


class ApiFailure(Exception):
    """A request the API refuses; rendered as `{code, developerMessage, details?}`."""

    def __init__(self, code: str, message: str, details: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or []

    @property
    def status(self) -> int:
        """The HTTP status, which is the code's prefix by eGain convention."""
        return int(self.code.split("-", 1)[0])


def error_body(code: str, message: str, details: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """The spec's error body, each text cut to the spec's bounds."""
    body: dict[str, Any] = {"code": code, "developerMessage": _bounded(message)}
    if details:
        body["details"] = [{"key": _bounded(key), "value": _bounded(value)} for key, value in details[:MAX_DETAILS]]
    return body


def _bounded(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


def error_response(failure: ApiFailure, headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON response carrying the failure's status and body."""
    return JSONResponse(
        error_body(failure.code, failure.message, failure.details), status_code=failure.status, headers=headers
    )

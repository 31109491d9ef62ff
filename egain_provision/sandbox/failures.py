"""The eGain error body and every error code the sandbox answers with (README "Sandbox behaviour")."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

# Each rule has its own code so tests and clients can tell them apart.
UNSUPPORTED_QUERY = "400-101"
MALFORMED_BODY = "400-102"
BAD_PAGING = "400-103"
MALFORMED_ID = "400-104"
BAD_FAULT_SETTINGS = "400-105"
REQUIRED_MISSING = "400-143"
WRONG_TYPE = "400-144"
BAD_LENGTH = "400-145"
NOT_IN_ENUM = "400-146"
BAD_ITEM_COUNT = "400-147"
UNKNOWN_ATTRIBUTE = "400-148"
DUPLICATE_ITEM = "400-149"
RULE_VIOLATED = "400-150"
MISSING_REFERENCE = "400-151"
BAD_FORMAT = "400-152"
TOKEN_INVALID = "401-101"
TOKEN_MISSING = "401-104"
SCOPE_MISSING = "403-101"
NOT_FOUND = "404-101"
NO_SUCH_PATH = "404-102"
METHOD_NOT_ALLOWED = "405-101"
DUPLICATE_KEY = "409-101"
STILL_REFERENCED = "409-102"
STALE_WRITE = "409-103"
THROTTLED = "429-101"
INTERNAL = "500-101"
INJECTED_ERROR = "500-102"
UNAVAILABLE = "503-101"


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
    """The documented error body."""
    body: dict[str, Any] = {"code": code, "developerMessage": message}
    if details:
        body["details"] = [{"key": key, "value": value} for key, value in details]
    return body


def error_response(failure: ApiFailure, headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON response carrying the failure's status and body."""
    return JSONResponse(
        error_body(failure.code, failure.message, failure.details), status_code=failure.status, headers=headers
    )

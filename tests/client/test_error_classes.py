"""What the server says (eGain code, status, method) decides which error a caller can catch."""

from __future__ import annotations

import pytest

from egain_provision.errors import (
    ApiError,
    ConflictError,
    NameTaken,
    StaleWrite,
    StillReferenced,
    api_error_class,
)


@pytest.mark.parametrize(
    ("status", "code", "method", "expected"),
    [
        (400, "400-138", "POST", NameTaken),  # the spec's duplicate resource
        (409, "409-101", "POST", NameTaken),
        (409, "409-102", "DELETE", StillReferenced),
        (409, "409-103", "PUT", StaleWrite),
        (409, None, "POST", NameTaken),  # a tenant that answers a bare 409 to a duplicate create
        (409, None, "PUT", StaleWrite),
        (409, None, "DELETE", StillReferenced),
        (409, None, "PATCH", ConflictError),
        (400, "400-143", "POST", ApiError),
        (404, "404-101", "GET", ApiError),
    ],
)
def test_an_answer_maps_to_the_error_it_means(status: int, code: str | None, method: str, expected: type) -> None:
    assert api_error_class(status, code, method) is expected


def test_every_conflict_is_still_an_api_error() -> None:
    for cls in (NameTaken, StillReferenced, StaleWrite):
        assert issubclass(cls, ConflictError) and issubclass(cls, ApiError)

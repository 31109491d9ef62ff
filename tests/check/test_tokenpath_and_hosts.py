"""The pure parts of `check`: reading accessTokenPath, and which hosts may receive a secret."""

from __future__ import annotations

from typing import Any

import pytest

from egain_provision.check.hosts import HostPolicy, host_of, is_loopback
from egain_provision.check.tokenpath import TokenPathError, find_token, parse_token_path
from egain_provision.errors import UsageError


@pytest.mark.parametrize(
    ("path", "steps"),
    [
        ("$", ()),
        ("$.accessToken", ("accessToken",)),
        ("$.data.access_token", ("data", "access_token")),
        ("$['access-token']", ("access-token",)),
        ('$["a.b"]', ("a.b",)),
        ("$.tokens[2].value", ("tokens", 2, "value")),
        ("$['it\\'s']", ("it's",)),
    ],
)
def test_a_path_naming_one_value_is_read_as_its_steps(path: str, steps: tuple[str | int, ...]) -> None:
    assert parse_token_path(path) == steps


@pytest.mark.parametrize("path", ["accessToken", "$..accessToken", "$.*", "$[?(@.a)]", "$.a[-1]", "$.", "$[1:2]"])
def test_a_path_selecting_several_values_or_none_is_refused(path: str) -> None:
    with pytest.raises(TokenPathError):
        parse_token_path(path)


@pytest.mark.parametrize(
    ("document", "path", "token", "stopped_at", "keys"),
    [
        ({"accessToken": "t-1"}, "$.accessToken", "t-1", "$", ()),
        ({"data": [{"token": "t-2"}]}, "$.data[0].token", "t-2", "$", ()),
        ({"token": "t", "expires": 1}, "$.access_token", None, "$", ("token", "expires")),
        ({"data": {"jwt": "t"}}, "$.data.token", None, "$.data", ("jwt",)),
        ({"data": []}, "$.data[0]", None, "$.data", ()),
        ({"accessToken": ""}, "$.accessToken", None, "$.accessToken", ()),
        ({"accessToken": {"value": "t"}}, "$.accessToken", None, "$.accessToken", ()),
    ],
)
def test_the_token_is_a_non_empty_string_at_the_path_or_the_lookup_says_where_it_stopped(
    document: Any, path: str, token: str | None, stopped_at: str, keys: tuple[str, ...]
) -> None:
    lookup = find_token(document, parse_token_path(path))
    assert (lookup.token, lookup.stopped_at, lookup.keys) == (token, stopped_at, keys)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("0.0.0.0", False),
        ("10.0.0.1", False),
        ("localhost.example.com", False),
        ("2130706433", False),
        ("", False),
    ],
)
def test_only_addresses_that_never_leave_the_machine_are_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://Bots.Example.com./oauth", "bots.example.com"),
        ("http://[::1]:8080/cb", "::1"),
        ("http://127.0.0.1@bots.example.com/", "bots.example.com"),
        ("not a url", ""),
    ],
)
def test_the_host_is_read_as_the_request_would_be_sent(url: str, host: str) -> None:
    assert host_of(url) == host


def test_a_host_is_allowed_when_loopback_or_named() -> None:
    policy = HostPolicy.from_options(["Bots.Example.com", "[2001:db8::1]"])
    assert policy.refuses("http://localhost:9/cb") is None
    assert policy.refuses("https://bots.example.com/cb") is None
    assert policy.refuses("https://[2001:db8::1]/cb") is None
    assert policy.refuses("https://agents.example.com/cb") == "agents.example.com"
    assert policy.refuses("https://bots.example.com.evil.test/cb") == "bots.example.com.evil.test"


@pytest.mark.parametrize("given", ["https://bots.example.com", "bots.example.com:443", "user@bots", "", "a b"])
def test_an_allowed_host_must_be_a_host_alone(given: str) -> None:
    with pytest.raises(UsageError):
        HostPolicy.from_options([given])

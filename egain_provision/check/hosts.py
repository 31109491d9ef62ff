"""Which hosts may receive a secret: loopback always, any other host only when the person running `check` allows it.

A pull request can change a `tokenRequestUrl` or a `callback`; were `check` to follow it, CI would
post the client secret wherever the pull request says. So a host is judged from the URL alone,
with the parser that then sends the request (httpx's), before anything is sent or looked up.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from egain_provision.errors import UsageError


def host_of(url: str) -> str:
    """The host of `url`, lower case, without brackets or a trailing dot; "" when there is none."""
    try:
        host = httpx.URL(url).host
    except (httpx.InvalidURL, ValueError):
        return ""
    return host.strip("[]").rstrip(".").lower()


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8, ::1 (and ::ffff:127.x.y.z): addresses that never leave this machine."""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


@dataclass(frozen=True)
class HostPolicy:
    """The hosts `--allow-host` names, beside loopback."""

    allowed: frozenset[str] = frozenset()

    @classmethod
    def from_options(cls, hosts: Iterable[str]) -> HostPolicy:
        """From `--allow-host` values: host names or addresses, not URLs."""
        allowed = set()
        for given in hosts:
            host = given.strip().strip("[]").rstrip(".").lower()
            if not host or any(mark in host for mark in "/@ ") or host.count(":") == 1:
                raise UsageError(
                    f"--allow-host {given!r} is not a host name",
                    hint="give the host alone, e.g. --allow-host bots.example.com (no scheme, port or path)",
                )
            allowed.add(host)
        return cls(frozenset(allowed))

    def refuses(self, url: str) -> str | None:
        """The host of `url` when it may not receive a secret, else None."""
        host = host_of(url)
        if host and (is_loopback(host) or host in self.allowed):
            return None
        return host or url

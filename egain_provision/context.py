"""One run's settings, built once by a command from its options and handed to the stages."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field

import click

from egain_provision.apply.tenant import DEFAULT_READ_AFTER_WRITE as DEFAULT_READ_AFTER_WRITE
from egain_provision.client import DEFAULT_TIMEOUT, EgainClient
from egain_provision.journal import DEFAULT_JOURNAL
from egain_provision.limits import DEFAULT_PARALLELISM, TIERS, AdaptiveLimit, Pacer, Rate, RetryPolicy, parse_rate
from egain_provision.manifest.interpolate import Interpolator
from egain_provision.redact import Redactor
from egain_provision.targets import Target


def notice_on_stderr(text: str) -> None:
    """A line for the person waiting (stderr, so stdout stays the command's document)."""
    click.echo(text, err=True)


@dataclass(frozen=True)
class Network:
    """How a run talks to the tenant: its pace, its time budgets, whom it trusts."""

    rate_limit: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    retry_budget: float = RetryPolicy.budget
    ca_cert: str | None = None
    notice: Callable[[str], None] | None = notice_on_stderr


@dataclass(frozen=True)
class RunContext:
    """Where the run goes, how much it may do at once, its variables and its journal.

    `limit` is the run's one limit on work in flight, shared by every client the run makes.
    A run whose stages share one event loop (apply: read, then execute) holds one client open
    for all of them (`open_client`): each client loads the certificate store and asks for a token.
    """

    target: Target
    parallelism: int = DEFAULT_PARALLELISM
    variables: Mapping[str, str] = field(default_factory=dict)
    journal_path: str = DEFAULT_JOURNAL
    read_after_write: float = DEFAULT_READ_AFTER_WRITE
    network: Network = field(default_factory=lambda: Network())
    limit: AdaptiveLimit = field(init=False, repr=False, compare=False)
    pacer: Pacer = field(init=False, repr=False, compare=False)
    redact: Redactor = field(init=False, repr=False, compare=False)
    held: EgainClient | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "limit", AdaptiveLimit(self.parallelism))
        object.__setattr__(self, "pacer", Pacer(self.rate, self.network.notice))
        object.__setattr__(self, "redact", Redactor())

    @property
    def rate(self) -> Rate | None:
        """The pace of this run: as given, else none for a local sandbox and the enterprise tier for a tenant."""
        if self.network.rate_limit is not None:
            return parse_rate(self.network.rate_limit)
        return None if self.target.is_local else TIERS["enterprise"]

    def client(self) -> AbstractAsyncContextManager[EgainClient]:
        """For `async with`: the client the run holds open, else a new one closed at the end of the block."""
        return nullcontext(self.held) if self.held is not None else self.new_client()

    async def open_client(self) -> None:
        """Hold one client open: every later `client()` of the run is this one, until `close_client`."""
        client = self.new_client()
        object.__setattr__(self, "held", await client.__aenter__())

    async def close_client(self) -> None:
        """Close the client `open_client` opened (nothing when none is held)."""
        client = self.held
        object.__setattr__(self, "held", None)
        if client is not None:
            await client.__aexit__(None, None, None)

    def new_client(self) -> EgainClient:
        """A new client of the target, under the run's limit and pace."""
        network = self.network
        retry = RetryPolicy(budget=network.retry_budget)
        return self.target.client(
            self.limit,
            pacer=self.pacer,
            timeout=network.timeout,
            retry=retry,
            ca_cert=network.ca_cert,
            redact=self.redact,
        )

    def interpolator(self, environ: Mapping[str, str] | None = None) -> Interpolator:
        """Evaluates `${env:...}`/`${var:...}` expressions again (for a saved plan's secrets)."""
        return Interpolator(self.variables, os.environ if environ is None else environ)

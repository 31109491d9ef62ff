"""One run's settings, built once by a command from its options and handed to the stages."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from egain_provision.apply.tenant import DEFAULT_READ_AFTER_WRITE as DEFAULT_READ_AFTER_WRITE
from egain_provision.client import EgainClient
from egain_provision.journal import DEFAULT_JOURNAL
from egain_provision.limits import DEFAULT_PARALLELISM, AdaptiveLimit
from egain_provision.manifest.interpolate import Interpolator
from egain_provision.targets import Target


@dataclass(frozen=True)
class RunContext:
    """Where the run goes, how much it may do at once, its variables and its journal.

    `limit` is the run's one limit on work in flight, shared by every client the run makes.
    """

    target: Target
    parallelism: int = DEFAULT_PARALLELISM
    variables: Mapping[str, str] = field(default_factory=dict)
    journal_path: str = DEFAULT_JOURNAL
    read_after_write: float = DEFAULT_READ_AFTER_WRITE
    limit: AdaptiveLimit = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "limit", AdaptiveLimit(self.parallelism))

    def client(self) -> EgainClient:
        """A client of the target, under the run's limit."""
        return self.target.client(self.limit)

    def interpolator(self, environ: Mapping[str, str] | None = None) -> Interpolator:
        """Evaluates `${env:...}`/`${var:...}` expressions again (for a saved plan's secrets)."""
        return Interpolator(self.variables, os.environ if environ is None else environ)

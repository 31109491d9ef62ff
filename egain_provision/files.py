"""Writing files the tool produces (saved plans, exported manifests)."""

from __future__ import annotations

import os
from pathlib import Path

from egain_provision.errors import StorageError


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644, what: str = "the file") -> None:
    """Write via a temporary file and a rename, so no reader ever sees half of it."""
    partial = path.with_name(path.name + ".partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise StorageError(f"cannot write {what}: {exc.strerror}", where=str(path)) from None

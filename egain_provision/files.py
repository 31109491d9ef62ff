"""Writing files the tool produces (saved plans, exported manifests): whole, and only where a file belongs."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from egain_provision.errors import StorageError


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644, what: str = "the file") -> None:
    """Write via a temporary file and a rename, so no reader ever sees half of it.

    Only a regular file is replaced, or a new one made: a symlink, FIFO, device or directory at
    `path` is refused (a rename would silently put a regular file in its place).
    """
    refuse_non_regular(path, what)
    partial = path.with_name(path.name + ".partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except OSError as exc:
        _remove_quietly(partial)
        raise StorageError(f"cannot write {what}: {exc.strerror}", where=str(path)) from None


def refuse_non_regular(path: Path, what: str) -> None:
    """StorageError when `path` exists and is anything but a regular file (a final symlink included)."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StorageError(f"cannot write {what}: {exc.strerror}", where=str(path)) from None
    if not stat.S_ISREG(found.st_mode):
        raise StorageError(
            f"refusing to write {what}: the path is {describe(found.st_mode)}, not a regular file",
            where=str(path),
            hint="give the path of a regular file, or of one that does not exist yet",
        )


def describe(mode: int) -> str:
    """What kind of file a mode is, in words."""
    for test, name in (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _remove_quietly(path: Path) -> None:
    """Best effort: on a read-only filesystem the partial file was never made, and unlink fails too."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)

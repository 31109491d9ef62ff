"""Reading the files a manifest set names, whatever they turn out to be.

Manifests, `${file:}` includes and variable files are opened without blocking (a FIFO would
otherwise wait forever for a writer), checked to be regular files on the opened descriptor
(not on the path, which could change in between), and read up to a limit plus one byte (so
`/dev/zero` or a huge file cannot exhaust memory). Every refusal is an `Unreadable` with a
reason and a fix, for the caller to report where the file was named.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from egain_provision.files import describe

# The largest `${file:}`: the channel icon, the only field that takes one, holds at most 512,000
# base64 characters, which encode 384,000 bytes. One limit for every include keeps the rule simple.
MAX_INCLUDED_BYTES = 512_000 // 4 * 3

_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
_CHUNK = 1 << 20


class Unreadable(Exception):
    """A file that cannot or may not be read; `reason` never holds the file's content."""

    def __init__(self, reason: str, hint: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


def read_regular_file(path: str | Path, limit: int, *, follow_symlinks: bool = True) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them; `Unreadable` otherwise."""
    flags = _OPEN_FLAGS | (0 if follow_symlinks else getattr(os, "O_NOFOLLOW", 0))
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise os_problem(path, exc) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(f"not a regular file ({describe(info.st_mode)})", "name a regular file")
        if info.st_size > limit:
            raise too_large(info.st_size, limit)
        data = _read_at_most(fd, limit + 1)
    except OSError as exc:
        raise os_problem(path, exc) from None
    finally:
        os.close(fd)
    if len(data) > limit:
        # The file grew after fstat, or the file system reports no size: what was read decides.
        raise too_large(len(data), limit)
    return data


def _read_at_most(fd: int, count: int) -> bytes:
    chunks: list[bytes] = []
    left = count
    while left > 0:
        chunk = os.read(fd, min(left, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def too_large(size: int, limit: int) -> Unreadable:
    return Unreadable(
        f"too large ({size} bytes, at most {limit})",
        "check that this is the file you meant, or make it smaller",
    )


def os_problem(path: str | Path, exc: OSError, hint: str = "check the path") -> Unreadable:
    """An `OSError` of opening or reading `path` as a reason and a fix."""
    if exc.errno == errno.ELOOP:
        return Unreadable("symbolic link loop", f"fix or remove the symbolic link {path}")
    if exc.errno == errno.ENOENT and os.path.islink(path):
        return Unreadable(
            f"dangling symbolic link (to {os.readlink(path)!r}, which does not exist)",
            f"fix or remove the symbolic link {path}",
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return Unreadable(exc.strerror or "permission denied", "check the file's permissions")
    return Unreadable(exc.strerror or "unreadable", hint)


def confined_path(base_dir: Path, relative: str) -> Path:
    """`relative` resolved (symlinks followed) within `base_dir`'s tree; `Unreadable` if it leads outside.

    The result holds no symbolic link, so opening it without following links reads the very file checked here.
    """
    hint = f"write a path relative to the manifest's directory ({base_dir}) to a file inside it"
    if os.path.isabs(relative):
        raise Unreadable("absolute paths are not allowed", hint)
    try:
        root = Path(os.path.realpath(base_dir, strict=True))
        target = Path(os.path.realpath(root / relative, strict=True))
    except OSError as exc:
        raise os_problem(base_dir / relative, exc, hint) from None
    if not target.is_relative_to(root):
        raise Unreadable("the path leads outside the manifest's directory", hint)
    return target

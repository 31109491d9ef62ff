"""The apply journal: one JSON line per mutation attempt and outcome, appended, never rewritten.

Each line goes out in a single write() on an O_APPEND descriptor, so a killed run leaves at most
a torn last line; `read_journal` skips such a line instead of failing.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from egain_provision.errors import StorageError
from egain_provision.files import describe, refuse_non_regular

DEFAULT_JOURNAL = ".egain/journal.jsonl"


class Journal:
    """Append-only JSON-lines log of mutations; values passed in must already be free of secrets."""

    def __init__(self, path: str | Path, *, run_id: str, target: str) -> None:
        self.path = Path(path)
        self.run_id = run_id
        self.target = target
        refuse_non_regular(self.path, "the journal")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # O_NONBLOCK: a FIFO put there meanwhile must not block the open; fstat then refuses it.
            flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK
            self._fd = os.open(self.path, flags, 0o600)
        except OSError as exc:
            raise StorageError(f"cannot open the journal: {exc.strerror}", where=str(self.path)) from None
        try:
            found = os.fstat(self._fd)
            if not stat.S_ISREG(found.st_mode):
                raise StorageError(f"the journal is {describe(found.st_mode)}, not a regular file", where=str(path))
            os.set_blocking(self._fd, True)
            if found.st_size and os.pread(self._fd, 1, found.st_size - 1) != b"\n":
                # A killed run left a torn last line: end it, so this run's first entry stands alone.
                self._write(b"\n")
        except OSError as exc:
            os.close(self._fd)
            raise StorageError(f"cannot open the journal: {exc.strerror}", where=str(self.path)) from None
        except StorageError:
            os.close(self._fd)
            raise

    def record(self, event: str, **fields: Any) -> None:
        """Append one line: time, run, target, event, then the given fields."""
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "run": self.run_id,
            "target": self.target,
            "event": event,
            **fields,
        }
        self._write((json.dumps(entry, sort_keys=False) + "\n").encode("utf-8"))

    def _write(self, line: bytes) -> None:
        """One write of the whole line; a short write (a full disk) is a failure, never a torn entry let pass."""
        try:
            written = os.write(self._fd, line)
        except OSError as exc:
            raise StorageError(f"cannot write the journal: {exc.strerror}", where=str(self.path)) from None
        if written != len(line):
            raise StorageError(
                f"cannot write the journal: only {written} of {len(line)} bytes were written (disk full?)",
                where=str(self.path),
            )

    def close(self) -> None:
        os.close(self._fd)


def read_journal(path: str | Path) -> list[dict[str, Any]]:
    """Every complete entry of a journal (a torn last line from a killed run is skipped)."""
    entries = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(entry, dict):
                entries.append(entry)
    return entries

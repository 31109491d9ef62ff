"""The apply journal: one JSON line per mutation attempt and outcome, appended, never rewritten.

Each line goes out in a single write() on an O_APPEND descriptor, so a killed run leaves at most
a torn last line; `read_journal` skips such a line instead of failing.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from egain_provision.errors import StorageError

DEFAULT_JOURNAL = ".egain/journal.jsonl"


class Journal:
    """Append-only JSON-lines log of mutations; values passed in must already be free of secrets."""

    def __init__(self, path: str | Path, *, run_id: str, target: str) -> None:
        self.path = Path(path)
        self.run_id = run_id
        self.target = target
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            size = os.fstat(self._fd).st_size
            if size and os.pread(self._fd, 1, size - 1) != b"\n":
                # A killed run left a torn last line: end it, so this run's first entry stands alone.
                os.write(self._fd, b"\n")
        except OSError as exc:
            raise StorageError(f"cannot open the journal: {exc.strerror}", where=str(self.path)) from None

    def record(self, event: str, **fields: Any) -> None:
        """Append one line: time, run, target, event, then the given fields."""
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "run": self.run_id,
            "target": self.target,
            "event": event,
            **fields,
        }
        try:
            os.write(self._fd, (json.dumps(entry, sort_keys=False) + "\n").encode("utf-8"))
        except OSError as exc:
            raise StorageError(f"cannot write the journal: {exc.strerror}", where=str(self.path)) from None

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

"""The SQLite store: objects of every kind, the references between them, and their timestamps.

Every operation runs synchronously under one lock inside one `BEGIN IMMEDIATE` transaction, so
concurrent requests (from an event loop or from several threads, or another process on the same
file) see each write whole and checks such as uniqueness cannot race.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from egain_provision.sandbox import failures
from egain_provision.sandbox.failures import ApiFailure
from egain_provision.sandbox.rules import RESOURCES, Resource, format_timestamp
from egain_provision.sandbox.schema import Reference

T = TypeVar("T")

# "EgSb" in the SQLite header (PRAGMA application_id): how `sandbox reset` knows a sandbox's file.
APPLICATION_ID = 0x45675362
OBJECT_COLUMNS = ("seq", "id", "kind", "label", "unique_key", "body", "created_ms", "modified_ms")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    unique_key TEXT,
    body TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS objects_unique_key ON objects (kind, unique_key);
CREATE INDEX IF NOT EXISTS objects_kind_seq ON objects (kind, seq);
CREATE TABLE IF NOT EXISTS refs (
    source_id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    path TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS refs_target ON refs (target_id);
CREATE INDEX IF NOT EXISTS refs_source ON refs (source_id);
CREATE TABLE IF NOT EXISTS pending_deletes (
    id TEXT PRIMARY KEY,
    gone_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS history (
    seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL,
    replaced_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS history_kind ON history (kind, replaced_ms);
"""
# How long a replaced or deleted version is kept for lists that lag behind writes (the longest lag).
HISTORY_MS = 3_600_000
# How many names a churn tries for the object it creates before it gives up on one.
MAX_CHURN_NAMES = 1000
# What stands in for the old body when a merging or normalising tenant decides what a PUT stores.
Rebuild = Callable[[dict[str, Any]], tuple[dict[str, Any], list[Reference]]]


@dataclass(frozen=True)
class StoredObject:
    """One object as stored: its id, its body (without server-set fields) and its timestamps."""

    id: str
    body: dict[str, Any]
    created_ms: int
    modified_ms: int

    def render(self) -> dict[str, Any]:
        """The API representation: `id` first, then the body, then `created` and `modified`."""
        return {
            "id": self.id,
            **self.body,
            "created": format_timestamp(self.created_ms),
            "modified": format_timestamp(self.modified_ms),
        }


class Store:
    """All sandbox objects in one SQLite file."""

    def __init__(self, db_path: str) -> None:
        path = Path(db_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        # Lists that lag behind every write need the versions a write replaced (sandbox/tenants.py).
        self.keep_history = False

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    def create(self, resource: Resource, body: dict[str, Any], references: list[Reference]) -> str:
        """Insert a new object and return its id (400 on a taken natural key or a dangling reference)."""
        object_id = str(uuid.uuid4())

        def run(db: sqlite3.Connection) -> str:
            _check_unique(db, resource, body, None)
            _check_references(db, references)
            _insert(db, resource, object_id, body)
            _save_references(db, object_id, references)
            return object_id

        return self._transaction(run)

    def update(
        self,
        resource: Resource,
        object_id: str,
        body: dict[str, Any],
        references: list[Reference],
        expected_modified_ms: int | None,
        rebuild: Rebuild | None = None,
    ) -> None:
        """Replace an object's body; `modified` strictly increases. 409 if `expected_modified_ms` is stale.

        `rebuild`, given the stored body, returns the body and references to store instead (a
        merging tenant's PUT), inside the same transaction.
        """

        def run(db: sqlite3.Connection) -> None:
            nonlocal body, references
            current = _fetch(db, resource, object_id)
            if expected_modified_ms is not None and expected_modified_ms != current.modified_ms:
                stored = format_timestamp(current.modified_ms)
                raise ApiFailure(
                    failures.STALE_WRITE,
                    f"{resource.singular} {object_id} was modified at {stored}, after the modified value sent",
                    [("modified", stored)],
                )
            if rebuild is not None:
                body, references = rebuild(current.body)
            _check_unique(db, resource, body, object_id)
            _check_references(db, references)
            # A clock that has not moved on (or went back) must still yield a newer `modified`.
            modified = max(_now_ms(), current.modified_ms + 1)
            self._remember(db, object_id, modified)
            db.execute(
                "UPDATE objects SET label = ?, unique_key = ?, body = ?, modified_ms = ? WHERE id = ?",
                (_label(resource, body), _unique_key(resource, body), json.dumps(body), modified, object_id),
            )
            db.execute("DELETE FROM refs WHERE source_id = ?", (object_id,))
            _save_references(db, object_id, references)

        self._transaction(run)

    def delete(self, resource: Resource, object_id: str, delay_ms: int = 0) -> None:
        """Delete an object; 409 naming the referrers while other objects still reference it.

        With `delay_ms`, the object stays (listed, readable) that long and is gone after; a second
        delete meanwhile does not put it off.
        """

        def run(db: sqlite3.Connection) -> None:
            _fetch(db, resource, object_id)
            referrers = db.execute(
                "SELECT DISTINCT o.kind, o.label, o.id, o.seq FROM refs r JOIN objects o ON o.id = r.source_id"
                " WHERE r.target_id = ? ORDER BY o.seq",
                (object_id,),
            ).fetchall()
            if referrers:
                named = [(RESOURCES[kind].singular, label, ref_id) for kind, label, ref_id, _ in referrers]
                listing = ", ".join(f"{kind} {label!r} ({ref_id})" for kind, label, ref_id in named)
                raise ApiFailure(
                    failures.STILL_REFERENCED,
                    f"{resource.singular} {object_id} is still referenced by: {listing}",
                    [(kind, f"{label} ({ref_id})") for kind, label, ref_id in named],
                )
            if delay_ms:
                gone_ms = _now_ms() + delay_ms
                db.execute("INSERT OR IGNORE INTO pending_deletes (id, gone_ms) VALUES (?, ?)", (object_id, gone_ms))
            else:
                self._remove(db, object_id, _now_ms())

        self._transaction(run)

    def _remove(self, db: sqlite3.Connection, object_id: str, when_ms: int) -> None:
        self._remember(db, object_id, when_ms)
        db.execute("DELETE FROM objects WHERE id = ?", (object_id,))
        db.execute("DELETE FROM refs WHERE source_id = ?", (object_id,))
        db.execute("DELETE FROM pending_deletes WHERE id = ?", (object_id,))

    def _remember(self, db: sqlite3.Connection, object_id: str, replaced_ms: int) -> None:
        """Keep the version a write replaces, for lists that show the tenant as it was a while ago."""
        if not self.keep_history:
            return
        db.execute("DELETE FROM history WHERE replaced_ms < ?", (replaced_ms - HISTORY_MS,))
        db.execute(
            "INSERT INTO history (seq, id, kind, body, created_ms, modified_ms, replaced_ms)"
            " SELECT seq, id, kind, body, created_ms, modified_ms, ? FROM objects WHERE id = ?",
            (replaced_ms, object_id),
        )

    def listed_at(self, resource: Resource, when_ms: int) -> list[StoredObject]:
        """Every object of a kind as it stood at `when_ms`, in creation order (versions kept since
        `keep_history` was set; an object written before then is shown as it is now)."""

        def run(db: sqlite3.Connection) -> list[StoredObject]:
            rows = db.execute(
                "SELECT id, body, created_ms, modified_ms FROM ("
                " SELECT seq, id, body, created_ms, modified_ms FROM objects"
                "  WHERE kind = :kind AND (modified_ms <= :at OR (created_ms <= :at"
                "   AND id NOT IN (SELECT id FROM history WHERE kind = :kind AND replaced_ms > :at)))"
                " UNION ALL"
                " SELECT seq, id, body, created_ms, modified_ms FROM history"
                "  WHERE kind = :kind AND modified_ms <= :at AND replaced_ms > :at"
                ") ORDER BY seq",
                {"kind": resource.collection, "at": when_ms},
            ).fetchall()
            return [_object(row) for row in rows]

        return self._transaction(run)

    def churn(self, resource: Resource, among: int, new_label: Callable[[int], str]) -> bool:
        """Another client's work: delete the first unreferenced object among the kind's first
        `among` and create a copy of it labelled `new_label(n)` (the first n not taken). False if
        none of them can be deleted."""

        def run(db: sqlite3.Connection) -> bool:
            row = db.execute(
                "SELECT id, body FROM (SELECT id, body, seq FROM objects WHERE kind = ? ORDER BY seq LIMIT ?)"
                " WHERE id NOT IN (SELECT target_id FROM refs) AND id NOT IN (SELECT id FROM pending_deletes)"
                " ORDER BY seq LIMIT 1",
                (resource.collection, among),
            ).fetchone()
            if row is None:
                return False
            old_id, old_body = row
            refs = db.execute("SELECT target_id, path FROM refs WHERE source_id = ?", (old_id,)).fetchall()
            self._remove(db, old_id, _now_ms())
            body = json.loads(old_body)
            body[resource.label_field] = next(
                label
                for label in map(new_label, range(1, MAX_CHURN_NAMES))
                if db.execute(
                    "SELECT 1 FROM objects WHERE kind = ? AND label = ?", (resource.collection, label)
                ).fetchone()
                is None
            )
            new_id = str(uuid.uuid4())
            _insert(db, resource, new_id, body)
            db.executemany(
                "INSERT INTO refs (source_id, target_id, path) VALUES (?, ?, ?)",
                [(new_id, target, path) for target, path in refs],
            )
            return True

        return self._transaction(run)

    def get(self, resource: Resource, object_id: str) -> StoredObject:
        """One object of this kind by id (404 when there is none)."""
        return self._transaction(lambda db: _fetch(db, resource, object_id))

    def page(self, resource: Resource, pagenum: int, pagesize: int) -> tuple[list[StoredObject], int]:
        """One page of a kind in creation order, and the kind's total count."""

        def run(db: sqlite3.Connection) -> tuple[list[StoredObject], int]:
            (count,) = db.execute("SELECT COUNT(*) FROM objects WHERE kind = ?", (resource.collection,)).fetchone()
            rows = db.execute(
                "SELECT id, body, created_ms, modified_ms FROM objects WHERE kind = ? ORDER BY seq LIMIT ? OFFSET ?",
                (resource.collection, pagesize, (pagenum - 1) * pagesize),
            ).fetchall()
            return [_object(row) for row in rows], int(count)

        return self._transaction(run)

    def listed(self, resource: Resource) -> list[StoredObject]:
        """Every object of a kind in creation order (for the tenant variants, which page themselves)."""
        return self.page(resource, 1, -1)[0]

    def referenced_labels(self, object_id: str) -> dict[str, str]:
        """The label (name, or type for a channel) of every object `object_id` references, by id."""

        def run(db: sqlite3.Connection) -> dict[str, str]:
            rows = db.execute(
                "SELECT o.id, o.label FROM refs r JOIN objects o ON o.id = r.target_id WHERE r.source_id = ?",
                (object_id,),
            ).fetchall()
            return {target: label for target, label in rows}

        return self._transaction(run)

    def reset(self) -> int:
        """Delete every object; returns how many there were."""

        def run(db: sqlite3.Connection) -> int:
            db.execute("DELETE FROM refs")
            db.execute("DELETE FROM pending_deletes")
            db.execute("DELETE FROM history")
            return db.execute("DELETE FROM objects").rowcount

        return self._transaction(run)

    def _transaction(self, run: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock, self._immediate() as db:
            self._purge(db)
            return run(db)

    def _purge(self, db: sqlite3.Connection) -> None:
        """Complete the deletes whose delay has passed (a tenant that deletes after answering 202)."""
        now = _now_ms()
        for object_id, gone_ms in db.execute(
            "SELECT id, gone_ms FROM pending_deletes WHERE gone_ms <= ?", (now,)
        ).fetchall():
            self._remove(db, object_id, gone_ms)

    @contextmanager
    def _immediate(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def is_sandbox_database(path: Path) -> bool:
    """Whether `path` is a sandbox's SQLite file, opened read-only to find out.

    Its header carries the sandbox's application id; a file from before the id was written is
    recognised by the exact columns of its objects table. Any other database is not one.
    """
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        columns = tuple(row[1] for row in db.execute("PRAGMA table_info(objects)"))
    except sqlite3.DatabaseError:
        return False
    finally:
        db.close()
    return application_id == APPLICATION_ID or (application_id == 0 and columns == OBJECT_COLUMNS)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _label(resource: Resource, body: dict[str, Any]) -> str:
    return str(body[resource.label_field])


def _unique_key(resource: Resource, body: dict[str, Any]) -> str | None:
    return _label(resource, body) if resource.unique_key else None


def _object(row: tuple[Any, ...]) -> StoredObject:
    object_id, body, created_ms, modified_ms = row
    return StoredObject(id=object_id, body=json.loads(body), created_ms=created_ms, modified_ms=modified_ms)


def _insert(db: sqlite3.Connection, resource: Resource, object_id: str, body: dict[str, Any]) -> None:
    db.execute(
        "INSERT INTO objects (id, kind, label, unique_key, body, created_ms, modified_ms)"
        " VALUES (:id, :kind, :label, :key, :body, :now, :now)",
        {
            "id": object_id,
            "kind": resource.collection,
            "label": _label(resource, body),
            "key": _unique_key(resource, body),
            "body": json.dumps(body),
            "now": _now_ms(),
        },
    )


def _fetch(db: sqlite3.Connection, resource: Resource, object_id: str) -> StoredObject:
    row = db.execute(
        "SELECT id, body, created_ms, modified_ms FROM objects WHERE id = ? AND kind = ?",
        (object_id, resource.collection),
    ).fetchone()
    if row is None:
        raise ApiFailure(failures.NOT_FOUND, f"No {resource.singular} has the id {object_id}", [("id", object_id)])
    return _object(row)


def _check_unique(db: sqlite3.Connection, resource: Resource, body: dict[str, Any], own_id: str | None) -> None:
    key = _unique_key(resource, body)
    if key is None:
        return
    row = db.execute("SELECT id FROM objects WHERE kind = ? AND unique_key = ?", (resource.collection, key)).fetchone()
    if row is not None and row[0] != own_id:
        field = resource.label_field
        raise ApiFailure(
            failures.DUPLICATE_KEY,
            f"A {resource.singular} with {field} {key!r} already exists: {row[0]}",
            [(field, key), ("id", row[0])],
        )


def _check_references(db: sqlite3.Connection, references: list[Reference]) -> None:
    for reference in references:
        row = db.execute(
            "SELECT kind, id IN (SELECT id FROM pending_deletes) FROM objects WHERE id = ?", (reference.target_id,)
        ).fetchone()
        wanted = RESOURCES[reference.collection].singular
        if row is None:
            problem = "does not exist"
        elif row[1]:
            problem = "is being deleted"
        elif row[0] != reference.collection:
            problem = f"is a {RESOURCES[row[0]].singular}, not a {wanted}"
        else:
            continue
        raise ApiFailure(
            failures.MISSING_REFERENCE,
            f"Attribute {reference.path} refers to {wanted} {reference.target_id}, which {problem}",
            [(reference.path, reference.target_id)],
        )


def _save_references(db: sqlite3.Connection, object_id: str, references: list[Reference]) -> None:
    db.executemany(
        "INSERT INTO refs (source_id, target_id, path) VALUES (?, ?, ?)",
        [(object_id, reference.target_id, reference.path) for reference in references],
    )

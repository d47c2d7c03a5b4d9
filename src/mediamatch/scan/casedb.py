"""The case database: one SQLite file in the case folder, separate from the bank store.

Schema version ``SCHEMA_VERSION`` is kept in ``PRAGMA user_version``; a case of another
version is refused with a clear error, never altered. The scan's plan (the units to
hash) is stored before hashing starts, and each finished unit's records are committed
in the same transaction that marks the unit done, so after a crash (even ``kill -9``)
the database holds whole units only and a resumed scan redoes exactly the rest.
One process writes a case at a time (an exclusive lock file guards it).
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mediamatch.errors import ScanError
from mediamatch.scan.records import FileRecord, Unit

SCHEMA_VERSION = 2
DATABASE_NAME = "case.sqlite"

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE units (id INTEGER PRIMARY KEY, path TEXT NOT NULL, size INTEGER NOT NULL,
                    first_member INTEGER NOT NULL DEFAULT -1, end_member INTEGER NOT NULL DEFAULT -1,
                    done INTEGER NOT NULL DEFAULT 0, UNIQUE (path, first_member));
CREATE TABLE passed_over (path TEXT PRIMARY KEY, reason TEXT NOT NULL);
CREATE TABLE files (
    id INTEGER PRIMARY KEY, unit_id INTEGER NOT NULL REFERENCES units(id), position INTEGER NOT NULL,
    path TEXT NOT NULL, size INTEGER NOT NULL, modified REAL, changed REAL, accessed REAL,
    kind TEXT NOT NULL, type_name TEXT, status TEXT NOT NULL, md5 TEXT, sha1 TEXT,
    width INTEGER, height INTEGER, error_kind TEXT, error_message TEXT, note TEXT,
    UNIQUE (unit_id, position));
CREATE INDEX files_md5 ON files(md5);
CREATE TABLE hashes (file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
                     algorithm TEXT NOT NULL, hash TEXT NOT NULL, quality INTEGER,
                     variant TEXT NOT NULL DEFAULT '', PRIMARY KEY (file_id, algorithm, variant));
CREATE TABLE stacks (file_id INTEGER PRIMARY KEY REFERENCES files(id), stack INTEGER NOT NULL,
                     representative INTEGER NOT NULL, near INTEGER NOT NULL);
CREATE TABLE matches (file_id INTEGER NOT NULL REFERENCES files(id), bank TEXT NOT NULL,
                      entry_id INTEGER NOT NULL, external_id TEXT, classification TEXT,
                      algorithm TEXT NOT NULL, distance INTEGER NOT NULL, suppressed INTEGER NOT NULL,
                      vics_category INTEGER);
"""

_FILE_COLUMNS = (
    "unit_id, position, path, size, modified, changed, accessed, kind, type_name, status, md5, sha1, "
    "width, height, error_kind, error_message, note"
)


class CaseDB:
    """A case folder's database. Use as a context manager, or call ``close``."""

    def __init__(self, folder: Path, *, create: bool) -> None:
        self.folder = folder
        path = folder / DATABASE_NAME
        if not create and not path.is_file():
            raise ScanError(f"{folder} holds no case database ({DATABASE_NAME})")
        folder.mkdir(parents=True, exist_ok=True)
        self._lock = _lock(folder)
        self.connection = sqlite3.connect(path, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=NORMAL")  # WAL: commits survive a killed process
        self.connection.execute("PRAGMA foreign_keys=ON")
        self._check_schema()

    def _check_schema(self) -> None:
        version = self.connection.execute("PRAGMA user_version").fetchone()[0]
        tables = self.connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if version == 0 and tables == 0:
            script = f"BEGIN;\n{SCHEMA}\nPRAGMA user_version = {SCHEMA_VERSION};\nCOMMIT;"
            self.connection.executescript(script)  # one transaction: a case is created whole or not at all
        elif version != SCHEMA_VERSION:
            self.close()
            raise ScanError(
                f"case database schema {version} is not {SCHEMA_VERSION}: not a case of this version"
            )

    def close(self) -> None:
        self.connection.close()
        os.close(self._lock)

    def __enter__(self) -> CaseDB:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield self.connection
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    # -- settings ------------------------------------------------------------------------

    def get(self, key: str) -> Any:
        row = self.connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, values: dict[str, Any]) -> None:
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [(k, json.dumps(v)) for k, v in values.items()],
            )

    def settings(self) -> dict[str, Any]:
        return {
            k: json.loads(v) for k, v in self.connection.execute("SELECT key, value FROM meta ORDER BY key")
        }

    # -- plan ----------------------------------------------------------------------------

    def save_plan(self, units: Sequence[Unit], passed_over: Iterable[tuple[str, str]]) -> None:
        """Store the units to hash (in order) and what the walk passed over; marks the case planned."""
        rows = [(u.path, u.size, *(u.members or (-1, -1))) for u in units]
        with self.transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO units (path, size, first_member, end_member) VALUES (?, ?, ?, ?)", rows
            )
            db.executemany("INSERT OR REPLACE INTO passed_over (path, reason) VALUES (?, ?)", passed_over)
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('planned', 'true')")

    def pending_units(self) -> list[Unit]:
        rows = self.connection.execute(
            "SELECT id, path, size, first_member, end_member FROM units WHERE done = 0 ORDER BY id"
        )
        return [
            Unit(i, path, size, None if first < 0 else (first, end)) for i, path, size, first, end in rows
        ]

    def progress(self) -> tuple[int, int, int, int]:
        """Units done, units planned, bytes done, bytes planned."""
        row = self.connection.execute(
            "SELECT coalesce(sum(done), 0), count(*), coalesce(sum(size * done), 0), coalesce(sum(size), 0) "
            "FROM units"
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2]), int(row[3])

    def known_images(
        self,
    ) -> Iterator[tuple[str, str, int, int | None, int | None, str, str, int | None, str]]:
        """(md5, sha1, size, width, height, algorithm, hash, quality, variant) of the hashes of one
        hashed image per distinct content, the resilience stage's variants included."""
        yield from self.connection.execute(
            "SELECT f.md5, f.sha1, f.size, f.width, f.height, h.algorithm, h.hash, h.quality, h.variant "
            "FROM files f JOIN hashes h ON h.file_id = f.id WHERE f.id IN ("
            "  SELECT min(id) FROM files WHERE status = 'hashed' AND kind = 'image' GROUP BY md5, sha1, size"
            ") ORDER BY f.id, h.rowid"
        )

    # -- results -------------------------------------------------------------------------

    def store_results(self, results: Sequence[tuple[int, list[FileRecord]]]) -> None:
        """Records of finished units, committed together with the units' done marks."""
        with self.transaction() as db:
            for unit_id, records in results:
                db.execute("DELETE FROM files WHERE unit_id = ?", (unit_id,))
                for position, record in enumerate(records):
                    self._insert_file(db, unit_id, position, record)
                db.execute("UPDATE units SET done = 1 WHERE id = ?", (unit_id,))

    @staticmethod
    def _insert_file(db: sqlite3.Connection, unit_id: int, position: int, record: FileRecord) -> None:
        times = record.times
        values = (
            unit_id, position, record.path, record.size, times.modified, times.changed, times.accessed,
            record.kind.value, record.type_name, record.status.value, record.md5, record.sha1,
            record.width, record.height, record.error_kind, record.error_message, record.note,
        )  # fmt: skip
        cursor = db.execute(f"INSERT INTO files ({_FILE_COLUMNS}) VALUES ({', '.join('?' * 17)})", values)
        db.executemany(
            "INSERT INTO hashes (file_id, algorithm, hash, quality, variant) VALUES (?, ?, ?, ?, ?)",
            [(cursor.lastrowid, h.algorithm, h.text, h.quality, h.variant) for h in record.hashes],
        )

    def replace_stacks(self, rows: Iterable[tuple[int, int, bool, bool]]) -> None:
        """(file id, stack number, is representative, near-duplicate stack) for every stacked file."""
        with self.transaction() as db:
            db.execute("DELETE FROM stacks")
            db.executemany("INSERT INTO stacks VALUES (?, ?, ?, ?)", rows)

    def replace_matches(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Rows of (file id, bank, entry id, external id, classification, algorithm, distance,
        suppressed, VICS category)."""
        with self.transaction() as db:
            db.execute("DELETE FROM matches")
            db.executemany("INSERT INTO matches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _lock(folder: Path) -> int:
    """The case's lock (an exclusive ``flock``, which the kernel drops with the last process that
    holds it, so no dead process can keep it), with the holder's process id written in it."""
    descriptor = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
        os.close(descriptor)
        named = f" (process {holder})" if holder.isdigit() else ""
        raise ScanError(f"case {folder} is in use by another mediamatch process{named}") from None
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
    return descriptor

"""Importing and exporting hash lists: streamed, idempotent, all-or-nothing per file.

A file is read record by record inside one transaction. Every bad record is reported
with its line number; if there is any, the transaction is rolled back and nothing from
the file is stored (``ImportFailed``). Re-importing a file adds nothing, because the
store ignores a hash already in the bank.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from mediamatch.algorithms import AlgorithmRegistry
from mediamatch.engine.hashlists import READERS, WRITERS, ListFormat, RowError, detect_format
from mediamatch.errors import DegenerateHash, ImportFailed
from mediamatch.store import NewEntry

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from mediamatch.store import Store

FLUSH_EVERY = 10_000
ERRORS_KEPT = 1000


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What one import did: records read, entries new to the bank, already present, deleted,
    skipped, and entries an update record changed (``Parsed.updates``)."""

    format: ListFormat
    records: int
    added: int
    already_present: int
    deleted: int
    skipped_fingerprints: int
    updated: int = 0


KEEP_DEGENERATE = "--allow-degenerate, or allow_degenerate=true through the API, keeps it"


def degenerate_reason(registry: AlgorithmRegistry, entry: NewEntry) -> str | None:
    """Why the entry's hash would match unrelated content, or None (``HashAlgorithm.degenerate``)."""
    algorithm = registry.get(entry.algorithm)
    reason = algorithm.degenerate(algorithm.from_bytes(entry.hash))
    return None if reason is None else f"degenerate {entry.algorithm} hash: {reason}"


def refuse_degenerate(registry: AlgorithmRegistry, entries: list[NewEntry]) -> None:
    """Raise DegenerateHash naming every entry (by position) whose hash is degenerate."""
    found = [(number, degenerate_reason(registry, e)) for number, e in enumerate(entries)]
    bad = [f"entry {number}: {reason}" for number, reason in found if reason is not None]
    if bad:
        raise DegenerateHash(f"{'; '.join(bad[:20])} ({KEEP_DEGENERATE})")


class _Importer:
    def __init__(
        self,
        store: Store,
        registry: AlgorithmRegistry,
        bank: str,
        connection: Connection,
        allow_degenerate: bool,
    ) -> None:
        self.store, self.bank, self.connection = store, bank, connection
        self.registry, self.allow_degenerate = registry, allow_degenerate
        self.pending: list[NewEntry] = []
        self.updating: dict[str, list[NewEntry]] = {}
        """Update records waiting for the next flush, by external id."""
        self.errors: list[tuple[int, str]] = []
        self.records = self.offered = self.added = self.deleted = self.skipped = self.updated = 0

    def flush(self) -> None:
        if self.updating and not self.errors:
            self._apply_updates()
        if self.pending and not self.errors:
            self.added += self.store.add_entries(self.bank, self.pending, self.connection)
        self.pending, self.updating = [], {}

    def _apply_updates(self) -> None:
        """Entries of an updated external id that the bank holds take the record's details or go;
        the record's new fingerprints join the entries to add."""
        held = self.store.entries_by_external_id(self.bank, self.updating, self.connection)
        changed: list[tuple[int, NewEntry]] = []
        gone: list[int] = []
        for external_id, records in self.updating.items():
            stored = {(e.algorithm, e.hash): e for e in held.get(external_id, [])}
            listed = {(r.algorithm, r.hash) for r in records}
            for record in records:
                entry = stored.get((record.algorithm, record.hash))
                if entry is None:
                    self.pending.append(record)
                elif (entry.classification, entry.source, entry.tags) != (
                    record.classification,
                    record.source,
                    tuple(record.tags),
                ):
                    changed.append((entry.id, record))
            gone += [e.id for key, e in stored.items() if key not in listed]
        self.updated += self.store.update_entry_details(changed, self.connection)
        self.offered -= len(changed)  # changed entries are neither new nor merely present
        self.deleted += self.store.delete_entries(gone, self.connection) if gone else 0

    def take(self, record: object) -> None:
        self.records += 1
        if not isinstance(record, RowError) and not self.allow_degenerate:
            reasons = [degenerate_reason(self.registry, e) for e in record.entries]  # type: ignore[attr-defined]
            reason = next((r for r in reasons if r is not None), None)
            if reason is not None:
                record = RowError(record.line, f"{reason} ({KEEP_DEGENERATE})")  # type: ignore[attr-defined]
        if isinstance(record, RowError):
            if len(self.errors) < ERRORS_KEPT:
                self.errors.append((record.line, record.message))
            self.pending = []
            return
        if self.errors:
            return  # keep reading to report every bad line, but store nothing more
        entries: list[NewEntry] = record.entries  # type: ignore[attr-defined]
        external_id = entries[0].external_id if entries else None
        if record.updates and external_id is not None:  # type: ignore[attr-defined]
            if external_id in self.updating:  # the same id again: the earlier state goes in first
                self.flush()
            self.updating[external_id] = entries
        else:
            self.pending.extend(entries)
        self.offered += len(entries)
        self.skipped += record.skipped  # type: ignore[attr-defined]
        if record.deleted_external_ids:  # type: ignore[attr-defined]
            self.flush()
            ids = record.deleted_external_ids  # type: ignore[attr-defined]
            self.deleted += self.store.delete_by_external_id(self.bank, ids, self.connection)
        if len(self.pending) >= FLUSH_EVERY:
            self.flush()


def import_stream(
    store: Store,
    registry: AlgorithmRegistry,
    bank: str,
    stream: IO[bytes],
    list_format: ListFormat | None = None,
    algorithm: str | None = None,
    *,
    allow_degenerate: bool = False,
) -> ImportReport:
    """Import one hash list into ``bank``; raises ImportFailed (storing nothing) on any bad record.

    A degenerate hash (``HashAlgorithm.degenerate``: all zeros, an empty file's digest) is a bad
    record unless ``allow_degenerate``.
    """
    chosen = list_format or detect_format(stream)
    if algorithm is not None:
        registry.get(algorithm)
    with store.transaction() as connection:
        store.bank(bank, connection)
        importer = _Importer(store, registry, bank, connection, allow_degenerate)
        for record in READERS[chosen](stream, registry, algorithm):
            importer.take(record)
        importer.flush()
        if importer.errors:
            shown = "; ".join(f"line {line}: {message}" for line, message in importer.errors[:20])
            more = len(importer.errors) - 20
            suffix = f"; and {more} more" if more > 0 else ""
            raise ImportFailed(
                f"{_records(len(importer.errors))} read as {_read_as(chosen, list_format is None)}, "
                f"nothing imported: {shown}{suffix}",
                importer.errors,
            )
    return ImportReport(
        chosen,
        importer.records,
        importer.added,
        importer.offered - importer.added,
        importer.deleted,
        importer.skipped,
        importer.updated,
    )


def import_file(
    store: Store,
    registry: AlgorithmRegistry,
    bank: str,
    path: Path,
    list_format: ListFormat | None = None,
    algorithm: str | None = None,
    *,
    allow_degenerate: bool = False,
) -> ImportReport:
    with path.open("rb") as stream:
        return import_stream(
            store, registry, bank, stream, list_format, algorithm, allow_degenerate=allow_degenerate
        )


def export_stream(
    store: Store,
    registry: AlgorithmRegistry,
    bank: str,
    stream: IO[bytes],
    list_format: ListFormat,
    algorithm: str | None = None,
) -> int:
    """Write the bank's entries (id order) in ``list_format``; returns how many were written."""
    store.bank(bank)
    return WRITERS[list_format](store.entries(bank, algorithm), stream, registry, algorithm)


def _read_as(chosen: ListFormat, detected: bool) -> str:
    """The format a failed import tried, and the others it could have been told to use."""
    others = ", ".join(f.value for f in ListFormat if f is not chosen)
    how = "detected from its first bytes" if detected else "as asked"
    return f"{chosen.value} ({how}; other formats: {others})"


def _records(count: int) -> str:
    return f"{count} bad record" + ("" if count == 1 else "s")

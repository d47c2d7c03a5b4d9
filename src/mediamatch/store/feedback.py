"""Customers' verdicts on matched entries, and the quarantine that keeps disputed entries unmatched.

An organisation has at most one verdict per entry (a later one replaces it). Quarantining,
reinstating and suppressing go through ``Store.transaction``: they change what matches, so
they bump the store revision and every service process rebuilds its matcher. Recording a
verdict alone does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from mediamatch.errors import BankNotFound, InvalidBank
from mediamatch.store.models import EntryFeedbackRow, EntryQuarantineRow, EntryRow
from mediamatch.store.records import Entry, NewEntry, as_utc
from mediamatch.store.store import Store
from mediamatch.store.usage import matched_by_tracking_id

CONFIRM, DISPUTE = "confirm", "dispute"
VERDICTS = (CONFIRM, DISPUTE)


@dataclass(frozen=True, slots=True)
class Quarantined:
    entry: Entry
    since: datetime
    disputes: int


class FeedbackStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    def matched_in(self, tracking_id: str, organisation_id: int) -> set[int]:
        """Entry ids the organisation's request ``tracking_id`` matched (empty if none or not its own)."""
        return set(matched_by_tracking_id(self.store, [tracking_id], organisation_id).get(tracking_id, ()))

    def put_verdict(
        self, organisation_id: int, entry_id: int, tracking_id: str, verdict: str, note: str, now: datetime
    ) -> int:
        """Store the organisation's verdict (replacing its earlier one); the entry's dispute count."""
        if verdict not in VERDICTS:
            raise InvalidBank(f"verdict must be confirm or dispute, not {verdict!r}")
        values = {
            "organisation_id": organisation_id,
            "entry_id": entry_id,
            "tracking_id": tracking_id,
            "verdict": verdict,
            "note": note,
            "at": now,
        }
        for _ in range(3):  # a concurrent verdict of the same organisation may win the insert
            try:
                with self.store.engine.begin() as connection:
                    connection.execute(
                        delete(EntryFeedbackRow).where(
                            EntryFeedbackRow.organisation_id == organisation_id,
                            EntryFeedbackRow.entry_id == entry_id,
                        )
                    )
                    connection.execute(insert(EntryFeedbackRow).values(**values))
                    return self._disputes(connection, entry_id)
            except IntegrityError:
                continue
        raise InvalidBank(f"could not record feedback on entry {entry_id}; try again")

    @staticmethod
    def _disputes(connection: Connection, entry_id: int) -> int:
        query = select(func.count(func.distinct(EntryFeedbackRow.organisation_id))).where(
            EntryFeedbackRow.entry_id == entry_id, EntryFeedbackRow.verdict == DISPUTE
        )
        return int(connection.execute(query).scalar_one())

    def is_quarantined(self, entry_id: int) -> bool:
        query = select(EntryQuarantineRow.entry_id).where(EntryQuarantineRow.entry_id == entry_id)
        with self.store.engine.connect() as connection:
            return connection.execute(query).first() is not None

    def quarantine(self, entry_id: int, disputes: int, now: datetime) -> bool:
        """Withhold the entry from matching; False if it already was."""
        if self.is_quarantined(entry_id):
            return False
        try:
            with self.store.transaction() as connection:
                connection.execute(
                    insert(EntryQuarantineRow).values(entry_id=entry_id, since=now, disputes=disputes)
                )
                self.store.note_entries_changed(connection, [entry_id])
        except IntegrityError:
            return False
        return True

    def quarantined(self, bank_ids: Iterable[int] | None = None) -> list[Quarantined]:
        with self.store.engine.connect() as connection:
            rows = connection.execute(select(EntryQuarantineRow.__table__))
            marks = {row.entry_id: (as_utc(row.since), row.disputes) for row in rows}
        chosen = None if bank_ids is None else set(bank_ids)
        return [
            Quarantined(entry, *marks[entry.id])
            for entry in self.store.get_entries(marks)
            if chosen is None or entry.bank_id in chosen
        ]

    def reinstate(self, entry_id: int) -> None:
        """Match the entry again and forget the disputes against it (confirmations stay)."""
        if not self.is_quarantined(entry_id):
            raise InvalidBank(f"entry {entry_id} is not quarantined")
        with self.store.transaction() as connection:
            connection.execute(delete(EntryQuarantineRow).where(EntryQuarantineRow.entry_id == entry_id))
            self.store.note_entries_changed(connection, [entry_id])
            connection.execute(
                delete(EntryFeedbackRow).where(
                    EntryFeedbackRow.entry_id == entry_id, EntryFeedbackRow.verdict == DISPUTE
                )
            )

    def suppress(self, entry_id: int, suppression_bank: str) -> Entry:
        """Move the entry into a suppression bank, all at once; the moved entry (its new id)."""
        found = self.store.get_entries([entry_id])
        if not found:
            raise BankNotFound(f"no entry {entry_id}")
        entry = found[0]
        with self.store.transaction() as connection:
            target = self.store.bank(suppression_bank, connection)
            if not target.suppression:
                raise InvalidBank(f"bank {suppression_bank} is not a suppression bank")
            if target.id == entry.bank_id:
                raise InvalidBank(f"entry {entry_id} is already in {suppression_bank}")
            moved = NewEntry(
                entry.algorithm,
                entry.hash,
                quality=entry.quality,
                classification=entry.classification,
                tags=entry.tags,
                source=entry.source,
                external_id=entry.external_id,
                note=entry.note,
            )
            self.store.add_entries(suppression_bank, [moved], connection)
            connection.execute(delete(EntryQuarantineRow).where(EntryQuarantineRow.entry_id == entry_id))
            connection.execute(delete(EntryFeedbackRow).where(EntryFeedbackRow.entry_id == entry_id))
            self.store.delete_entries([entry_id], connection)
            new_id = connection.execute(
                select(EntryRow.id).where(
                    EntryRow.bank_id == target.id,
                    EntryRow.algorithm == entry.algorithm,
                    EntryRow.hash == entry.hash,
                )
            ).scalar_one()
        return self.store.get_entries([new_id])[0]

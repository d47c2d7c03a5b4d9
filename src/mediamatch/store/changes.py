"""The store's change log: what each write transaction changed, under the revision it made.

Write paths note their changes on the transaction's connection (``note_entries``, ``note_bank``);
``Store.transaction`` writes them when it bumps the revision, just before it commits. The
revision row is locked from that bump to the commit, so revisions are handed out in commit
order: a reader that sees revision ``r`` committed also sees every change of revisions up to
``r``. Readers (live indexes) take ``changes(since, to)`` and make themselves agree with the
store's current state for each changed entry and bank, so applying a change twice is harmless.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, insert, select, update

from mediamatch.store.models import StoreChangeRow, StoreStateRow

NOTED = "mediamatch.noted_changes"
"""Key of the changes noted on a connection's ``info`` until its transaction writes them."""
ENTRY_CHANGES_MAX = 10_000
"""A write touching more entries of one bank than this notes the bank as changed as a whole."""
KEEP_REVISIONS = 100_000
"""How many revisions of changes the log keeps; a reader further behind rebuilds."""
PRUNE_EVERY = 1_000


class ChangeKind(enum.Enum):
    ENTRY = "entry"
    """One entry added, deleted, disabled, enabled, quarantined or reinstated."""
    BANK = "bank"
    """A bank's content as a whole: enabled, disabled, deleted, or many entries at once."""
    SETTINGS = "settings"
    """A bank's settings only (thresholds, suppression, description), or a new empty bank."""


@dataclass(frozen=True, slots=True)
class StoreChanges:
    """The changes of revisions ``since`` (exclusive) to ``to`` (inclusive)."""

    since: int
    to: int
    entry_ids: frozenset[int] = field(default_factory=frozenset)
    banks: frozenset[int] = field(default_factory=frozenset)
    """Banks changed as a whole: their entries must be reloaded."""
    settings: frozenset[int] = field(default_factory=frozenset)
    """Banks whose settings changed (or that were created)."""

    @property
    def empty(self) -> bool:
        return not (self.entry_ids or self.banks or self.settings)


def note_entries(connection: Connection, bank_id: int, entry_ids: Iterable[int]) -> None:
    """Note that these entries of the bank changed (many at once: the bank as a whole)."""
    ids = list(entry_ids)
    if len(ids) > ENTRY_CHANGES_MAX:
        note_bank(connection, bank_id, ChangeKind.BANK)
        return
    noted = connection.info.setdefault(NOTED, [])
    noted.extend((ChangeKind.ENTRY.value, bank_id, entry_id) for entry_id in ids)


def note_bank(connection: Connection, bank_id: int, kind: ChangeKind) -> None:
    """Note that the bank's content as a whole (``BANK``) or its settings (``SETTINGS``) changed."""
    connection.info.setdefault(NOTED, []).append((kind.value, bank_id, None))


def discard_noted(connection: Connection) -> None:
    """Forget changes noted on a connection whose transaction did not commit."""
    connection.info.pop(NOTED, None)


def write_noted(connection: Connection, revision: int) -> None:
    """Write the connection's noted changes under ``revision`` (inside its transaction), and now and
    then prune the log to ``KEEP_REVISIONS``."""
    noted = connection.info.pop(NOTED, [])
    if noted:
        rows = [{"revision": revision, "kind": k, "bank_id": b, "entry_id": e} for k, b, e in noted]
        for start in range(0, len(rows), ENTRY_CHANGES_MAX):
            connection.execute(insert(StoreChangeRow), rows[start : start + ENTRY_CHANGES_MAX])
    if revision % PRUNE_EVERY == 0 and revision > KEEP_REVISIONS:
        oldest = revision - KEEP_REVISIONS
        connection.execute(delete(StoreChangeRow).where(StoreChangeRow.revision <= oldest))
        connection.execute(update(StoreStateRow).values(changes_from=oldest))


def read_changes(connection: Connection, since: int, to: int) -> StoreChanges | None:
    """The changes of revisions ``(since, to]``; None when the log no longer reaches back to
    ``since`` (pruned, or the database predates the log): the reader must rebuild."""
    changes_from = connection.execute(select(StoreStateRow.changes_from)).scalar_one()
    if changes_from is None or since < changes_from:
        return None
    rows = connection.execute(
        select(StoreChangeRow.kind, StoreChangeRow.bank_id, StoreChangeRow.entry_id).where(
            StoreChangeRow.revision > since, StoreChangeRow.revision <= to
        )
    ).all()
    entries = frozenset(r.entry_id for r in rows if r.kind == ChangeKind.ENTRY.value)
    banks = frozenset(r.bank_id for r in rows if r.kind == ChangeKind.BANK.value)
    settings = frozenset(r.bank_id for r in rows if r.kind == ChangeKind.SETTINGS.value)
    return StoreChanges(since, to, entries, banks, settings)

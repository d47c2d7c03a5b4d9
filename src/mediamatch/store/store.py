"""The bank store: SQLite by default, PostgreSQL by URL, schema managed by Alembic.

Guarantees: a hash is stored at most once per bank and algorithm (adding it again is a
no-op, so imports are idempotent); ``transaction()`` makes a batch of writes
all-or-nothing; reads stream in batches and never load a whole bank into memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from mediamatch.errors import BankExists, BankNotFound, InvalidBank, StoreUnavailable
from mediamatch.store import changes as change_log
from mediamatch.store.changes import (
    ChangeKind,
    StoreChanges,
    discard_noted,
    note_bank,
    note_entries,
    read_changes,
    write_noted,
)
from mediamatch.store.models import BankRow, EntryQuarantineRow, EntryRegionRow, EntryRow, StoreStateRow
from mediamatch.store.records import (
    KEYPOINTS_REGION,
    Bank,
    Classification,
    Entry,
    NewEntry,
    as_utc,
    as_utc_or_none,
    check_bank_name,
)

MIGRATIONS = Path(__file__).with_name("migrations")
HEAD_REVISION = "0013"
"""The newest migration in ``MIGRATIONS`` (a test keeps the two in step)."""
BATCH = 10_000
ENV_URL = "MEDIAMATCH_DB"
CONNECT_TIMEOUT_SECONDS = 5
"""How long a PostgreSQL connection attempt may take, unless the URL sets ``connect_timeout``:
an unreachable server then fails a request in seconds instead of the system's TCP timeout."""


def default_url() -> str:
    """``$MEDIAMATCH_DB``, else a SQLite file in the user's data directory."""
    if os.environ.get(ENV_URL):
        return os.environ[ENV_URL]
    folder = Path(platformdirs.user_data_dir("mediamatch"))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mediamatch.sqlite3'}"


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _unreachable(context: ExceptionContext) -> bool:
    """Whether a database error means the server cannot be reached, rather than a bad statement."""
    if context.is_disconnect or context.connection is None:  # lost, or never made
        return True
    return (
        context.engine is not None
        and context.engine.dialect.name == "postgresql"
        and (isinstance(context.sqlalchemy_exception, OperationalError))
    )


def _report_unreachable(engine: Engine) -> None:
    """Connection failures surface as ``StoreUnavailable``, the one error callers handle for them."""

    @event.listens_for(engine, "handle_error")
    def _on_error(context: ExceptionContext) -> None:
        if _unreachable(context):
            reason = str(context.original_exception).strip().splitlines()[0][:300]
            raise StoreUnavailable(
                f"the database cannot be reached: {reason}"
            ) from context.original_exception


def _new_engine(url: str) -> Engine:
    """An engine for ``url``: SQLite tuned for one writer; PostgreSQL connections checked before
    use (a server restart leaves the pool's connections dead) and given a connect timeout."""
    if not url.startswith("sqlite"):
        connect_args = {} if "connect_timeout" in url else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
        engine = create_engine(engine_url(url), pool_pre_ping=True, connect_args=connect_args)
    else:
        engine = create_engine(engine_url(url))
        _tune_sqlite(engine)
    _report_unreachable(engine)
    return engine


def _revisions(engine: Engine) -> list[str]:
    """The revisions Alembic recorded in the database; none for a new or unreadable one."""
    try:
        with engine.connect() as connection:
            return [
                str(r) for r in connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
            ]
    except DBAPIError:
        return []


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision.

    A database already at ``HEAD_REVISION`` is left alone without loading Alembic, which
    takes about a quarter of a second: short-lived commands (a resumed scan, a CLI match)
    start faster.
    """
    if _revisions(engine) == [HEAD_REVISION]:
        return
    from alembic import command  # only needed when the schema must change
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _bank(row: Any) -> Bank:
    return Bank(
        id=row.id,
        name=row.name,
        description=row.description,
        enabled=row.enabled,
        suppression=row.suppression,
        thresholds=dict(row.thresholds),
        created_at=as_utc(row.created_at),
        organisation_id=row.organisation_id,
    )


def _entry(row: Any) -> Entry:
    return Entry(
        id=row.id,
        bank_id=row.bank_id,
        algorithm=row.algorithm,
        hash=bytes(row.hash),
        quality=row.quality,
        classification=Classification.parse(row.classification),
        tags=tuple(row.tags or ()),
        source=row.source,
        external_id=row.external_id,
        added_at=as_utc(row.added_at),
        disabled_until=as_utc_or_none(row.disabled_until),
        note=row.note,
        quarantined=bool(row.quarantined),
        picture_id=row.picture_id,
    )


def _quarantined() -> ColumnElement[bool]:
    """True for an entry (``EntryRow``) withheld from matching by a quarantine. An uncorrelated
    subquery: each database reads it once, not once per entry."""
    return EntryRow.id.in_(select(EntryQuarantineRow.entry_id))


def matchable(now: datetime) -> ColumnElement[bool]:
    """The one definition of an entry (``EntryRow``) that may produce a match at ``now``: not
    disabled at ``now``, not quarantined, and in an enabled bank.

    Every query that loads entries for matching applies it; ``Entry.may_match`` is the same
    rule for an entry already loaded (its bank's ``enabled`` aside).
    """
    not_disabled = EntryRow.disabled_until.is_(None) | (EntryRow.disabled_until <= now)
    in_enabled_bank = EntryRow.bank_id.in_(select(BankRow.id).where(BankRow.enabled))  # read once, too
    return not_disabled & ~_quarantined() & in_enabled_bank


def _entry_rows() -> Select[Any]:
    """Entry rows with their quarantine flag, as ``_entry`` reads them."""
    return select(EntryRow.__table__, _quarantined().label("quarantined"))


def _entry_values(bank_id: int, entry: NewEntry, now: datetime) -> dict[str, Any]:
    return {
        "bank_id": bank_id,
        "algorithm": entry.algorithm,
        "hash": entry.hash,
        "quality": entry.quality,
        "classification": entry.classification.value if entry.classification else None,
        "tags": list(entry.tags),
        "source": entry.source,
        "external_id": entry.external_id,
        "added_at": now,
        "note": entry.note,
    }


def _holds_keypoints(entry: NewEntry) -> bool:
    return any(name == KEYPOINTS_REGION for name, _ in entry.regions)


def engine_url(url: str) -> str:
    """PostgreSQL URLs without a driver use psycopg 3 (the driver mediamatch installs)."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Store:
    """Banks and entries in one SQL database. Safe to share between threads (one engine)."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_url()
        self.engine = _new_engine(self.url)
        migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection whose writes commit together at the end, or not at all.

        Every transaction bumps the store revision, so caches of derived data see the change, and
        writes the changes its write paths noted under that revision (``store.changes``).
        """
        with self.engine.begin() as connection:
            try:
                yield connection
                connection.execute(update(StoreStateRow).values(revision=StoreStateRow.revision + 1))
                write_noted(connection, int(connection.execute(select(StoreStateRow.revision)).scalar_one()))
            finally:
                discard_noted(connection)

    def revision(self) -> int:
        """A number that changes whenever banks or entries may have changed."""
        with self.engine.connect() as connection:
            return int(connection.execute(select(StoreStateRow.revision)).scalar_one())

    def changes(self, since: int, to: int) -> StoreChanges | None:
        """What revisions ``(since, to]`` changed (``store.changes``); None when the log no longer
        reaches back that far, and whoever asked must rebuild from the store."""
        with self.engine.connect() as connection:
            return read_changes(connection, since, to)

    def algorithms(self, bank_ids: Iterable[int]) -> list[str]:
        """The algorithms that have entries in these banks."""
        query = (
            select(EntryRow.algorithm)
            .where(EntryRow.bank_id.in_(sorted(set(bank_ids))))
            .group_by(EntryRow.algorithm)
            .order_by(EntryRow.algorithm)
        )
        with self.engine.connect() as connection:
            return [str(name) for name in connection.execute(query).scalars()]

    def next_activation(self, bank_ids: Iterable[int], now: datetime) -> datetime | None:
        """The earliest future ``disabled_until`` among the banks' entries: when the active set changes."""
        query = select(func.min(EntryRow.disabled_until)).where(
            EntryRow.bank_id.in_(sorted(set(bank_ids))), EntryRow.disabled_until > now
        )
        with self.engine.connect() as connection:
            return as_utc_or_none(connection.execute(query).scalar_one_or_none())

    def activated_between(self, bank_ids: Iterable[int], after: datetime, upto: datetime) -> list[int]:
        """Entries of the banks whose ``disabled_until`` fell in ``(after, upto]``: they became
        matchable then without any write (a live index applies them as changes)."""
        query = select(EntryRow.id).where(
            EntryRow.bank_id.in_(sorted(set(bank_ids))),
            EntryRow.disabled_until > after,
            EntryRow.disabled_until <= upto,
        )
        with self.engine.connect() as connection:
            return [int(entry_id) for entry_id in connection.execute(query).scalars()]

    def matchable_hashes_of(
        self, ids: Iterable[int], now: datetime, quality_floors: Mapping[str, int] | None = None
    ) -> list[tuple[int, int, str, bytes]]:
        """``(id, bank id, algorithm, hash)`` of those of ``ids`` that may match at ``now``, by the
        rule and floors of ``active_hashes``: what a live index holds of changed entries."""
        wanted, found = sorted(set(ids)), []
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), BATCH):
                query = select(EntryRow.id, EntryRow.bank_id, EntryRow.algorithm, EntryRow.hash).where(
                    EntryRow.id.in_(wanted[start : start + BATCH]), matchable(now)
                )
                for algorithm, floor in (quality_floors or {}).items():
                    query = query.where(
                        (EntryRow.algorithm != algorithm)
                        | EntryRow.quality.is_(None)
                        | (EntryRow.quality >= floor)
                    )
                found += [(int(i), int(b), a, bytes(h)) for i, b, a, h in connection.execute(query)]
        return found

    def region_hashes_of(self, ids: Iterable[int]) -> list[tuple[int, str, str, bytes]]:
        """``(entry id, algorithm, region, hash)`` of the region hashes of these entries (keypoint
        records left out), as ``active_region_hashes`` gives them."""
        wanted, found = sorted(set(ids)), []
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), BATCH):
                query = (
                    select(
                        EntryRegionRow.entry_id,
                        EntryRow.algorithm,
                        EntryRegionRow.region,
                        EntryRegionRow.hash,
                    )
                    .join(EntryRow, EntryRow.id == EntryRegionRow.entry_id)
                    .where(
                        EntryRegionRow.entry_id.in_(wanted[start : start + BATCH]),
                        EntryRegionRow.region != KEYPOINTS_REGION,
                    )
                )
                found += [(int(i), a, r, bytes(h)) for i, a, r, h in connection.execute(query)]
        return found

    # -- banks ---------------------------------------------------------------------------

    def create_bank(
        self,
        name: str,
        *,
        description: str = "",
        suppression: bool = False,
        thresholds: dict[str, int] | None = None,
        organisation_id: int | None = None,
    ) -> Bank:
        """Create an empty bank; ``organisation_id`` None shares it with every organisation."""
        values = {
            "organisation_id": organisation_id,
            "name": check_bank_name(name),
            "description": description,
            "enabled": True,
            "suppression": suppression,
            "thresholds": dict(thresholds or {}),
            "created_at": datetime.now(UTC),
        }
        try:
            with self.transaction() as connection:
                created = connection.execute(insert(BankRow).values(**values).returning(BankRow.id))
                note_bank(connection, int(created.scalar_one()), ChangeKind.SETTINGS)
        except IntegrityError:
            raise BankExists(f"bank {name} already exists") from None
        return self.bank(name)

    def bank(self, name: str, connection: Connection | None = None) -> Bank:
        with self._reading(connection) as reader:
            row = reader.execute(select(BankRow.__table__).where(BankRow.name == name)).first()
        if row is None:
            raise BankNotFound(f"no bank named {name}")
        return _bank(row)

    def banks(self) -> list[Bank]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(BankRow.__table__).order_by(BankRow.name)).all()
        return [_bank(row) for row in rows]

    def update_bank(self, name: str, **changes: Any) -> Bank:
        """Change ``description``, ``enabled``, ``suppression`` or ``thresholds``."""
        allowed = {"description", "enabled", "suppression", "thresholds"}
        if not changes or set(changes) - allowed:
            raise InvalidBank(f"only {', '.join(sorted(allowed))} can be changed")
        bank = self.bank(name)
        with self.transaction() as connection:
            connection.execute(update(BankRow).where(BankRow.name == name).values(**changes))
            note_bank(connection, bank.id, ChangeKind.BANK if "enabled" in changes else ChangeKind.SETTINGS)
        return self.bank(name)

    def delete_bank(self, name: str) -> None:
        bank = self.bank(name)
        with self.transaction() as connection:
            connection.execute(delete(EntryRow).where(EntryRow.bank_id == bank.id))
            connection.execute(delete(BankRow).where(BankRow.id == bank.id))
            note_bank(connection, bank.id, ChangeKind.BANK)

    # -- entries -------------------------------------------------------------------------

    def _insert_ignoring_duplicates(self, connection: Connection) -> Any:
        dialect = connection.dialect.name
        module = {"sqlite": sqlite, "postgresql": postgresql}.get(dialect)
        if module is None:
            raise InvalidBank(f"database {dialect} is not supported (SQLite or PostgreSQL)")
        if dialect == "postgresql":  # unique by sha256(hash): see migration 0007
            key: list[Any] = [EntryRow.bank_id, EntryRow.algorithm, func.sha256(EntryRow.hash)]
            return postgresql.insert(EntryRow).on_conflict_do_nothing(index_elements=key)
        return module.insert(EntryRow).on_conflict_do_nothing(index_elements=["bank_id", "algorithm", "hash"])

    def add_entries(
        self, bank_name: str, entries: Iterable[NewEntry], connection: Connection | None = None
    ) -> int:
        """Insert entries in batches; existing (bank, algorithm, hash) rows are left alone.

        Returns how many rows were new. Pass ``connection`` (from ``transaction()``) to make
        the insert part of a larger all-or-nothing unit.
        """
        with self._writing(connection) as writer:
            bank_id = self.bank(bank_name, writer).id
            statement = self._insert_ignoring_duplicates(writer)
            before = self._count(writer, bank_id)
            last_id = writer.execute(select(func.max(EntryRow.id))).scalar_one() or 0
            now = datetime.now(UTC)
            batch: list[dict[str, Any]] = []
            with_regions: list[NewEntry] = []
            pictures: dict[str, list[NewEntry]] = {}
            for entry in entries:
                batch.append(_entry_values(bank_id, entry, now))
                if entry.regions:
                    with_regions.append(entry)
                if entry.picture is not None:
                    pictures.setdefault(entry.picture, []).append(entry)
                if len(batch) >= BATCH:
                    writer.execute(statement, batch)
                    batch = []
            if batch:
                writer.execute(statement, batch)
            self._add_regions(writer, bank_id, with_regions)
            self._link_pictures(writer, bank_id, pictures)
            added = self._count(writer, bank_id) - before
            most = change_log.ENTRY_CHANGES_MAX
            if added > most or len(with_regions) + len(pictures) > most:
                note_bank(writer, bank_id, ChangeKind.BANK)
            else:
                new = select(EntryRow.id).where(EntryRow.bank_id == bank_id, EntryRow.id > last_id)
                linked = [e for members in pictures.values() for e in members]
                resolved = self._ids(writer, bank_id, with_regions + linked)
                touched = set(writer.execute(new).scalars()) | set(resolved.values())
                note_entries(writer, bank_id, sorted(touched))
            return added

    def _ids(
        self, connection: Connection, bank_id: int, entries: list[NewEntry]
    ) -> dict[tuple[str, bytes], int]:
        """Stored ids of ``entries`` by (algorithm, hash)."""
        ids = {}
        for algorithm in {e.algorithm for e in entries}:
            hashes = [e.hash for e in entries if e.algorithm == algorithm]
            query = select(EntryRow.id, EntryRow.hash).where(
                EntryRow.bank_id == bank_id, EntryRow.algorithm == algorithm, EntryRow.hash.in_(hashes)
            )
            ids.update({(algorithm, bytes(raw)): entry_id for entry_id, raw in connection.execute(query)})
        return ids

    def _link_pictures(
        self, connection: Connection, bank_id: int, pictures: dict[str, list[NewEntry]]
    ) -> None:
        """Point the entries of each picture at the one carrying its keypoints; entries already
        linked (added before, from this or another picture with the same hash) keep their link."""
        groups = [members for members in pictures.values() if any(_holds_keypoints(e) for e in members)]
        for start in range(0, len(groups), BATCH):
            chunk = groups[start : start + BATCH]
            ids = self._ids(connection, bank_id, [e for members in chunk for e in members])
            for members in chunk:
                holder = ids[next((e.algorithm, e.hash) for e in members if _holds_keypoints(e))]
                linked = [ids[(e.algorithm, e.hash)] for e in members]
                connection.execute(
                    update(EntryRow)
                    .where(EntryRow.id.in_(linked), EntryRow.picture_id.is_(None))
                    .values(picture_id=holder)
                )

    def keypoints(self, holder_ids: Iterable[int]) -> dict[int, bytes]:
        """The stored keypoint records of the given pictures (``Entry.picture_id``), by that id; a
        picture whose holder entry was deleted is absent."""
        wanted = sorted(set(holder_ids))
        found: dict[int, bytes] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), BATCH):
                query = select(EntryRegionRow.entry_id, EntryRegionRow.hash).where(
                    EntryRegionRow.entry_id.in_(wanted[start : start + BATCH]),
                    EntryRegionRow.region == KEYPOINTS_REGION,
                )
                found.update({int(entry_id): bytes(raw) for entry_id, raw in connection.execute(query)})
        return found

    def _add_regions(self, connection: Connection, bank_id: int, entries: list[NewEntry]) -> None:
        """Store the entries' region hashes; regions an entry already has are left alone."""
        for start in range(0, len(entries), BATCH):
            chunk = entries[start : start + BATCH]
            ids = self._ids(connection, bank_id, chunk)
            rows = [
                {"entry_id": ids[(e.algorithm, e.hash)], "region": name, "hash": raw}
                for e in chunk
                for name, raw in e.regions
            ]
            module = sqlite if connection.dialect.name == "sqlite" else postgresql
            insert_rows = module.insert(EntryRegionRow).on_conflict_do_nothing(
                index_elements=["entry_id", "region"]
            )
            connection.execute(insert_rows, rows)

    def _count(self, connection: Connection, bank_id: int) -> int:
        query = select(func.count()).select_from(EntryRow).where(EntryRow.bank_id == bank_id)
        return int(connection.execute(query).scalar_one())

    def count_entries(self, bank_name: str) -> int:
        with self.engine.connect() as connection:
            return self._count(connection, self.bank(bank_name, connection).id)

    def count_by_algorithm(self, bank_name: str) -> dict[str, int]:
        with self.engine.connect() as connection:
            bank_id = self.bank(bank_name, connection).id
            query = (
                select(EntryRow.algorithm, func.count())
                .where(EntryRow.bank_id == bank_id)
                .group_by(EntryRow.algorithm)
                .order_by(EntryRow.algorithm)
            )
            return {str(algorithm): int(count) for algorithm, count in connection.execute(query)}

    def entries(
        self, bank_name: str | None = None, algorithm: str | None = None, *, after: int = 0
    ) -> Iterator[Entry]:
        """Stream entries in id order (ids above ``after``), optionally of one bank and/or algorithm."""
        last_id = after
        while True:
            query = _entry_rows().where(EntryRow.id > last_id).order_by(EntryRow.id).limit(BATCH)
            if bank_name is not None:
                query = query.where(EntryRow.bank_id == self.bank(bank_name).id)
            if algorithm is not None:
                query = query.where(EntryRow.algorithm == algorithm)
            with self.engine.connect() as connection:
                rows = connection.execute(query).all()
            if not rows:
                return
            yield from (_entry(row) for row in rows)
            last_id = rows[-1].id

    def active_hashes(
        self, bank_ids: Iterable[int], now: datetime, quality_floors: Mapping[str, int] | None = None
    ) -> Iterator[tuple[int, str, bytes]]:
        """``(id, algorithm, hash)`` of the banks' entries that may match at ``now`` (``matchable``:
        not disabled, not quarantined, bank enabled), in no set order.

        ``quality_floors``: per algorithm, the lowest stored quality that may match; entries
        below it are left out (entries without a quality are kept).

        The lean path for building indexes: one streamed query (a server-side cursor on
        PostgreSQL), no entry objects.
        """
        chosen = sorted(set(bank_ids))
        if not chosen:
            return
        query = select(EntryRow.id, EntryRow.algorithm, EntryRow.hash).where(
            EntryRow.bank_id.in_(chosen), matchable(now)
        )
        for algorithm, floor in (quality_floors or {}).items():
            query = query.where(
                (EntryRow.algorithm != algorithm) | EntryRow.quality.is_(None) | (EntryRow.quality >= floor)
            )
        with self.engine.connect() as connection:
            streamed = connection.execution_options(stream_results=True, yield_per=5 * BATCH)
            for entry_id, algorithm, raw in streamed.execute(query):
                yield entry_id, algorithm, bytes(raw)

    def active_region_hashes(
        self, bank_ids: Iterable[int], now: datetime
    ) -> Iterator[tuple[int, str, str, bytes]]:
        """``(entry id, algorithm, region, hash)`` of the region hashes of the banks' entries that
        may match at ``now``, by the same rule as ``active_hashes``."""
        chosen = sorted(set(bank_ids))
        if not chosen:
            return
        query = (
            select(EntryRegionRow.entry_id, EntryRow.algorithm, EntryRegionRow.region, EntryRegionRow.hash)
            .join(EntryRow, EntryRow.id == EntryRegionRow.entry_id)
            .where(EntryRow.bank_id.in_(chosen), matchable(now), EntryRegionRow.region != KEYPOINTS_REGION)
        )
        with self.engine.connect() as connection:
            streamed = connection.execution_options(stream_results=True, yield_per=5 * BATCH)
            for entry_id, algorithm, region, raw in streamed.execute(query):
                yield entry_id, algorithm, region, bytes(raw)

    def count_regions(self, bank_name: str) -> int:
        """How many region hashes the bank's entries hold (keypoint records are not hashes)."""
        with self.engine.connect() as connection:
            bank_id = self.bank(bank_name, connection).id
            query = (
                select(func.count())
                .select_from(EntryRegionRow)
                .join(EntryRow, EntryRow.id == EntryRegionRow.entry_id)
                .where(EntryRow.bank_id == bank_id, EntryRegionRow.region != KEYPOINTS_REGION)
            )
            return int(connection.execute(query).scalar_one())

    def get_entries(self, ids: Iterable[int]) -> list[Entry]:
        wanted = sorted(set(ids))
        found: list[Entry] = []
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), BATCH):
                query = _entry_rows().where(EntryRow.id.in_(wanted[start : start + BATCH]))
                found.extend(_entry(row) for row in connection.execute(query))
        return sorted(found, key=lambda e: e.id)

    def delete_entries(self, ids: Iterable[int], connection: Connection | None = None) -> int:
        wanted = list(ids)
        with self._writing(connection) as writer:
            removed = 0
            for start in range(0, len(wanted), BATCH):
                chosen = wanted[start : start + BATCH]
                self._note_by_bank(
                    writer, select(EntryRow.bank_id, EntryRow.id).where(EntryRow.id.in_(chosen))
                )
                removed += writer.execute(delete(EntryRow).where(EntryRow.id.in_(chosen))).rowcount
            return removed

    def _note_by_bank(self, connection: Connection, rows: Select[int, int]) -> None:
        """Note the entries that ``rows`` (bank id, entry id) selects as changed, bank by bank."""
        by_bank: dict[int, list[int]] = {}
        for bank_id, entry_id in connection.execute(rows):
            by_bank.setdefault(int(bank_id), []).append(int(entry_id))
        for bank_id, entry_ids in by_bank.items():
            note_entries(connection, bank_id, entry_ids)

    def delete_by_external_id(
        self, bank_name: str, external_ids: Iterable[str], connection: Connection
    ) -> int:
        bank_id = self.bank(bank_name, connection).id
        wanted = list(external_ids)
        removed = 0
        for start in range(0, len(wanted), BATCH):
            chosen = wanted[start : start + BATCH]
            which = (EntryRow.bank_id == bank_id) & EntryRow.external_id.in_(chosen)
            self._note_by_bank(connection, select(EntryRow.bank_id, EntryRow.id).where(which))
            removed += connection.execute(delete(EntryRow).where(which)).rowcount
        return removed

    def entries_by_external_id(
        self, bank_name: str, external_ids: Iterable[str], connection: Connection
    ) -> dict[str, list[Entry]]:
        """The bank's entries that carry one of ``external_ids``, by external id."""
        bank_id = self.bank(bank_name, connection).id
        wanted = sorted(set(external_ids))
        found: dict[str, list[Entry]] = {}
        for start in range(0, len(wanted), BATCH):
            chosen = wanted[start : start + BATCH]
            query = _entry_rows().where(EntryRow.bank_id == bank_id, EntryRow.external_id.in_(chosen))
            for row in connection.execute(query.order_by(EntryRow.id)):
                entry = _entry(row)
                found.setdefault(entry.external_id or "", []).append(entry)
        return found

    def update_entry_details(self, changed: Iterable[tuple[int, NewEntry]], connection: Connection) -> int:
        """Give each entry (by id) the classification, source and tags of the record that now
        describes it (an update from the list's producer); its hash, id, curation and history
        stay. Returns how many entries changed."""
        updated = []
        for entry_id, record in changed:
            values = {
                "classification": record.classification.value if record.classification else None,
                "source": record.source,
                "tags": list(record.tags),
            }
            connection.execute(update(EntryRow).where(EntryRow.id == entry_id).values(**values))
            updated.append(entry_id)
        if updated:
            self.note_entries_changed(connection, updated)
        return len(updated)

    def set_entry_disabled_until(self, entry_id: int, until: datetime | None) -> None:
        with self.transaction() as connection:
            connection.execute(update(EntryRow).where(EntryRow.id == entry_id).values(disabled_until=until))
            self._note_by_bank(
                connection, select(EntryRow.bank_id, EntryRow.id).where(EntryRow.id == entry_id)
            )

    def note_entries_changed(self, connection: Connection, entry_ids: Iterable[int]) -> None:
        """For writers outside this class (quarantine, feedback): note, in their ``transaction()``,
        that these entries' matchability changed."""
        self._note_by_bank(
            connection, select(EntryRow.bank_id, EntryRow.id).where(EntryRow.id.in_(list(entry_ids)))
        )

    # -- helpers -------------------------------------------------------------------------

    @contextmanager
    def _reading(self, connection: Connection | None) -> Iterator[Connection]:
        if connection is not None:
            yield connection
            return
        with self.engine.connect() as fresh:
            yield fresh

    @contextmanager
    def _writing(self, connection: Connection | None) -> Iterator[Connection]:
        if connection is not None:
            yield connection
            return
        with self.transaction() as fresh:
            yield fresh

"""Persisted CyberTipline reports and the files sent with them.

Rows hold NCMEC's ids, the validated report details, the state and its times, and for each
file its name, size, MD5 and SHA-1: never the file's bytes. Like accounts, report writes
do not go through ``Store.transaction`` (they must not invalidate match indexes).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from mediamatch.errors import ReportNotFound
from mediamatch.store.models import ReportFileRow, ReportRow
from mediamatch.store.records import as_utc, as_utc_or_none
from mediamatch.store.store import Store

OPEN_FOR = timedelta(hours=24)
"""NCMEC deletes a report left unfinished 24 hours after it was opened..."""
IDLE_FOR = timedelta(hours=1)
"""...or 1 hour after its last change (upload or file details), whichever is later."""


class ReportState(enum.Enum):
    """draft -> open -> files_uploaded -> finished; retracted or failed end it early."""

    DRAFT = "draft"
    OPEN = "open"
    FILES_UPLOADED = "files_uploaded"
    FINISHED = "finished"
    RETRACTED = "retracted"
    FAILED = "failed"

    @property
    def at_ncmec(self) -> bool:
        """The report exists at NCMEC and can still take files, be finished or retracted."""
        return self in (ReportState.OPEN, ReportState.FILES_UPLOADED)


@dataclass(frozen=True, slots=True)
class ReportFile:
    id: int
    ncmec_file_id: str
    file_name: str | None
    size: int
    md5: str
    sha1: str
    details: dict[str, Any]
    details_sent: bool
    uploaded_at: datetime


@dataclass(frozen=True, slots=True)
class ReportRecord:
    id: int
    organisation_id: int
    key_id: str
    environment: str
    state: ReportState
    ncmec_report_id: str | None
    failure: str | None
    tracking_ids: tuple[str, ...]
    entry_ids: tuple[int, ...]
    details: dict[str, Any]
    created_at: datetime
    opened_at: datetime | None
    modified_at: datetime
    closed_at: datetime | None
    files: tuple[ReportFile, ...] = ()

    @property
    def expires_at(self) -> datetime | None:
        """When NCMEC deletes this report if it is not finished (None once it is closed)."""
        if not self.state.at_ncmec or self.opened_at is None:
            return None
        return max(self.opened_at + OPEN_FOR, self.modified_at + IDLE_FOR)

    def expired(self, now: datetime | None = None) -> bool:
        expires = self.expires_at
        return expires is not None and (now or datetime.now(UTC)) >= expires


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """What makes a report request idempotent: the caller's ``Idempotency-Key`` and the SHA-256 of
    the request body (hex)."""

    key: str
    digest: str


class DuplicateReportRequest(Exception):
    """Another request with the same idempotency key was first (internal: ``ReportDesk`` answers it)."""


class ReportStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    def create(
        self,
        organisation_id: int,
        key_id: str,
        environment: str,
        tracking_ids: Iterable[str],
        entry_ids: Iterable[int],
        details: dict[str, Any],
        request: ReportRequest | None = None,
    ) -> ReportRecord:
        """A draft; with ``request``, DuplicateReportRequest if the organisation already has a report
        opened under that idempotency key (a concurrent retry: the database decides who is first)."""
        now = datetime.now(UTC)
        values = {
            "organisation_id": organisation_id,
            "key_id": key_id,
            "environment": environment,
            "state": ReportState.DRAFT.value,
            "tracking_ids": list(tracking_ids),
            "entry_ids": sorted(set(entry_ids)),
            "details": details,
            "created_at": now,
            "modified_at": now,
        }
        if request is not None:
            values |= {"idempotency_key": request.key, "request_digest": request.digest}
        try:
            with self.store.engine.begin() as connection:
                inserted = connection.execute(insert(ReportRow).values(**values)).inserted_primary_key
        except IntegrityError:
            if request is None:
                raise
            raise DuplicateReportRequest(request.key) from None
        return self.get(_new_id(inserted))

    def by_request(self, organisation_id: int, key: str) -> tuple[ReportRecord, str | None] | None:
        """The organisation's report opened under idempotency ``key``, with that request's body digest."""
        where = (ReportRow.organisation_id == organisation_id) & (ReportRow.idempotency_key == key)
        with self.store.engine.connect() as connection:
            row = connection.execute(select(ReportRow.id, ReportRow.request_digest).where(where)).first()
        return None if row is None else (self.get(row.id), row.request_digest)

    def reported_tracking_ids(self, organisation_id: int, tracking_ids: Iterable[str]) -> dict[str, int]:
        """Which of ``tracking_ids`` the organisation's reports already name (failed ones aside), by the
        id of the first report naming each."""
        wanted = set(tracking_ids)
        query = (
            select(ReportRow.id, ReportRow.tracking_ids)
            .where(ReportRow.organisation_id == organisation_id, ReportRow.state != ReportState.FAILED.value)
            .order_by(ReportRow.id)
        )
        found: dict[str, int] = {}
        with self.store.engine.connect() as connection:
            for report_id, named in connection.execute(query):
                for tracking_id in set(named) & wanted:
                    found.setdefault(tracking_id, int(report_id))
        return found

    def set_state(self, report_id: int, state: ReportState, **changes: Any) -> ReportRecord:
        """Move to ``state``; ``changes`` may set ncmec_report_id, failure, opened_at or closed_at."""
        now = datetime.now(UTC)
        values: dict[str, Any] = {"state": state.value, "modified_at": now, **changes}
        if state is ReportState.OPEN and "opened_at" not in changes:
            values["opened_at"] = now
        if state in (ReportState.FINISHED, ReportState.RETRACTED, ReportState.FAILED):
            values.setdefault("closed_at", now)
        with self.store.engine.begin() as connection:
            connection.execute(update(ReportRow).where(ReportRow.id == report_id).values(**values))
        return self.get(report_id)

    def add_file(
        self,
        report_id: int,
        ncmec_file_id: str,
        file_name: str | None,
        size: int,
        md5: str,
        sha1: str,
        details: dict[str, Any],
    ) -> int:
        now = datetime.now(UTC)
        values = {
            "report_id": report_id,
            "ncmec_file_id": ncmec_file_id,
            "file_name": file_name,
            "size": size,
            "md5": md5,
            "sha1": sha1,
            "details": details,
            "details_sent": False,
            "uploaded_at": now,
        }
        with self.store.engine.begin() as connection:
            file_id = _new_id(connection.execute(insert(ReportFileRow).values(**values)).inserted_primary_key)
            connection.execute(update(ReportRow).where(ReportRow.id == report_id).values(modified_at=now))
        return file_id

    def mark_details_sent(self, file_id: int) -> None:
        with self.store.engine.begin() as connection:
            connection.execute(
                update(ReportFileRow).where(ReportFileRow.id == file_id).values(details_sent=True)
            )

    def get(self, report_id: int, organisation_id: int | None = None) -> ReportRecord:
        """The report; with ``organisation_id``, only if it belongs to that organisation."""
        found = self._records(ReportRow.id == report_id)
        if not found or (organisation_id is not None and found[0].organisation_id != organisation_id):
            raise ReportNotFound(f"no report {report_id}")
        return found[0]

    def recent(self, organisation_id: int | None = None, limit: int = 100) -> list[ReportRecord]:
        """The newest reports first, of one organisation or (None) of all."""
        where = None if organisation_id is None else ReportRow.organisation_id == organisation_id
        return self._records(where, limit)

    def _records(self, where: Any = None, limit: int = 1) -> list[ReportRecord]:
        query = select(ReportRow.__table__).order_by(ReportRow.id.desc()).limit(limit)
        if where is not None:
            query = query.where(where)
        with self.store.engine.connect() as connection:
            rows = connection.execute(query).all()
            ids = [row.id for row in rows]
            file_rows = connection.execute(
                select(ReportFileRow.__table__)
                .where(ReportFileRow.report_id.in_(ids))
                .order_by(ReportFileRow.id)
            ).all()
        files: dict[int, list[ReportFile]] = {}
        for f in file_rows:
            files.setdefault(f.report_id, []).append(
                ReportFile(
                    f.id,
                    f.ncmec_file_id,
                    f.file_name,
                    f.size,
                    f.md5,
                    f.sha1,
                    f.details,
                    f.details_sent,
                    as_utc(f.uploaded_at),
                )
            )
        return [_record(row, tuple(files.get(row.id, ()))) for row in rows]


def _new_id(key: Any) -> int:
    if not key:
        raise RuntimeError("the database returned no primary key for an insert")
    return int(key[0])


def _record(row: Any, files: tuple[ReportFile, ...]) -> ReportRecord:
    return ReportRecord(
        id=row.id,
        organisation_id=row.organisation_id,
        key_id=row.key_id,
        environment=row.environment,
        state=ReportState(row.state),
        ncmec_report_id=row.ncmec_report_id,
        failure=row.failure,
        tracking_ids=tuple(row.tracking_ids),
        entry_ids=tuple(row.entry_ids),
        details=row.details,
        created_at=as_utc(row.created_at),
        opened_at=as_utc_or_none(row.opened_at),
        modified_at=as_utc(row.modified_at),
        closed_at=as_utc_or_none(row.closed_at),
        files=files,
    )

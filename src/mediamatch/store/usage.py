"""Match requests as the audit log records them (for usage reports, reports to NCMEC and feedback),
and entry → bank names."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from mediamatch.store.models import AuditRow, BankRow, EntryRow, OrganisationRow
from mediamatch.store.records import as_utc
from mediamatch.store.store import BATCH, Store

MATCH_ENDPOINTS = ("POST /v1/match", "POST /photodna/v1.0/Match")


@dataclass(frozen=True, slots=True)
class MatchRequest:
    at: datetime
    organisation_id: int | None
    items: int
    matched_entry_ids: tuple[int, ...]
    matched_items: tuple[tuple[int, ...], ...] | None
    """Per matched item its entry ids; None for requests audited before this was recorded."""


def match_requests(
    store: Store, start: datetime, end: datetime, organisation_id: int | None = None
) -> Iterator[MatchRequest]:
    """Match requests answered 2xx with ``start <= at < end``, streamed."""
    query = select(
        AuditRow.at,
        AuditRow.organisation_id,
        AuditRow.items,
        AuditRow.matched_entry_ids,
        AuditRow.matched_items,
    ).where(
        AuditRow.at >= start,
        AuditRow.at < end,
        AuditRow.endpoint.in_(MATCH_ENDPOINTS),
        AuditRow.outcome.like("2%"),
    )
    if organisation_id is not None:
        query = query.where(AuditRow.organisation_id == organisation_id)
    with store.engine.connect() as connection:
        streamed = connection.execution_options(stream_results=True, yield_per=BATCH)
        for at, organisation, items, matched, per_item in streamed.execute(query):
            yield MatchRequest(
                as_utc(at),
                organisation,
                int(items),
                tuple(int(i) for i in matched or ()),
                None if per_item is None else tuple(tuple(int(i) for i in ids) for ids in per_item),
            )


def matched_by_tracking_id(
    store: Store, tracking_ids: Iterable[str], organisation_id: int
) -> dict[str, tuple[int, ...]]:
    """The entry ids matched by each of the organisation's audited match requests among
    ``tracking_ids`` (a request that matched nothing maps to an empty tuple; a tracking id
    unknown or of another organisation is absent)."""
    wanted = list(dict.fromkeys(tracking_ids))
    query = select(AuditRow.tracking_id, AuditRow.matched_entry_ids).where(
        AuditRow.tracking_id.in_(wanted),
        AuditRow.organisation_id == organisation_id,
        AuditRow.endpoint.in_(MATCH_ENDPOINTS),
    )
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    return {tracking_id: tuple(int(i) for i in matched or ()) for tracking_id, matched in rows}


def organisation_names(store: Store) -> dict[int, str]:
    with store.engine.connect() as connection:
        return {
            int(i): str(n) for i, n in connection.execute(select(OrganisationRow.id, OrganisationRow.name))
        }


def entry_banks(store: Store, entry_ids: Iterable[int]) -> dict[int, str]:
    """The bank name of each entry that still exists."""
    wanted = sorted(set(entry_ids))
    found: dict[int, str] = {}
    with store.engine.connect() as connection:
        for start in range(0, len(wanted), BATCH):
            query = (
                select(EntryRow.id, BankRow.name)
                .join(BankRow, BankRow.id == EntryRow.bank_id)
                .where(EntryRow.id.in_(wanted[start : start + BATCH]))
            )
            found.update({int(i): str(n) for i, n in connection.execute(query)})
    return found

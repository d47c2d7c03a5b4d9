"""Usage reports from audit rows: UTC days, inclusive ends, per-bank image counts, bad periods."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert

from mediamatch.errors import InvalidPeriod
from mediamatch.reporting.usage import UsageRow, parse_day, rows_as_csv, usage_report
from mediamatch.store import NewEntry, Store
from mediamatch.store.accounts import AccountStore
from mediamatch.store.models import AuditRow


def _audit(
    store: Store, at: datetime, org: int, items: int, per_item: list[list[int]] | None, **extra: object
) -> None:
    values = {
        "at": at,
        "tracking_id": "t",
        "key_id": None,
        "organisation_id": org,
        "endpoint": "POST /v1/match",
        "items": items,
        "matches": 0,
        "matched_entry_ids": [i for ids in per_item or [] for i in ids],
        "matched_items": per_item,
        "outcome": "200",
        "latency_ms": 1.0,
        **extra,
    }
    with store.engine.begin() as connection:
        connection.execute(insert(AuditRow).values(**values))


def _entries(store: Store) -> tuple[int, int, int]:
    for name in ("ALPHA", "BETA"):
        store.create_bank(name)
    store.add_entries("ALPHA", [NewEntry("md5", bytes([1]) * 16), NewEntry("md5", bytes([2]) * 16)])
    store.add_entries("BETA", [NewEntry("md5", bytes([3]) * 16)])
    a1, a2 = (e.id for e in store.entries("ALPHA"))
    return a1, a2, next(store.entries("BETA")).id


def test_counts_per_organisation_bank_and_utc_day(store: Store) -> None:
    a1, a2, b1 = _entries(store)
    accounts = AccountStore(store, b"pepper")
    acme, rival = accounts.create_organisation("acme").id, accounts.create_organisation("rival").id
    day1, day2 = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)
    _audit(store, day1.replace(hour=0), acme, 3, [[a1, a2], [a1, b1]])  # image 1: two ALPHA entries
    _audit(store, day1.replace(hour=23, minute=59, second=59), acme, 2, [])
    _audit(store, day2.replace(hour=0), acme, 1, [[b1]])
    _audit(store, day1.replace(hour=12), rival, 4, None, matched_entry_ids=[a1])  # audited before per-item
    _audit(store, day1.replace(hour=12), acme, 5, [[a1]], outcome="429")  # refused: not counted
    _audit(store, day1.replace(hour=12), acme, 5, [[a1]], endpoint="POST /v1/hash")  # not a match
    _audit(store, datetime(2026, 2, 28, 23, 59, tzinfo=UTC), acme, 9, [[a1]])  # outside the period
    rows = usage_report(store, date(2026, 3, 1), date(2026, 3, 2))
    assert rows == [
        UsageRow(date(2026, 3, 1), "acme", None, 5, 2),
        UsageRow(date(2026, 3, 1), "acme", "ALPHA", None, 2),
        UsageRow(date(2026, 3, 1), "acme", "BETA", None, 1),
        UsageRow(date(2026, 3, 1), "rival", None, 4, 1),
        UsageRow(date(2026, 3, 1), "rival", "ALPHA", None, 1),
        UsageRow(date(2026, 3, 2), "acme", None, 1, 1),
        UsageRow(date(2026, 3, 2), "acme", "BETA", None, 1),
    ]
    assert usage_report(store, date(2026, 3, 2), date(2026, 3, 2), acme) == rows[5:]
    assert [r.organisation for r in usage_report(store, date(2026, 3, 1), date(2026, 3, 1), rival)] == [
        "rival"
    ] * 2
    store.delete_entries([b1])
    assert UsageRow(date(2026, 3, 2), "acme", "(deleted)", None, 1) in usage_report(
        store, date(2026, 3, 2), date(2026, 3, 2)
    )
    assert rows_as_csv(rows[:2]).splitlines() == [
        "day,organisation,bank,images_checked,images_matched",
        "2026-03-01,acme,,5,2",
        "2026-03-01,acme,ALPHA,,2",
    ]


def test_bad_periods_get_clear_errors(store: Store) -> None:
    with pytest.raises(InvalidPeriod, match="from must be a date like 2026-01-31, not '2026-13-01'"):
        parse_day("2026-13-01", "from")
    with pytest.raises(InvalidPeriod, match="to must be a date"):
        parse_day("yesterday", "to")
    with pytest.raises(InvalidPeriod, match="ends"):
        usage_report(store, date(2026, 3, 2), date(2026, 3, 1))
    assert usage_report(store, date(2026, 3, 1), date(2026, 3, 1)) == []

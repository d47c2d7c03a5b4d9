"""Usage reports: images checked and matched per organisation, bank and UTC day, from the audit log.

Counted are match requests (``POST /v1/match``, ``POST /photodna/v1.0/Match``) answered
2xx. Per organisation and day, the row with ``bank`` None gives ``images_checked`` (items
sent, including items that failed individually) and ``images_matched`` (items with at
least one match). Per bank, ``images_matched`` counts items with a match in that bank (an
image matching two banks counts once in each); ``images_checked`` is None there, as every
item is checked against all banks its key may see. Banks are resolved from entry ids when
the report is made: entries deleted since count under ``(deleted)``. Requests audited
before per-item matches were recorded count each matched entry as one image.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from mediamatch.errors import InvalidPeriod
from mediamatch.store import Store
from mediamatch.store.usage import entry_banks, match_requests, organisation_names

DELETED = "(deleted)"
COLUMNS = ("day", "organisation", "bank", "images_checked", "images_matched")


@dataclass(frozen=True, slots=True)
class UsageRow:
    day: date
    organisation: str
    bank: str | None
    images_checked: int | None
    images_matched: int


def parse_day(text: str, name: str) -> date:
    """A ``YYYY-MM-DD`` date; InvalidPeriod naming ``name`` otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidPeriod(f"{name} must be a date like 2026-01-31, not {text!r}") from None


def usage_report(store: Store, first: date, last: date, organisation_id: int | None = None) -> list[UsageRow]:
    """Rows for the UTC days ``first`` to ``last`` inclusive, sorted by day, organisation, bank."""
    if last < first:
        raise InvalidPeriod(f"the period ends ({last}) before it starts ({first})")
    start = datetime.combine(first, time(), UTC)
    end = datetime.combine(last + timedelta(days=1), time(), UTC)
    checked: Counter[tuple[date, int | None]] = Counter()
    matched: Counter[tuple[date, int | None, tuple[int, ...]]] = Counter()
    for request in match_requests(store, start, end, organisation_id):
        day = request.at.astimezone(UTC).date()
        checked[day, request.organisation_id] += request.items
        per_item = request.matched_items
        if per_item is None:
            per_item = tuple((entry_id,) for entry_id in request.matched_entry_ids)
        for ids in per_item:
            matched[day, request.organisation_id, tuple(sorted(set(ids)))] += 1
    banks = entry_banks(store, {i for _, _, ids in matched for i in ids})
    names = organisation_names(store)
    totals: Counter[tuple[date, int | None]] = Counter()
    per_bank: Counter[tuple[date, int | None, str]] = Counter()
    for (day, organisation, ids), count in matched.items():
        totals[day, organisation] += count
        for bank in {banks.get(i, DELETED) for i in ids}:
            per_bank[day, organisation, bank] += count
    rows = [UsageRow(d, _name(names, o), None, n, totals[d, o]) for (d, o), n in checked.items()]
    rows += [UsageRow(d, _name(names, o), b, None, n) for (d, o, b), n in per_bank.items()]
    return sorted(rows, key=lambda r: (r.day, r.organisation, r.bank or ""))


def _name(names: dict[int, str], organisation_id: int | None) -> str:
    return "(none)" if organisation_id is None else names.get(organisation_id, f"#{organisation_id}")


def rows_as_dicts(rows: list[UsageRow]) -> list[dict[str, Any]]:
    return [{**asdict(row), "day": row.day.isoformat()} for row in rows]


def rows_as_csv(rows: list[UsageRow]) -> str:
    """CSV with a header; empty cells for None."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows_as_dicts(rows):
        writer.writerow(["" if row[c] is None else row[c] for c in COLUMNS])
    return out.getvalue()

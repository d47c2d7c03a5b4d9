"""Persisted reports on SQLite and PostgreSQL: states, times, files, and match lookups."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mediamatch.errors import ReportNotFound
from mediamatch.store import Store
from mediamatch.store.accounts import AccountStore, AuditRecord
from mediamatch.store.reports import IDLE_FOR, OPEN_FOR, ReportState, ReportStore
from mediamatch.store.usage import matched_by_tracking_id


@pytest.fixture
def reports(store: Store) -> ReportStore:
    accounts = AccountStore(store, b"pepper")
    accounts.create_organisation("acme")
    accounts.create_organisation("rival")
    return ReportStore(store)


def test_a_report_moves_through_its_states(reports: ReportStore) -> None:
    draft = reports.create(1, "key1", "test", ["t1"], [5, 3, 5], {"a": 1})
    assert draft.state is ReportState.DRAFT
    assert draft.entry_ids == (3, 5)
    assert draft.expires_at is None
    opened = reports.set_state(draft.id, ReportState.OPEN, ncmec_report_id="4564654")
    assert opened.opened_at is not None
    assert opened.expires_at == max(opened.opened_at + OPEN_FOR, opened.modified_at + IDLE_FOR)
    assert not opened.expired()
    assert opened.expired(opened.opened_at + OPEN_FOR + timedelta(seconds=1))
    file_id = reports.add_file(draft.id, "f1", "a.jpg", 10, "0" * 32, "1" * 40, {"x": True})
    reports.mark_details_sent(file_id)
    finished = reports.set_state(draft.id, ReportState.FINISHED)
    assert finished.closed_at is not None
    assert finished.expires_at is None
    assert [(f.ncmec_file_id, f.details_sent, f.details) for f in finished.files] == [
        ("f1", True, {"x": True})
    ]


def test_reports_belong_to_their_organisation(reports: ReportStore) -> None:
    mine = reports.create(1, "key1", "live", ["t1"], [1], {})
    reports.create(2, "key2", "live", ["t2"], [1], {})
    assert reports.get(mine.id, 1) == mine
    with pytest.raises(ReportNotFound):
        reports.get(mine.id, 2)
    assert [r.organisation_id for r in reports.recent(1)] == [1]
    assert len(reports.recent()) == 2


def test_matches_by_tracking_id_come_from_the_audit_log(store: Store, reports: ReportStore) -> None:
    accounts = AccountStore(store, b"pepper")
    accounts.audit_many(
        [
            AuditRecord("t-match", "k", 1, "POST /v1/match", 1, (7, 8), "200", 3.0),
            AuditRecord("t-photodna", "k", 1, "POST /photodna/v1.0/Match", 1, (9,), "200", 3.0),
            AuditRecord("t-nothing", "k", 1, "POST /v1/match", 1, (), "200", 3.0),
            AuditRecord("t-hash", "k", 1, "POST /v1/hash", 1, (), "200", 3.0),
            AuditRecord("t-rival", "k", 2, "POST /v1/match", 1, (7,), "200", 3.0),
        ]
    )
    wanted = ["t-match", "t-photodna", "t-nothing", "t-hash", "t-rival", "t-none"]
    assert matched_by_tracking_id(store, wanted, 1) == {
        "t-match": (7, 8),
        "t-photodna": (9,),
        "t-nothing": (),
    }

"""Feedback: only on one's own matches; disputes by enough organisations quarantine an entry,
which the matcher then skips until it is reinstated or moved to a suppression bank."""

from __future__ import annotations

import pytest

from mediamatch.algorithms import PdqAlgorithm, default_registry
from mediamatch.engine.matching import Matcher
from mediamatch.errors import BankNotFound, FeedbackRejected, InvalidBank
from mediamatch.reporting.feedback import give_feedback
from mediamatch.samples import synthetic_photo
from mediamatch.store import NewEntry, Store
from mediamatch.store.accounts import AccountStore, AuditRecord
from mediamatch.store.feedback import FeedbackStore

PDQ = PdqAlgorithm()
PHOTO = synthetic_photo(11)


def _setup(store: Store) -> tuple[list[int], int]:
    """Three organisations, each with a match request (tracking id ``t-<org>``) that matched the entry."""
    store.create_bank("KNOWN")
    store.add_entries("KNOWN", [NewEntry("pdq", PDQ.hash_pixels(PHOTO).value.data, external_id="k1")])
    entry_id = next(store.entries("KNOWN")).id
    accounts = AccountStore(store, b"pepper")
    organisations = [accounts.create_organisation(name).id for name in ("acme", "rival", "third")]
    accounts.audit_many(
        AuditRecord(f"t-{org}", None, org, "POST /v1/match", 1, (entry_id,), "200", 1.0)
        for org in organisations
    )
    return organisations, entry_id


def _matched(store: Store) -> list[str]:
    matcher = Matcher(store, default_registry())
    found = matcher.match_results("x", {"pdq": PDQ.hash_pixels(PHOTO)})
    return [f"{m.bank}:{m.external_id}" for m in [*found.matches, *found.suppressed_by]]


def test_feedback_needs_a_request_of_ones_own_organisation_that_matched_the_entry(store: Store) -> None:
    (acme, rival, _), entry_id = _setup(store)
    feedback = FeedbackStore(store)
    with pytest.raises(FeedbackRejected):
        give_feedback(feedback, acme, f"t-{rival}", entry_id, "dispute")
    with pytest.raises(FeedbackRejected):
        give_feedback(feedback, acme, f"t-{acme}", entry_id + 1, "dispute")
    with pytest.raises(FeedbackRejected):
        give_feedback(feedback, acme, "no-such-request", entry_id, "confirm")
    with pytest.raises(InvalidBank, match="verdict"):
        give_feedback(feedback, acme, f"t-{acme}", entry_id, "maybe")


def test_disputes_from_enough_organisations_quarantine_until_reinstated(store: Store) -> None:
    (acme, rival, third), entry_id = _setup(store)
    feedback = FeedbackStore(store)
    before = store.revision()
    first = give_feedback(feedback, acme, f"t-{acme}", entry_id, "dispute", quarantine_after=2)
    again = give_feedback(feedback, acme, f"t-{acme}", entry_id, "dispute", "still wrong", quarantine_after=2)
    assert (first.disputes, again.disputes, again.quarantined) == (1, 1, False)
    assert store.revision() == before, "a verdict alone must not make every matcher rebuild"
    give_feedback(feedback, third, f"t-{third}", entry_id, "confirm", quarantine_after=2)
    assert _matched(store) == ["KNOWN:k1"]
    outcome = give_feedback(feedback, rival, f"t-{rival}", entry_id, "dispute", quarantine_after=2)
    assert (outcome.disputes, outcome.quarantined) == (2, True)
    assert store.revision() != before
    assert _matched(store) == []
    [held] = feedback.quarantined()
    assert (held.entry.id, held.disputes) == (entry_id, 2)
    feedback.reinstate(entry_id)
    assert _matched(store) == ["KNOWN:k1"]
    assert feedback.quarantined() == []
    after = give_feedback(feedback, acme, f"t-{acme}", entry_id, "dispute", quarantine_after=2)
    assert (after.disputes, after.quarantined) == (1, False), "reinstating clears the earlier disputes"
    with pytest.raises(InvalidBank, match="not quarantined"):
        feedback.reinstate(entry_id)


def test_a_later_confirmation_replaces_the_organisations_dispute(store: Store) -> None:
    (acme, rival, _), entry_id = _setup(store)
    feedback = FeedbackStore(store)
    give_feedback(feedback, acme, f"t-{acme}", entry_id, "dispute", quarantine_after=2)
    give_feedback(feedback, acme, f"t-{acme}", entry_id, "confirm", quarantine_after=2)
    outcome = give_feedback(feedback, rival, f"t-{rival}", entry_id, "dispute", quarantine_after=2)
    assert (outcome.disputes, outcome.quarantined) == (1, False)


def test_suppressing_moves_the_entry_into_a_suppression_bank(store: Store) -> None:
    (acme, rival, _), entry_id = _setup(store)
    feedback = FeedbackStore(store)
    for org in (acme, rival):
        give_feedback(feedback, org, f"t-{org}", entry_id, "dispute", quarantine_after=2)
    store.create_bank("OTHER")
    with pytest.raises(InvalidBank, match="not a suppression bank"):
        feedback.suppress(entry_id, "OTHER")
    with pytest.raises(BankNotFound):
        feedback.suppress(entry_id, "MISSING")
    assert _matched(store) == []
    store.create_bank("FALSE_POSITIVES", suppression=True)
    moved = feedback.suppress(entry_id, "FALSE_POSITIVES")
    assert (moved.external_id, moved.hash) == ("k1", PDQ.hash_pixels(PHOTO).value.data)
    assert store.count_entries("KNOWN") == 0
    assert feedback.quarantined() == []
    assert _matched(store) == ["FALSE_POSITIVES:k1"]
    with pytest.raises(BankNotFound):
        feedback.suppress(entry_id, "FALSE_POSITIVES")

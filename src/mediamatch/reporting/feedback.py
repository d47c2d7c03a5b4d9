"""Customers' feedback on matches, and the quarantine of entries several organisations dispute.

An organisation may give a verdict only on an entry that one of its own match requests
(named by tracking id) matched, as the audit log records it. Its latest verdict on an
entry is the one that counts. When ``quarantine_after`` distinct organisations dispute an
entry, the entry is quarantined: the matcher skips it until a curator reinstates it
(disputes cleared) or moves it to a suppression bank.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from mediamatch.errors import FeedbackRejected
from mediamatch.store.feedback import DISPUTE, FeedbackStore


@dataclass(frozen=True, slots=True)
class FeedbackOutcome:
    entry_id: int
    verdict: str
    disputes: int
    """Distinct organisations whose latest verdict on the entry is a dispute."""
    quarantined: bool


def give_feedback(
    feedback: FeedbackStore,
    organisation_id: int,
    tracking_id: str,
    entry_id: int,
    verdict: str,
    note: str = "",
    *,
    quarantine_after: int = 2,
) -> FeedbackOutcome:
    """Record the verdict; raises FeedbackRejected unless the organisation's request
    ``tracking_id`` matched ``entry_id``. Audit records must be written before this is called."""
    if entry_id not in feedback.matched_in(tracking_id, organisation_id):
        raise FeedbackRejected(
            f"no match request {tracking_id} of your organisation matched entry {entry_id}"
        )
    now = datetime.now(UTC)
    disputes = feedback.put_verdict(organisation_id, entry_id, tracking_id, verdict, note, now)
    if verdict == DISPUTE and disputes >= max(1, quarantine_after):
        feedback.quarantine(entry_id, disputes, now)
    return FeedbackOutcome(entry_id, verdict, disputes, feedback.is_quarantined(entry_id))

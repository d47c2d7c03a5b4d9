"""Feedback on matches (scope ``match``) and the curation of quarantined entries (scope ``curate``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from mediamatch.errors import BankNotFound, InvalidBank, PermissionDenied
from mediamatch.reporting.feedback import give_feedback
from mediamatch.service.auth import require
from mediamatch.service.routers.curation import entry_dict, readable_bank, writable_bank
from mediamatch.service.state import ServiceState
from mediamatch.store.accounts import ApiKey, Environment
from mediamatch.store.feedback import FeedbackStore

router = APIRouter(prefix="/v1", tags=["feedback"])
Curator = Annotated[ApiKey, Depends(require("curate"))]


class FeedbackCreate(BaseModel):
    entry_id: int
    verdict: Literal["confirm", "dispute"]
    note: str = Field("", max_length=2000)


class Curate(BaseModel):
    action: Literal["reinstate", "suppress"]
    bank: str | None = Field(None, description="The suppression bank to move the entry to (suppress only).")


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.mediamatch
    return state


@router.post("/matches/{tracking_id}/feedback")
async def feedback(
    request: Request,
    key: Annotated[ApiKey, Depends(require("match"))],
    tracking_id: str,
    body: FeedbackCreate,
) -> dict[str, Any]:
    """Confirm or dispute an entry that the organisation's request ``tracking_id`` matched."""
    if key.environment is Environment.TEST:
        raise PermissionDenied("test keys cannot give feedback on the Test bank")
    state = _state(request)

    def record() -> dict[str, Any]:
        state.audit.flush()  # the request being judged may still sit in the audit queue
        outcome = give_feedback(
            FeedbackStore(state.store),
            key.organisation_id,
            tracking_id,
            body.entry_id,
            body.verdict,
            body.note,
            quarantine_after=state.settings.quarantine_disputes,
        )
        return {
            "entry_id": outcome.entry_id,
            "verdict": outcome.verdict,
            "disputes": outcome.disputes,
            "quarantined": outcome.quarantined,
        }

    return await run_in_threadpool(record)


@router.get("/banks/{name}/quarantine")
async def quarantined(request: Request, key: Curator, name: str) -> dict[str, Any]:
    """The bank's quarantined entries, with when and by how many disputes."""
    state = _state(request)
    bank = readable_bank(state, key, name)
    return {
        "entries": [
            {**entry_dict(state, q.entry), "quarantined_at": q.since.isoformat(), "disputes": q.disputes}
            for q in FeedbackStore(state.store).quarantined([bank.id])
        ]
    }


@router.post("/banks/{name}/entries/{entry_id}/curate")
async def curate(request: Request, key: Curator, name: str, entry_id: int, body: Curate) -> dict[str, Any]:
    """Reinstate a quarantined entry (disputes cleared), or move the entry to a suppression bank."""
    state = _state(request)
    bank = writable_bank(state, key, name)
    if not [e for e in state.store.get_entries([entry_id]) if e.bank_id == bank.id]:
        raise BankNotFound(f"bank {name} has no entry {entry_id}")
    feedback = FeedbackStore(state.store)
    if body.action == "reinstate":
        feedback.reinstate(entry_id)
        return {"action": "reinstate", "entry_id": entry_id, "bank": name}
    if not body.bank:
        raise InvalidBank("suppress needs the suppression bank to move the entry to")
    writable_bank(state, key, body.bank)
    moved = await run_in_threadpool(feedback.suppress, entry_id, body.bank)
    return {"action": "suppress", "entry_id": entry_id, "bank": body.bank, "new_entry_id": moved.id}

"""What a match request leaves behind besides its answer: per-item audit detail and the
``match.created`` webhook event of the caller's organisation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from mediamatch.reporting.webhooks import MATCH_CREATED
from mediamatch.service.state import ServiceState
from mediamatch.store.accounts import ApiKey


def matched_items(results: list[dict[str, Any]]) -> tuple[tuple[int, ...], ...]:
    """Per item with matches, the entry ids it matched."""
    return tuple(
        tuple(m["entry_id"] for m in result["matches"]) for result in results if result.get("matches")
    )


def match_event(tracking_id: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``match.created`` payload: the items with matches as the API shows them, never distances."""
    items = [
        {
            "index": result["index"],
            "matches": [{k: v for k, v in m.items() if k != "distance"} for m in result["matches"]],
        }
        for result in results
        if result.get("matches")
    ]
    return {"tracking_id": tracking_id, "items": items, "time": datetime.now(UTC).isoformat()}


async def after_match(
    request: Request, state: ServiceState, key: ApiKey, results: list[dict[str, Any]]
) -> None:
    """Record per-item matches for the audit log and, when anything matched, emit ``match.created``."""
    per_item = matched_items(results)
    request.state.matched_items = per_item
    if per_item:
        event = match_event(request.state.tracking_id, results)
        await run_in_threadpool(state.webhooks.emit, key.organisation_id, MATCH_CREATED, event)

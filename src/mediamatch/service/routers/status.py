from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from mediamatch.service.state import ServiceState

router = APIRouter(prefix="/status", tags=["status"])
metrics_router = APIRouter(tags=["status"])


@router.get("/live")
async def live() -> dict[str, str]:
    """The process answers."""
    return {"status": "live"}


@router.get("/ready", response_model=None)
async def ready(request: Request) -> JSONResponse:
    """200 when the index is loaded and current; 503 before the first load, while a change is
    being indexed, and once the index was last confirmed current more than
    ``index_max_age_seconds`` ago (the database away). The body says which, the index's age in
    seconds, its store revision and whether the database answered."""
    state: ServiceState = request.app.state.mediamatch
    found = await run_in_threadpool(state.readiness)
    age = None if found.index_age_seconds is None else round(found.index_age_seconds, 3)
    body = {
        "status": found.status,
        "index_age_seconds": age,
        "revision": found.revision,
        "database": found.database,
    }
    return JSONResponse(body, status_code=200 if found.ready else 503)


@metrics_router.get("/metrics", response_class=PlainTextResponse)
async def metrics(request: Request) -> PlainTextResponse:
    """Prometheus text format: requests, items, matches, latency, index readiness, age and size,
    audit records held."""
    state: ServiceState = request.app.state.mediamatch
    found = await run_in_threadpool(state.readiness)
    matcher = state.matcher
    indexed = {name: len(index) for name, index in matcher.indexes.items()} if matcher else {}
    text = state.metrics.render(
        found.ready,
        indexed,
        index_age_seconds=found.index_age_seconds,
        audit_queued=state.audit.queued,
        audit_dropped=state.audit.dropped,
    )
    return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

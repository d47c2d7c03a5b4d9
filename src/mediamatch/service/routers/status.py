from __future__ import annotations

import functools

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
async def ready(request: Request, current: bool = False) -> JSONResponse:
    """200 when the index is loaded and answering; 503 before the first load and once the index
    was last confirmed current more than ``index_max_age_seconds`` ago (the database away).
    A change to banks or entries never makes it 503: it is applied while the index answers.
    With ``current=true``, also 503 (``updating``) until this process's index holds every change
    committed before the request: for a script that has just changed a bank. The body says
    which, the index's age in seconds, the store revision it holds and the store's own, whether
    a new index is being built, and whether the database answered."""
    state: ServiceState = request.app.state.mediamatch
    found = await run_in_threadpool(functools.partial(state.readiness, current=current))
    age = None if found.index_age_seconds is None else round(found.index_age_seconds, 3)
    body = {
        "status": found.status,
        "index_age_seconds": age,
        "revision": found.revision,
        "store_revision": found.store_revision,
        "rebuilding": found.rebuilding,
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

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

router = APIRouter(prefix="/status", tags=["status"])
metrics_router = APIRouter(tags=["status"])


@router.get("/live")
async def live() -> dict[str, str]:
    """The process answers."""
    return {"status": "live"}


@router.get("/ready", response_model=None)
async def ready(request: Request) -> JSONResponse:
    """200 when the index is loaded and current; 503 before the first load and while it is stale."""
    is_ready = request.app.state.mediamatch.ready
    return JSONResponse({"status": "ready" if is_ready else "loading"}, status_code=200 if is_ready else 503)


@metrics_router.get("/metrics", response_class=PlainTextResponse)
async def metrics(request: Request) -> PlainTextResponse:
    """Prometheus text format: requests, items, matches, latency, index readiness and size."""
    state = request.app.state.mediamatch
    matcher = state.matcher
    indexed = {name: len(index) for name, index in matcher.indexes.items()} if matcher else {}
    return PlainTextResponse(
        state.metrics.render(state.ready, indexed), media_type="text/plain; version=0.0.4"
    )

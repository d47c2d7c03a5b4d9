from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(prefix="/status", tags=["status"])


@router.get("/live")
async def live() -> dict[str, str]:
    """The process answers."""
    return {"status": "live"}


@router.get("/ready", response_model=None)
async def ready(request: Request) -> JSONResponse:
    """200 when the index is loaded and current; 503 before the first load and while it is stale."""
    is_ready = request.app.state.mediamatch.ready
    return JSONResponse({"status": "ready" if is_ready else "loading"}, status_code=200 if is_ready else 503)

"""The FastAPI application factory. No import-time state: every app is built from its settings."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from mediamatch import __version__
from mediamatch.service import errors
from mediamatch.service.routers import curation, matching, photodna, status, testimages
from mediamatch.service.settings import Settings
from mediamatch.service.state import ServiceState
from mediamatch.store import Store
from mediamatch.store.accounts import AuditRecord

TRACKING_HEADER = "X-Tracking-Id"


async def _track_and_audit(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Give every request a tracking id (header and body) and audit every API call."""
    request.state.tracking_id = uuid.uuid4().hex
    started = time.perf_counter()
    response = await call_next(request)
    response.headers[TRACKING_HEADER] = request.state.tracking_id
    state = request.app.state.mediamatch
    route = request.scope.get("route")
    matched = getattr(request.state, "matched_entry_ids", ())
    state.metrics.observe(
        getattr(route, "path", "unmatched"),
        response.status_code,
        time.perf_counter() - started,
        getattr(request.state, "items", 0),
        len(matched),
    )
    if request.url.path.startswith(("/v1/", "/photodna/")):
        key = getattr(request.state, "api_key", None)
        record = AuditRecord(
            tracking_id=request.state.tracking_id,
            key_id=key.key_id if key else None,
            organisation_id=key.organisation_id if key else None,
            endpoint=f"{request.method} {request.url.path}",
            items=getattr(request.state, "items", 0),
            matched_entry_ids=getattr(request.state, "matched_entry_ids", ()),
            outcome=str(response.status_code),
            latency_ms=(time.perf_counter() - started) * 1000,
        )
        await run_in_threadpool(request.app.state.mediamatch.accounts.audit, record)
    return response


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """An app serving ``settings``; pass ``store`` to share an open store (tests do)."""
    checked = settings.checked()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.mediamatch.start()
        yield
        app.state.mediamatch.stop()

    app = FastAPI(title="mediamatch", version=__version__, lifespan=lifespan)
    app.state.mediamatch = ServiceState(checked, store)
    app.middleware("http")(_track_and_audit)
    errors.install(app)
    app.include_router(status.router)
    app.include_router(status.metrics_router)
    app.include_router(matching.router)
    app.include_router(testimages.router)
    app.include_router(curation.router)
    app.include_router(photodna.router)
    return app


def create_app_from_environment() -> FastAPI:
    """The factory ``mediamatch serve`` hands to uvicorn (settings from the config file and environment)."""
    return create_app(Settings.load())

"""The FastAPI application factory. No import-time state: every app is built from its settings."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mediamatch import __version__
from mediamatch.service import errors
from mediamatch.service.memory import tune_allocator
from mediamatch.service.routers import (
    audit,
    curation,
    docs,
    feedback,
    matching,
    photodna,
    reports,
    status,
    testimages,
    usage,
)
from mediamatch.service.schema import document_errors
from mediamatch.service.settings import Settings
from mediamatch.service.state import ServiceState
from mediamatch.store import Store
from mediamatch.store.accounts import AuditRecord

TRACKING_HEADER = "X-Tracking-Id"


class TrackAndAudit:
    """Pure ASGI middleware: a tracking id on every request (state and response header),
    metrics for every request, and an audit record for every API call.

    An API call is refused with 503 before it is handled while the process already holds
    ``audit_queue_limit`` unwritten audit records (the database away for long): no request
    is answered without its audit record.

    Routes report what they did through ``request.state`` (``items``, ``api_key``,
    ``matched_entry_ids``), which lives in the ASGI scope this middleware reads afterwards.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tracking_id = uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["tracking_id"] = tracking_id
        started, arrived = time.perf_counter(), datetime.now(UTC)
        status = 500
        service: ServiceState = scope["app"].state.mediamatch
        if _audited(scope) and not service.audit.has_room():
            error = errors.AuditBacklogFull(
                "too many audit records are waiting for the database; retry shortly"
            )
            refusal = errors.error_response(error, tracking_id)
            refusal.headers[TRACKING_HEADER] = tracking_id
            service.metrics.refused_unaudited()
            await refusal(scope, receive, send)
            return

        async def send_with_tracking(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(TRACKING_HEADER, tracking_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_tracking)
        finally:
            self._record(scope, status, time.perf_counter() - started, arrived)

    @staticmethod
    def _record(scope: Scope, status: int, seconds: float, arrived: datetime) -> None:
        service: ServiceState = scope["app"].state.mediamatch
        state = scope.get("state", {})
        matched = state.get("matched_entry_ids", ())
        route = getattr(scope.get("route"), "path", "unmatched")
        banks = state.get("matched_banks")
        service.metrics.observe(route, status, seconds, state.get("items", 0), len(matched), banks)
        if not _audited(scope):
            return
        path: str = scope["path"]
        key = state.get("api_key")
        service.audit.submit(
            AuditRecord(
                tracking_id=state["tracking_id"],
                key_id=key.key_id if key else None,
                organisation_id=key.organisation_id if key else None,
                endpoint=f"{scope['method']} {path}",
                items=state.get("items", 0),
                matched_entry_ids=tuple(matched),
                matched_items=tuple(state.get("matched_items", ())),
                outcome=str(status),
                latency_ms=seconds * 1000,
                at=arrived,
            )
        )


def _audited(scope: Scope) -> bool:
    """API calls are audited; status, metrics and the schema are not."""
    path: str = scope["path"]
    return path.startswith(("/v1/", "/photodna/"))


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """An app serving ``settings``; pass ``store`` to share an open store (tests do)."""
    checked = settings.checked()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tune_allocator()
        app.state.mediamatch.start()
        yield
        app.state.mediamatch.stop()

    app = FastAPI(title="mediamatch", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.mediamatch = ServiceState(checked, store)
    app.add_middleware(TrackAndAudit)
    errors.install(app)
    app.include_router(status.router)
    app.include_router(status.metrics_router)
    app.include_router(matching.router)
    app.include_router(testimages.router)
    app.include_router(curation.router)
    app.include_router(feedback.router)
    app.include_router(usage.router)
    app.include_router(photodna.router)
    app.include_router(reports.router)
    app.include_router(audit.router)
    docs.install(app)
    _describe_errors(app)
    return app


def _describe_errors(app: FastAPI) -> None:
    """The schema lists, for every API route, each error status the service can answer with."""
    statuses = {status for _, status in errors.STATUS}

    def described() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(title=app.title, version=app.version, routes=app.routes)
            app.openapi_schema = document_errors(spec, statuses)
        return app.openapi_schema

    app.openapi = described  # type: ignore[method-assign]


def create_app_from_environment() -> FastAPI:
    """The factory ``mediamatch serve`` hands to uvicorn (settings from the config file and environment)."""
    return create_app(Settings.load())

"""``GET /v1/audit``: the audit log, filtered and paged (``admin`` keys only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from mediamatch.reporting.audit import parse_time
from mediamatch.service.auth import require
from mediamatch.service.state import ServiceState
from mediamatch.store.accounts import AUDIT_PAGE_MAX, ApiKey, AuditQuery

router = APIRouter(prefix="/v1", tags=["audit"])


@router.get("/audit")
async def audit(
    request: Request,
    key: Annotated[ApiKey, Depends(require("admin"))],
    organisation: Annotated[str | None, Query(description="Only this organisation's requests.")] = None,
    key_id: Annotated[str | None, Query(description="Only this API key's requests (its id).")] = None,
    tracking_id: Annotated[str | None, Query(description="Only the request with this tracking id.")] = None,
    since: Annotated[str | None, Query(description="From this UTC time (inclusive), ISO 8601.")] = None,
    until: Annotated[str | None, Query(description="Before this UTC time (exclusive), ISO 8601.")] = None,
    after: Annotated[int, Query(ge=0, description="Records after this id: the last page's `next`.")] = 0,
    limit: Annotated[int, Query(ge=1, le=AUDIT_PAGE_MAX)] = 100,
) -> dict[str, Any]:
    """Records oldest first, and ``next``: the ``after`` of the following page (null at the end)."""
    state: ServiceState = request.app.state.mediamatch
    query = AuditQuery(
        organisation,
        key_id,
        tracking_id,
        parse_time(since, "since"),
        parse_time(until, "until"),
        after,
        limit,
    )

    def page() -> tuple[list[dict[str, object]], int | None]:
        state.audit.flush()  # this process's latest requests too
        entries, cursor = state.accounts.audit_page(query)
        return [entry.as_dict() for entry in entries], cursor

    records, cursor = await run_in_threadpool(page)
    return {"records": records, "next": cursor}

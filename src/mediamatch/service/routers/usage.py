"""``GET /v1/usage``: images checked and matched per organisation, bank and UTC day.

An ``admin`` key sees every organisation; a ``report`` key only its own.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from mediamatch.reporting.usage import UsageRow, parse_day, rows_as_dicts, usage_report
from mediamatch.service.auth import require
from mediamatch.service.state import ServiceState
from mediamatch.store.accounts import ApiKey

router = APIRouter(prefix="/v1", tags=["usage"])


@router.get("/usage")
async def usage(
    request: Request,
    key: Annotated[ApiKey, Depends(require("report"))],
    first: Annotated[str, Query(alias="from", description="First UTC day, YYYY-MM-DD (inclusive).")],
    last: Annotated[str, Query(alias="to", description="Last UTC day, YYYY-MM-DD (inclusive).")],
) -> dict[str, Any]:
    state: ServiceState = request.app.state.mediamatch
    start, end = parse_day(first, "from"), parse_day(last, "to")
    organisation = None if "admin" in key.scopes else key.organisation_id

    def report() -> list[UsageRow]:
        state.audit.flush()  # count this process's latest requests too
        return usage_report(state.store, start, end, organisation)

    rows = await run_in_threadpool(report)
    scope = "all organisations" if organisation is None else key.organisation
    return {"from": start.isoformat(), "to": end.isoformat(), "scope": scope, "rows": rows_as_dicts(rows)}

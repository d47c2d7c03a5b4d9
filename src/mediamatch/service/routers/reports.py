"""``/v1/reports``: CyberTipline reports from matches (scope ``report``).

A key sees and acts on its own organisation's reports (``admin`` keys on every
organisation's). Reports made with test keys go to NCMEC's test environment. A file is
streamed from the request to NCMEC as it arrives and never written anywhere.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from mediamatch.errors import ImageTooLarge, InvalidReport
from mediamatch.reporting.cybertip import file_options_from_json, report_from_json
from mediamatch.service.auth import require
from mediamatch.service.inputs import BadRequest, load_json
from mediamatch.service.state import ServiceState
from mediamatch.service.streaming import stream_to_thread
from mediamatch.store.accounts import ApiKey
from mediamatch.store.reports import ReportFile, ReportRecord, ReportRequest

router = APIRouter(prefix="/v1/reports", tags=["reports"])
Reporter = Annotated[ApiKey, Depends(require("report"))]
ReportId = Annotated[int, Path(ge=1, le=2**62)]
T = TypeVar("T")
FILE_OPTIONS = (
    "original_file_name",
    "location_of_file",
    "file_viewed_by_esp",
    "exif_viewed_by_esp",
    "publicly_available",
    "industry_classification",
    "additional_info",
)


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.mediamatch
    return state


def _scope(key: ApiKey) -> int | None:
    """The organisation whose reports the key may touch; None (all) for admin keys."""
    return None if "admin" in key.scopes else key.organisation_id


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _file_view(file: ReportFile) -> dict[str, Any]:
    return {
        "file_id": file.ncmec_file_id,
        "file_name": file.file_name,
        "size": file.size,
        "md5": file.md5,
        "sha1": file.sha1,
        "details_sent": file.details_sent,
        "uploaded_at": file.uploaded_at.isoformat(),
    }


def report_view(record: ReportRecord, with_details: bool = False) -> dict[str, Any]:
    """The public form of a report; ``expired`` flags an open report NCMEC has deleted."""
    view: dict[str, Any] = {
        "id": record.id,
        "state": record.state.value,
        "environment": record.environment,
        "ncmec_report_id": record.ncmec_report_id,
        "failure": record.failure,
        "tracking_ids": list(record.tracking_ids),
        "created_at": _moment(record.created_at),
        "opened_at": _moment(record.opened_at),
        "modified_at": _moment(record.modified_at),
        "closed_at": _moment(record.closed_at),
        "expires_at": _moment(record.expires_at),
        "expired": record.expired(),
        "files": [_file_view(f) for f in record.files],
    }
    if with_details:
        view["details"] = record.details
    return view


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = load_json(await request.body())
    except BadRequest:
        raise InvalidReport("body", "must be a JSON object") from None
    if not isinstance(body, dict):
        raise InvalidReport("body", "must be a JSON object")
    return body


@router.post("", status_code=201, response_model=None)
async def open_report(request: Request, key: Reporter) -> Any:
    """Open a report from match tracking ids: ``{"tracking_ids": [...], "report": {...}}``.

    The details are checked (422 naming the field) before anything is sent to NCMEC. With an
    ``Idempotency-Key`` header, a retry (same key, same body) gets the first answer again
    (``Idempotent-Replayed: true``) and files nothing; the same key with another body is 409.
    Matches that a report of the organisation already names are 409 unless ``"repeat": true``."""
    body = await _json_body(request)
    tracking_ids = body.get("tracking_ids")
    if not isinstance(tracking_ids, list) or not all(isinstance(t, str) for t in tracking_ids):
        raise InvalidReport("tracking_ids", "must be a list of match tracking ids")
    unknown = set(body) - {"tracking_ids", "report", "repeat"}
    if unknown:
        raise InvalidReport(sorted(unknown)[0], "unknown field")
    repeat = body.get("repeat", False)
    if not isinstance(repeat, bool):
        raise InvalidReport("repeat", "must be true or false")
    report = report_from_json(body.get("report"))
    state = _state(request)
    await run_in_threadpool(state.audit.flush)  # the matches named may still be queued for the audit log
    desk = state.reports
    record, replayed = await run_in_threadpool(
        lambda: desk.open(
            organisation_id=key.organisation_id,
            key_id=key.key_id,
            environment=key.environment.value,
            tracking_ids=tracking_ids,
            report=report,
            request=_idempotency(request, body),
            repeat=repeat,
        )
    )
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return JSONResponse(report_view(record, with_details=True), status_code=201, headers=headers)


IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,200}")


def _idempotency(request: Request, body: dict[str, Any]) -> ReportRequest | None:
    """The request's ``Idempotency-Key`` (1 to 200 visible ASCII characters) and the digest of its
    body as JSON with sorted keys (a retry need not repeat the same spacing)."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidReport("Idempotency-Key", "must be 1 to 200 visible ASCII characters")
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return ReportRequest(key, hashlib.sha256(canonical.encode()).hexdigest())


def _file_options(request: Request) -> dict[str, Any]:
    params = request.query_params
    options: dict[str, Any] = {name: params[name] for name in FILE_OPTIONS if name in params}
    if "file_annotations" in params:
        options["file_annotations"] = params.getlist("file_annotations")
    unknown = set(params) - {*FILE_OPTIONS, "file_annotations", "file_name"}
    if unknown:
        raise InvalidReport(sorted(unknown)[0], "unknown parameter")
    return options


@router.post("/{report_id}/files", response_model=None)
async def add_file(
    request: Request,
    key: Reporter,
    report_id: ReportId,
    file_name: Annotated[str | None, Query(max_length=255)] = None,
) -> Any:
    """Send one file (the raw request body) to NCMEC with the report. File details come as
    query parameters (``file_viewed_by_esp=true``, ``file_annotations=...``); the industry
    classification defaults to the most severe one among the matched entries."""
    state = _state(request)
    limit = state.settings.report_max_file_bytes
    options = file_options_from_json(_file_options(request))
    length = request.headers.get("content-length")
    size = int(length) if length and length.isdigit() else None
    if size is not None and size > limit:
        raise ImageTooLarge(f"the file is larger than the {limit}-byte limit for reports")
    organisation = _scope(key)
    record = state.reports.get(report_id, organisation)
    record = await stream_to_thread(
        request,
        limit,
        lambda chunks: state.reports.add_file(
            record.id, record.organisation_id, file_name, chunks, size, options
        ),
    )
    return report_view(record)


@router.post("/{report_id}/finish", response_model=None)
async def finish_report(request: Request, key: Reporter, report_id: ReportId) -> Any:
    """Finish the report at NCMEC (files can no longer be added)."""
    desk = _state(request).reports
    record = desk.get(report_id, _scope(key))
    return report_view(await run_in_threadpool(desk.finish, record.id, record.organisation_id))


@router.post("/{report_id}/retract", response_model=None)
async def retract_report(request: Request, key: Reporter, report_id: ReportId) -> Any:
    """Withdraw a report that is not finished."""
    desk = _state(request).reports
    record = desk.get(report_id, _scope(key))
    return report_view(await run_in_threadpool(desk.retract, record.id, record.organisation_id))


@router.get("", response_model=None)
async def list_reports(
    request: Request, key: Reporter, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> Any:
    """The newest reports first; ``expired`` marks open reports NCMEC has deleted."""
    records = await run_in_threadpool(_state(request).reports.recent, _scope(key), limit)
    return {"reports": [report_view(r) for r in records]}


@router.get("/{report_id}", response_model=None)
async def get_report(request: Request, key: Reporter, report_id: ReportId) -> Any:
    """One report with the details that were sent."""
    record = await run_in_threadpool(_state(request).reports.get, report_id, _scope(key))
    return report_view(record, with_details=True)

"""Domain errors become HTTP statuses with a JSON body, in one place."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from mediamatch.errors import (
    AccountError,
    AuthenticationFailed,
    BankExists,
    BankNotFound,
    CorruptMedia,
    DecodeBusy,
    FeedbackRejected,
    ImageTooLarge,
    ImportFailed,
    InvalidBank,
    InvalidHash,
    InvalidPeriod,
    InvalidReport,
    LowQuality,
    MediamatchError,
    NcmecError,
    PermissionDenied,
    RateLimited,
    ReportError,
    ReportingNotConfigured,
    ReportNotFound,
    StoreUnavailable,
    UnknownAlgorithm,
    UnsupportedMedia,
    WebhookError,
)
from mediamatch.service.fetch import FetchFailed
from mediamatch.service.inputs import BadRequest


class IndexLoading(MediamatchError):
    """The index is not loaded yet (``/status/ready`` answers 503 meanwhile)."""


class AuditBacklogFull(MediamatchError):
    """The process holds as many unwritten audit records as ``audit_queue_limit`` allows."""


PASSING = (IndexLoading, StoreUnavailable, AuditBacklogFull, DecodeBusy)
"""Conditions that pass by themselves: their 503 carries ``Retry-After``."""
RETRY_AFTER_SECONDS = 2


STATUS: list[tuple[type[MediamatchError], int]] = [
    (IndexLoading, 503),
    (StoreUnavailable, 503),
    (DecodeBusy, 503),
    (AuditBacklogFull, 503),
    (AuthenticationFailed, 401),
    (PermissionDenied, 403),
    (BankNotFound, 404),
    (FeedbackRejected, 404),
    (BankExists, 409),
    (ImageTooLarge, 413),
    (RateLimited, 429),
    (UnsupportedMedia, 415),
    (CorruptMedia, 422),
    (InvalidHash, 422),
    (UnknownAlgorithm, 422),
    (LowQuality, 422),
    (InvalidBank, 422),
    (InvalidPeriod, 422),
    (WebhookError, 422),
    (ImportFailed, 422),
    (AccountError, 422),
    (BadRequest, 400),
    (FetchFailed, 422),
    (InvalidReport, 422),
    (ReportNotFound, 404),
    (ReportingNotConfigured, 503),
    (ReportError, 409),
    (NcmecError, 502),
]


def status_of(error: MediamatchError) -> int:
    return next((status for kind, status in STATUS if isinstance(error, kind)), 400)


def _error_classes(root: type[MediamatchError] = MediamatchError) -> dict[str, type[MediamatchError]]:
    found = {root.__name__: root}
    for child in root.__subclasses__():
        found |= _error_classes(child)
    return found


def status_of_kind(kind: str) -> int:
    """The status for an error known only by its class name (a per-item error record): the same
    as for that error raised, through the class hierarchy (``VideoTooLarge`` is an
    ``ImageTooLarge``: 413); 422 for a name that is no domain error."""
    chosen = _error_classes().get(kind)
    if chosen is None:
        return 422
    return next((status for error, status in STATUS if issubclass(chosen, error)), 400)


def error_body(error: MediamatchError, tracking_id: str | None = None) -> dict[str, object]:
    detail: dict[str, object] = {"kind": type(error).__name__, "message": str(error)}
    if isinstance(error, InvalidReport):
        detail["field"] = error.field
    body: dict[str, object] = {"error": detail}
    if tracking_id is not None:
        body["tracking_id"] = tracking_id
    return body


def retry_after(kind: str) -> dict[str, str]:
    """The ``Retry-After`` header for an error of a condition that passes by itself (``PASSING``),
    known by its class name; no header for any other."""
    chosen = _error_classes().get(kind)
    passing = chosen is not None and issubclass(chosen, PASSING)
    return {"Retry-After": str(RETRY_AFTER_SECONDS)} if passing else {}


def error_response(error: MediamatchError, tracking_id: str | None) -> JSONResponse:
    """The JSON answer for a domain error: its status, body and headers (``WWW-Authenticate``,
    ``Retry-After``)."""
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, AuthenticationFailed) else {}
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    headers |= retry_after(type(error).__name__)
    return JSONResponse(error_body(error, tracking_id), status_code=status_of(error), headers=headers)


GATEWAY_PREFIX = "/photodna/"
"""Routes whose clients were written for PhotoDNA Cloud: there a refused key, a missing scope and a
rate limit are answered as its API gateway answers them, ``{"statusCode": N, "message": "..."}``."""


def gateway_response(error: MediamatchError) -> JSONResponse | None:
    """The gateway's answer for a key, scope or rate error; None for any other error."""
    if not isinstance(error, AuthenticationFailed | PermissionDenied | RateLimited):
        return None
    status = status_of(error)
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else {}
    return JSONResponse({"statusCode": status, "message": str(error)}, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(MediamatchError)
    async def _domain_error(request: Request, error: MediamatchError) -> JSONResponse:
        if request.url.path.startswith(GATEWAY_PREFIX) and (shaped := gateway_response(error)) is not None:
            return shaped
        return error_response(error, getattr(request.state, "tracking_id", None))

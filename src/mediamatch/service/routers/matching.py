"""``POST /v1/hash`` and ``POST /v1/match``."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from mediamatch.service.auth import require
from mediamatch.service.errors import IndexLoading, retry_after
from mediamatch.service.events import after_match
from mediamatch.service.inputs import Item, is_batch, request_items
from mediamatch.service.schema import openapi_extra
from mediamatch.service.state import ServiceState
from mediamatch.service.work import hash_items, match_items
from mediamatch.store.accounts import ApiKey

router = APIRouter(prefix="/v1", tags=["matching"])

BODY_DOC = (
    "Body: an image or a video (any content type or application/octet-stream), multipart files, "
    'or JSON {"items": [{"image": "<base64>"}, ...]} with at most max_batch items. '
    "Videos are sampled at one frame per second and must fit max_item_bytes."
)


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.mediamatch
    return state


async def _counted_items(
    request: Request, state: ServiceState, key: ApiKey, allow_hashes: bool
) -> list[Item]:
    """The request's items within the settings' limits, counted against the key's quota."""
    settings = state.settings
    items = await request_items(
        request,
        allow_hashes=allow_hashes,
        item_limit=settings.max_item_bytes,
        body_limit=settings.max_request_bytes,
        max_batch=settings.max_batch,
    )
    request.state.items = len(items)
    state.limiter.take_items(key, len(items))
    return items


@router.post("/hash", description=BODY_DOC, response_model=None, openapi_extra=openapi_extra("hash"))
async def hash_endpoint(
    request: Request,
    key: Annotated[ApiKey, Depends(require("hash"))],
    algorithm: Annotated[list[str] | None, Query()] = None,
) -> Any:
    """Hashes of each item, with quality; nothing about the image or video is kept."""
    state = _state(request)
    items = await _counted_items(request, state, key, allow_hashes=False)
    chosen = algorithm or ["pdq", "gradgrid144", "md5", "vpdq"]
    results = await run_in_threadpool(hash_items, state, items, chosen)
    return _reply(request, results)


@router.post(
    "/match",
    description=BODY_DOC + ' JSON items may instead carry {"hashes": {"pdq": "<hex>"}}.',
    response_model=None,
    openapi_extra=openapi_extra("match"),
)
async def match_endpoint(request: Request, key: Annotated[ApiKey, Depends(require("match"))]) -> Any:
    """Matches of each item in the banks the key may see; distances only with ``match:distance``."""
    state = _state(request)
    matcher = state.matcher
    if matcher is None:
        raise IndexLoading("the index is still loading; retry shortly")
    items = await _counted_items(request, state, key, allow_hashes=True)
    if all(item.hashes for item in items):
        results, matched = match_items(state, matcher, key, items)  # lookups only: cheaper than a thread hop
    else:
        results, matched = await run_in_threadpool(match_items, state, matcher, key, items)
    request.state.matched_entry_ids = tuple(matched)
    request.state.matched_banks = Counter(m["bank"] for r in results for m in r.get("matches", []))
    await after_match(request, state, key, results)
    return _reply(request, results)


def _reply(request: Request, results: list[dict[str, Any]]) -> dict[str, Any] | JSONResponse:
    """The results; a single (non-batch) item that failed makes the reply that item's error status,
    with whatever was still found (digest matches of bytes that did not decode) and the
    algorithms that were applied."""
    tracking_id = request.state.tracking_id
    if not is_batch(request) and len(results) == 1 and "error" in results[0]:
        error = results[0]["error"]
        body = {"error": {"kind": error["kind"], "message": error["message"]}, "tracking_id": tracking_id}
        body |= {k: results[0][k] for k in ("matches", "algorithms") if k in results[0]}
        return JSONResponse(body, status_code=error["status"], headers=retry_after(error["kind"]))
    return {"tracking_id": tracking_id, "results": results}

"""``POST /photodna/v1.0/Match``: PhotoDNA Cloud's request and answer shapes over our banks.

An existing PhotoDNA client switches by changing its base URL (the key goes in
``Ocp-Apim-Subscription-Key``). The hashes behind the answer are ours (PDQ, gradgrid144,
MD5), not PhotoDNA's. Status codes: 3000 OK, 3002 invalid request, 3004 internal error
or index not ready, 3206 not a supported image, 3208 image too large or too flat.
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from mediamatch.service.auth import require
from mediamatch.service.events import after_match
from mediamatch.service.inputs import BadRequest, Item, load_json, read_body
from mediamatch.service.schema import photodna_openapi_extra
from mediamatch.service.state import ServiceState
from mediamatch.service.work import match_items
from mediamatch.store.accounts import ApiKey

router = APIRouter(prefix="/photodna/v1.0", tags=["photodna-compatible"])

DESCRIPTIONS = {
    3000: "OK",
    3002: "Invalid or missing request parameter(s)",
    3004: "Unknown scenario or unhandled error",
    3206: "The given image is not a supported image type",
    3208: "Image size or content is not within the allowed range",
}
CODE_OF_KIND = {
    "UnsupportedMedia": 3206,
    "CorruptMedia": 3206,
    "ImageTooLarge": 3208,
    "LowQuality": 3208,
    "FetchFailed": 3002,
    "InvalidHash": 3002,
}


class _Invalid(Exception):
    pass


def _answer(code: int, tracking_id: str, content_id: str | None, **fields: Any) -> JSONResponse:
    body = {"Status": {"Code": code, "Description": DESCRIPTIONS[code]}, "ContentId": content_id, **fields}
    body["TrackingId"] = tracking_id
    return JSONResponse(body, status_code=400 if code == 3002 else 200)


def _item(body: bytes, content_type: str) -> Item:
    if not content_type.startswith("application/json"):
        return Item("body", data=body)
    try:
        document = load_json(body)
        representation, value = str(document["DataRepresentation"]).lower(), str(document["Value"])
    except (BadRequest, KeyError, TypeError):
        raise _Invalid from None
    if representation == "url":
        return Item("url", url=value)
    if representation == "inline":
        try:
            return Item("inline", data=base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            raise _Invalid from None
    raise _Invalid


def _flags(matches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    flags = []
    for match in matches:
        flag: dict[str, Any] = {
            "Source": match["bank"],
            "Violations": [match["classification"]] if match["classification"] else [],
            "AdvancedInfo": [{"Key": "EntryId", "Value": str(match["entry_id"])}],
        }
        if "distance" in match:
            flag["MatchDistance"] = match["distance"]
        flags.append(flag)
    return flags


@router.post("/Match", response_model=None, openapi_extra=photodna_openapi_extra())
async def match(request: Request, key: Annotated[ApiKey, Depends(require("match"))]) -> JSONResponse:
    """Match one image given inline, by URL, or as the raw body."""
    state: ServiceState = request.app.state.mediamatch
    tracking_id, content_id = request.state.tracking_id, request.query_params.get("ContentId")
    body = await read_body(request, state.settings.max_item_bytes)
    try:
        item = _item(body, request.headers.get("content-type", ""))
    except _Invalid:
        return _answer(3002, tracking_id, content_id)
    if state.matcher is None:
        return _answer(3004, tracking_id, content_id)
    request.state.items = 1
    state.limiter.take_items(key, 1)
    results, matched = await run_in_threadpool(match_items, state, state.matcher, key, [item])
    request.state.matched_entry_ids = tuple(matched)
    request.state.matched_banks = Counter(m["bank"] for r in results for m in r.get("matches", []))
    await after_match(request, state, key, results)
    (result,) = results
    flags = _flags(result.get("matches", []))
    kind = result.get("error", {}).get("kind")
    # The route is for images: what is not one is refused, whatever its digest met; a corrupt
    # image whose digest is banked is still reported as the match it is.
    if kind is not None and (kind == "UnsupportedMedia" or not flags):
        return _answer(CODE_OF_KIND.get(kind, 3004), tracking_id, content_id)
    return _answer(3000, tracking_id, content_id, IsMatch=bool(flags), MatchDetails={"MatchFlags": flags})

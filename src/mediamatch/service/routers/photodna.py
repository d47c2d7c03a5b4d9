"""``POST /photodna/v1.0/Match``: PhotoDNA Cloud's request and answer shapes over our banks.

An existing PhotoDNA client switches by changing its base URL (the key goes in
``Ocp-Apim-Subscription-Key``). The hashes behind the answer are ours (PDQ, gradgrid144,
MD5), not PhotoDNA's. Every answer is HTTP 200 with a ``Status`` (``Code``, ``Description``,
``Exception``), as the API's are: 3000 OK, 3002 invalid request, 3004 internal error or index
not ready, 3206 not a supported image, 3208 outside the allowed range (under 160 x 160 pixels,
over 4 MB, or too flat to hash). A missing or bad key, a missing scope and a rate limit are
answered as the API's gateway answers them (``statusCode`` and ``message``: see
``service.errors``). ``ContentId`` is echoed from the query string or the JSON body.
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from mediamatch.errors import ImageTooLarge
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
MIN_SIDE = 160
"""PhotoDNA's smallest accepted picture: 160 x 160 pixels."""
MAX_BYTES = 4 * 1024 * 1024
"""PhotoDNA's largest accepted image: 4 MB."""
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


def _answer(code: int, tracking_id: str | None, content_id: str | None = None, **fields: Any) -> JSONResponse:
    """A PhotoDNA answer: HTTP 200, the status, the content id, ``fields``, the tracking id."""
    status = {"Code": code, "Description": DESCRIPTIONS[code], "Exception": None}
    body = {"Status": status, "ContentId": content_id, **fields, "XPartnerCustomerId": None}
    body["TrackingId"] = tracking_id
    return JSONResponse(body)


def _item(body: bytes, content_type: str) -> tuple[Item, str | None]:
    """The item to match and the ``ContentId`` the body names, if it names one."""
    if not content_type.startswith("application/json"):
        return Item("body", data=body), None
    try:
        document = load_json(body)
        representation, value = str(document["DataRepresentation"]).lower(), str(document["Value"])
        named = document.get("ContentId")
    except (BadRequest, KeyError, TypeError, AttributeError):
        raise _Invalid from None
    content_id = None if named is None else str(named)
    if representation == "url":
        return Item("url", url=value), content_id
    if representation == "inline":
        try:
            return Item("inline", data=base64.b64decode(value, validate=True)), content_id
        except (binascii.Error, ValueError):
            raise _Invalid from None
    raise _Invalid


def _flags(matches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    flags = []
    for match in matches:
        flag: dict[str, Any] = {
            "AdvancedInfo": [{"Key": "MatchId", "Value": str(match["entry_id"])}],
            "Source": match["bank"],
            "Violations": [match["classification"]] if match["classification"] else [],
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
    try:
        body = await read_body(request, state.settings.max_item_bytes)
    except ImageTooLarge:
        return _answer(3208, tracking_id, content_id)
    try:
        item, named = _item(body, request.headers.get("content-type", ""))
    except _Invalid:
        return _answer(3002, tracking_id, content_id)
    content_id = content_id if content_id is not None else named
    if item.data is not None and len(item.data) > MAX_BYTES:
        return _answer(3208, tracking_id, content_id)
    if state.matcher is None:
        return _answer(3004, tracking_id, content_id)
    request.state.items = 1
    state.limiter.take_items(key, 1)
    sizes: dict[int, tuple[int, int]] = {}
    results, matched = await run_in_threadpool(match_items, state, state.matcher, key, [item], sizes)
    if min(sizes.get(0, (MIN_SIDE, MIN_SIDE))) < MIN_SIDE:
        return _answer(3208, tracking_id, content_id)
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
    details = {"AdvancedInfo": [], "MatchFlags": flags}
    return _answer(3000, tracking_id, content_id, IsMatch=bool(flags), MatchDetails=details)

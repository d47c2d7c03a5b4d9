"""Turning a request into items: a raw image body, multipart files, or JSON.

JSON is ``{"items": [...]}`` or one item; an item is ``{"image": "<base64>"}``,
``{"url": "https://..."}`` (fetched under ``fetch.FetchPolicy``) or, for matching,
``{"hashes": {"pdq": "<hex>", ...}}`` computed on the customer's side, so no image has
to leave it. Multipart is parsed in memory by a streaming parser: uploads are
never spooled to disk. Every size limit is checked while reading, before decoding.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from python_multipart.exceptions import ParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from mediamatch.errors import ImageTooLarge, MediamatchError


class BadRequest(MediamatchError):
    """The request body is not one of the accepted forms; the message says why."""


@dataclass(frozen=True, slots=True)
class Item:
    """One thing to hash or match: image bytes, or precomputed hash texts by algorithm."""

    name: str
    data: bytes | None = None
    hashes: dict[str, str] = field(default_factory=dict)
    url: str | None = None


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing (ImageTooLarge, HTTP 413) as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ImageTooLarge(f"request body of {declared} bytes exceeds the limit of {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ImageTooLarge(f"request body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _multipart_items(body: bytes, boundary: bytes, item_limit: int) -> list[Item]:
    parts: list[tuple[str, bytearray]] = []
    header_name = bytearray()
    header_value = bytearray()
    headers: dict[bytes, bytes] = {}

    def on_part_begin() -> None:
        headers.clear()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_name.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        headers[bytes(header_name).lower()] = bytes(header_value)
        header_name.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        _, options = parse_options_header(headers.get(b"content-disposition", b""))
        label = (options.get(b"filename") or options.get(b"name") or b"part").decode(errors="replace")
        parts.append((label, bytearray()))

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parts[-1][1].extend(data[start:end])
        if len(parts[-1][1]) > item_limit:
            raise ImageTooLarge(f"an uploaded file exceeds the limit of {item_limit} bytes")

    callbacks = {
        "on_part_begin": on_part_begin,
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished,
        "on_part_data": on_part_data,
    }
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    try:
        parser.write(body)
        parser.finalize()
    except ParseError as error:  # found by fuzzing (tests/fuzz): was an HTTP 500
        raise BadRequest(f"malformed multipart body: {error}") from None
    return [Item(label, bytes(data)) for label, data in parts]


def _json_item(index: int, raw: object, allow_hashes: bool, item_limit: int) -> Item:
    if not isinstance(raw, dict):
        raise BadRequest(f"item {index} must be a JSON object")
    if "image" in raw:
        try:
            data = base64.b64decode(str(raw["image"]), validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest(f"item {index}: image is not valid base64") from None
        if len(data) > item_limit:
            raise ImageTooLarge(f"item {index} exceeds the limit of {item_limit} bytes")
        return Item(str(raw.get("name", index)), data=data)
    if "url" in raw:
        if not isinstance(raw["url"], str):
            raise BadRequest(f"item {index}: url must be a string")
        return Item(str(raw.get("name", index)), url=raw["url"])
    if "hashes" in raw and allow_hashes:
        hashes = raw["hashes"]
        if not isinstance(hashes, dict) or not all(isinstance(v, str) for v in hashes.values()):
            raise BadRequest(f"item {index}: hashes must map algorithm names to hash texts")
        return Item(str(raw.get("name", index)), hashes={str(k): v for k, v in hashes.items()})
    accepted = '"image" (base64) or "url"' + (' or "hashes"' if allow_hashes else "")
    raise BadRequest(f"item {index} needs {accepted}")


def load_json(body: bytes) -> Any:
    """The JSON document in ``body``; BadRequest for anything that is not JSON, including a
    document nested too deeply to parse (which the parser reports as RecursionError)."""
    try:
        return json.loads(body)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError among them
        raise BadRequest("body is not valid JSON") from None
    except RecursionError:
        raise BadRequest("body is JSON nested too deeply") from None


def _json_items(body: bytes, allow_hashes: bool, item_limit: int) -> list[Item]:
    document = load_json(body)
    raw_items = document.get("items") if isinstance(document, dict) and "items" in document else [document]
    if not isinstance(raw_items, list):
        raise BadRequest('"items" must be a list')
    return [_json_item(i, raw, allow_hashes, item_limit) for i, raw in enumerate(raw_items)]


def is_batch(request: Request) -> bool:
    """Whether the caller sent a batch (multipart or a JSON ``items`` list) rather than one item.

    Set by ``request_items``; a single item's failure is the whole request's HTTP status.
    """
    return bool(getattr(request.state, "batch", False))


async def request_items(
    request: Request, *, allow_hashes: bool, item_limit: int, body_limit: int, max_batch: int
) -> list[Item]:
    """The request's items, in order; raises BadRequest, or ImageTooLarge for oversized input."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    body = await read_body(request, body_limit)
    request.state.batch = content_type == b"multipart/form-data" or (
        content_type == b"application/json" and body.lstrip().startswith(b"{") and b'"items"' in body[:4096]
    )
    if content_type == b"application/json":
        items = _json_items(body, allow_hashes, item_limit)
    elif content_type == b"multipart/form-data":
        if b"boundary" not in options:
            raise BadRequest("multipart body without a boundary")
        items = _multipart_items(body, options[b"boundary"], item_limit)
    else:
        if len(body) > item_limit:
            raise ImageTooLarge(f"image exceeds the limit of {item_limit} bytes")
        items = [Item("body", data=body)]
    if not items:
        raise BadRequest("no items in the request")
    if len(items) > max_batch:
        raise BadRequest(f"at most {max_batch} items per request, got {len(items)}")
    return items

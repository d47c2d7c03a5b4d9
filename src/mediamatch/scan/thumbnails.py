"""Thumbnails for the case report, made in memory from the evidence (read-only) and never saved.

Each thumbnail comes in two forms: ``veiled``, a tiny greyscale rendering (8 pixels on
the long side) that is what the report shows by default, and ``clear``, at most
``THUMBNAIL_SIDE`` pixels, which the report only displays after a deliberate click.
No full-size image is ever embedded.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import IO

from PIL import Image

from mediamatch.errors import MediamatchError
from mediamatch.media import DecodeOptions, decode_image
from mediamatch.scan.archives import ARCHIVE_ERRORS, ArchiveError, members
from mediamatch.scan.evidence import open_evidence
from mediamatch.scan.kinds import HEAD_BYTES, ArchiveKind, archive_kind
from mediamatch.scan.lifeline import die_with_parent
from mediamatch.scan.records import MEMBER_SEPARATOR

THUMBNAIL_SIDE = 160
VEILED_SIDE = 8


@dataclass(frozen=True, slots=True)
class Thumbnail:
    """Two data URIs: the veiled default and the clear thumbnail."""

    veiled: str
    clear: str


def _find(stream: IO[bytes], prefix: str, target: str, kind: ArchiveKind) -> bytes:
    for member, member_stream in members(stream, kind):
        path = f"{prefix}{MEMBER_SEPARATOR}{member.name}"
        if path == target:
            return member_stream.read()
        if target.startswith(path + MEMBER_SEPARATOR):
            data = member_stream.read()
            inner = archive_kind(data[:HEAD_BYTES])
            if inner is not None:
                return _find(io.BytesIO(data), path, target, inner)
    raise ArchiveError(f"{target} not found in its archive")


def read_evidence(unit_path: str, path: str) -> bytes:
    """The bytes of a scanned file: ``unit_path`` on disk, or ``path`` inside it (archives nest)."""
    with open_evidence(unit_path) as handle:
        if path == unit_path:
            return handle.read()
        kind = archive_kind(handle.read(HEAD_BYTES))
        if kind is None:
            raise ArchiveError(f"{unit_path} is no longer an archive")
        handle.seek(0)
        return _find(handle, unit_path, path, kind)


def _data_uri(image: Image.Image, kind: str) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format=kind, **({"quality": 80} if kind == "JPEG" else {}))
    return f"data:image/{kind.lower()};base64,{base64.b64encode(buffer.getvalue()).decode()}"


def make_thumbnail(unit_path: str, path: str) -> Thumbnail | None:
    """Both forms for one image, or None if it cannot be read or decoded now."""
    try:
        decoded = decode_image(read_evidence(unit_path, path), DecodeOptions(reduce_to=THUMBNAIL_SIDE))
    except (MediamatchError, *ARCHIVE_ERRORS):
        return None
    image = Image.fromarray(decoded.pixels)
    image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    veiled = image.convert("L")
    veiled.thumbnail((VEILED_SIDE, VEILED_SIDE), Image.Resampling.BOX)
    return Thumbnail(_data_uri(veiled, "PNG"), _data_uri(image.convert("RGB"), "JPEG"))


def _one(pair: tuple[str, str]) -> Thumbnail | None:
    return make_thumbnail(*pair)


def make_thumbnails(wanted: Sequence[tuple[str, str]], workers: int | None = None) -> list[Thumbnail | None]:
    """Thumbnails for (unit path, path) pairs, in order, made in worker processes."""
    if len(wanted) < 8:
        return [_one(pair) for pair in wanted]
    pool = ProcessPoolExecutor(
        workers or os.cpu_count() or 1, initializer=die_with_parent, initargs=(os.getpid(),)
    )
    with pool:
        return list(pool.map(_one, wanted, chunksize=8))

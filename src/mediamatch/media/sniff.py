"""Media type detection from magic bytes; file names and extensions are never consulted."""

from __future__ import annotations

import enum

SNIFF_BYTES = 64
"""How many leading bytes ``sniff`` needs to decide."""

_HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
)


class MediaType(enum.Enum):
    """Media types we recognise; the value is the name Pillow's plug-in registers."""

    JPEG = "JPEG"
    PNG = "PNG"
    GIF = "GIF"
    BMP = "BMP"
    TIFF = "TIFF"
    WEBP = "WEBP"
    HEIF = "HEIF"


def _is_heif(head: bytes) -> bool:
    if head[4:8] != b"ftyp" or len(head) < 12:
        return False
    box_size = int.from_bytes(head[0:4], "big")
    brands = [head[8:12]] + [head[i : i + 4] for i in range(16, min(box_size, len(head)) - 3, 4)]
    return any(brand in _HEIF_BRANDS for brand in brands)


def sniff(head: bytes) -> MediaType | None:
    """The media type announced by the first bytes of a file, or None if unrecognised."""
    if head.startswith(b"\xff\xd8\xff"):
        return MediaType.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaType.PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return MediaType.GIF
    if head.startswith(b"BM") and len(head) >= 26:
        return MediaType.BMP
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return MediaType.TIFF
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return MediaType.WEBP
    if _is_heif(head):
        return MediaType.HEIF
    return None

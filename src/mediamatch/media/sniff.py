"""Media type detection from magic bytes; file names and extensions are never consulted."""

from __future__ import annotations

import enum

SNIFF_BYTES = 64
"""How many leading bytes ``sniff`` needs to decide."""

_HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
)


class MediaType(enum.Enum):
    """Media types we recognise; for images the value is the name Pillow's plug-in registers."""

    JPEG = "JPEG"
    PNG = "PNG"
    GIF = "GIF"
    BMP = "BMP"
    TIFF = "TIFF"
    WEBP = "WEBP"
    HEIF = "HEIF"
    MP4 = "MP4"
    MOV = "MOV"
    MATROSKA = "MATROSKA"
    WEBM = "WEBM"
    AVI = "AVI"
    FLV = "FLV"
    ASF = "ASF"
    MPEG_PS = "MPEG-PS"
    OGG = "OGG"

    @property
    def is_video(self) -> bool:
        """True for container formats that hold video (decoded by ``media.video``, not Pillow)."""
        return self in VIDEO_TYPES


VIDEO_TYPES = frozenset(
    {
        MediaType.MP4,
        MediaType.MOV,
        MediaType.MATROSKA,
        MediaType.WEBM,
        MediaType.AVI,
        MediaType.FLV,
        MediaType.ASF,
        MediaType.MPEG_PS,
        MediaType.OGG,
    }
)
"""The media types that are video containers."""

# Still-image brands of the ISO base media file format (AVIF is an image, not a video).
_IMAGE_ONLY_BRANDS = frozenset({b"avif", b"avis", b"crx ", b"jpx ", b"jp2 "})
# QuickTime files written without an ``ftyp`` box start with one of these atoms.
_QUICKTIME_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
_ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")


def _is_heif(head: bytes) -> bool:
    if head[4:8] != b"ftyp" or len(head) < 12:
        return False
    box_size = int.from_bytes(head[0:4], "big")
    brands = [head[8:12]] + [head[i : i + 4] for i in range(16, min(box_size, len(head)) - 3, 4)]
    return any(brand in _HEIF_BRANDS for brand in brands)


def _iso_media(head: bytes) -> MediaType | None:
    """MP4 (and 3GP, M4V) or MOV from an ISO base media ``ftyp`` box or a bare QuickTime atom."""
    if head[4:8] == b"ftyp" and len(head) >= 12:
        major = head[8:12]
        if major in _IMAGE_ONLY_BRANDS:
            return None
        return MediaType.MOV if major == b"qt  " else MediaType.MP4
    size = int.from_bytes(head[0:4], "big")
    if head[4:8] in _QUICKTIME_ATOMS and size >= 8:
        return MediaType.MOV
    return None


def _video(head: bytes) -> MediaType | None:
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return MediaType.WEBM if b"webm" in head[:64] else MediaType.MATROSKA
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return MediaType.AVI
    if head.startswith(b"FLV\x01"):
        return MediaType.FLV
    if head.startswith(_ASF_GUID):
        return MediaType.ASF
    if head.startswith(b"\x00\x00\x01\xba"):
        return MediaType.MPEG_PS
    if head.startswith(b"OggS"):
        return MediaType.OGG
    return _iso_media(head)


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
    return _video(head)

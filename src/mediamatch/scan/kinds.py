"""What a file is, from its first bytes only: an archive we open, a video, an image, or other.

Names and extensions are never consulted, so renamed files are found. Image types
come from ``media.sniff``; archives and videos are recognised here because only the
scanner needs them.
"""

from __future__ import annotations

import enum

from mediamatch.media.sniff import MediaType, sniff

HEAD_BYTES = 512
"""How many leading bytes ``classify`` needs (a tar header's magic sits at offset 257)."""

_VIDEO_FTYP_BRANDS = (b"isom", b"iso2", b"mp41", b"mp42", b"avc1", b"qt  ", b"3gp", b"3g2", b"M4V", b"dash")


class ArchiveKind(enum.Enum):
    """Containers the scanner opens. Compressed kinds are read as tar when they hold one."""

    ZIP = "zip"
    TAR = "tar"
    GZIP = "gzip"
    BZIP2 = "bzip2"
    XZ = "xz"


class FileKind(enum.Enum):
    """What a scanned file is, as recorded in the case."""

    IMAGE = "image"
    VIDEO = "video"
    ARCHIVE = "archive"
    OTHER = "other"


def archive_kind(head: bytes) -> ArchiveKind | None:
    """The archive format announced by ``head``, or None."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return ArchiveKind.ZIP
    if head[257:262] == b"ustar":
        return ArchiveKind.TAR
    if head.startswith(b"\x1f\x8b"):
        return ArchiveKind.GZIP
    if head.startswith(b"BZh"):
        return ArchiveKind.BZIP2
    if head.startswith(b"\xfd7zXZ\x00"):
        return ArchiveKind.XZ
    return None


def video_type(head: bytes) -> str | None:
    """A short name of the video container announced by ``head`` (mp4, avi, matroska, ...), or None."""
    if head[4:8] == b"ftyp" and head[8:12].startswith(_VIDEO_FTYP_BRANDS):
        return "mp4"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "avi"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"
    if head.startswith(b"FLV\x01"):
        return "flv"
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return "asf"
    if head.startswith((b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")):
        return "mpeg"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free"):
        return "quicktime"
    return None


def classify(head: bytes) -> tuple[FileKind, str | None]:
    """The kind of a file and its type name (``jpeg``, ``mp4``, ``zip``...), from its first bytes."""
    sniffed: MediaType | None = sniff(head)
    if sniffed is not None and not sniffed.is_video:
        return FileKind.IMAGE, sniffed.value.lower()
    video = video_type(head) or (sniffed.value.lower() if sniffed is not None else None)
    if video is not None:
        return FileKind.VIDEO, video
    archive = archive_kind(head)
    if archive is not None:
        return FileKind.ARCHIVE, archive.value
    return FileKind.OTHER, None


_IMAGE_SUFFIXES = (
    ".jpg",
    ".jpeg",
    ".jpe",
    ".png",
    ".gif",
    ".bmp",
    ".tif",
    ".tiff",
    ".webp",
    ".heic",
    ".heif",
)
_VIDEO_SUFFIXES = (
    ".mp4",
    ".m4v",
    ".mov",
    ".mkv",
    ".webm",
    ".avi",
    ".flv",
    ".wmv",
    ".mpg",
    ".mpeg",
    ".3gp",
    ".ogv",
)
_ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".tbz2", ".txz")
SUFFIX_KINDS: dict[str, FileKind] = {
    **dict.fromkeys(_IMAGE_SUFFIXES, FileKind.IMAGE),
    **dict.fromkeys(_VIDEO_SUFFIXES, FileKind.VIDEO),
    **dict.fromkeys(_ARCHIVE_SUFFIXES, FileKind.ARCHIVE),
}
"""File name endings that announce a kind; a file whose content says otherwise is flagged."""


def name_contradicts_content(path: str, kind: FileKind, size: int) -> str | None:
    """Why the file's name contradicts what its content is (``photo.jpg`` holding random bytes, an
    empty ``.png``, a video named ``.jpg``), or None when it does not or the name says nothing."""
    name = path.rsplit("/", 1)[-1].rsplit("!", 1)[-1]
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    announced = SUFFIX_KINDS.get(suffix)
    if announced is None or announced is kind:
        return None
    if size == 0:
        return f"named {suffix} but empty"
    content = "of no known type" if kind is FileKind.OTHER else _article(kind.value)
    return f"named {suffix} ({_article(announced.value)}) but its content is {content}"


def _article(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"

"""Members of zip and tar archives (tar plain or gzip, bzip2 or xz compressed), read as streams.

Nothing is extracted to disk. ``members`` yields each regular member's name, size,
modification time and a stream valid until the next member is asked for. Tar archives
are read strictly forwards (``r|*``), so compressed tars are decompressed once.
Errors from damaged archives surface as ``ArchiveError`` with what went wrong.
"""

from __future__ import annotations

import calendar
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from mediamatch.errors import MediamatchError
from mediamatch.scan.kinds import ArchiveKind

ARCHIVE_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    tarfile.TarError,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    NotImplementedError,
    RuntimeError,  # zipfile: encrypted member without a password
    ValueError,
    OSError,
)


class ArchiveError(MediamatchError):
    """An archive, or one of its members, cannot be read."""


@dataclass(frozen=True, slots=True)
class Member:
    """A regular member: its path inside the archive, size in bytes and modification time (UTC s)."""

    name: str
    size: int
    modified: float | None


def _zip_time(info: zipfile.ZipInfo) -> float | None:
    try:
        return float(calendar.timegm((*info.date_time, 0, 0, -1)))
    except (OverflowError, ValueError):
        return None


def _zip_members(source: IO[bytes]) -> Iterator[tuple[Member, IO[bytes]]]:
    with zipfile.ZipFile(source) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            with archive.open(info) as stream:
                yield Member(info.filename, info.file_size, _zip_time(info)), stream


def _tar_members(source: IO[bytes]) -> Iterator[tuple[Member, IO[bytes]]]:
    with tarfile.open(fileobj=source, mode="r|*") as archive:
        for info in archive:
            if not info.isfile():
                continue
            stream = archive.extractfile(info)
            if stream is not None:
                yield Member(info.name, info.size, float(info.mtime)), stream


def members(source: IO[bytes], kind: ArchiveKind) -> Iterator[tuple[Member, IO[bytes]]]:
    """Regular members of the archive in ``source`` (seekable for zip), in stored order.

    Compressed streams that do not hold a tar raise ``ArchiveError`` on the first read.
    """
    reader = _zip_members if kind is ArchiveKind.ZIP else _tar_members
    try:
        yield from reader(source)
    except ARCHIVE_ERRORS as error:
        raise ArchiveError(f"cannot read {kind.value} archive: {error}") from None


def open_member(source: IO[bytes], kind: ArchiveKind, name: str) -> bytes:
    """The bytes of member ``name`` (for thumbnails of a chosen file); ArchiveError if absent."""
    for member, stream in members(source, kind):
        if member.name == name:
            try:
                return stream.read()
            except ARCHIVE_ERRORS as error:
                raise ArchiveError(f"cannot read {name}: {error}") from None
    raise ArchiveError(f"no member {name!r} in the archive")

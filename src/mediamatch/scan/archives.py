"""Members of zip and tar archives (tar plain or gzip, bzip2 or xz compressed), read as streams.

Nothing is extracted to disk. ``members`` yields each regular member's name, size,
modification time and a stream valid until the next member is asked for. Tar archives
are read strictly forwards (``r|*``), so compressed tars are decompressed once.
Errors from damaged archives surface as ``ArchiveError`` with what went wrong.
"""

from __future__ import annotations

import calendar
import io
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

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


class _Unreadable(io.RawIOBase):
    """Stands for a member that cannot be opened: reading it raises the error (for that member only)."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise ArchiveError(f"cannot open member: {self.error}")


def _zip_members(source: IO[bytes], select: range | None) -> Iterator[tuple[Member, IO[bytes]]]:
    with zipfile.ZipFile(source) as archive:
        infos = archive.infolist()
        for index in select or range(len(infos)):
            info = infos[index]
            if not info.filename:  # found by fuzzing (tests/fuzz): zipfile cannot tell what it is
                unnamed = Member(f"(member {index} without a name)", info.file_size, _zip_time(info))
                yield unnamed, io.BufferedReader(_Unreadable(ValueError("the member has no name")))
                continue
            if info.is_dir():
                continue
            member = Member(info.filename, info.file_size, _zip_time(info))
            try:
                stream: IO[bytes] = archive.open(info)
            except ARCHIVE_ERRORS as error:  # encrypted or damaged: that member fails, not the archive
                yield member, io.BufferedReader(_Unreadable(error))
                continue
            with stream:
                yield member, stream


def zip_directory(source: IO[bytes]) -> list[zipfile.ZipInfo]:
    """The members a zip's central directory lists, in order (ArchiveError if it has none)."""
    try:
        with zipfile.ZipFile(source) as archive:
            return archive.infolist()
    except ARCHIVE_ERRORS as error:
        raise ArchiveError(f"cannot read zip archive: {error}") from None


def _tar_members(source: IO[bytes], select: range | None) -> Iterator[tuple[Member, IO[bytes]]]:
    with tarfile.open(fileobj=source, mode="r|*") as archive:
        for info in archive:
            if not info.isfile():
                continue
            stream = archive.extractfile(info)
            if stream is not None:
                yield Member(info.name, info.size, float(info.mtime)), stream


def members(
    source: IO[bytes], kind: ArchiveKind, select: range | None = None
) -> Iterator[tuple[Member, IO[bytes]]]:
    """Regular members of the archive in ``source`` (seekable for zip), in stored order.

    ``select``: for zip only, the indexes in the central directory to read. A zip member
    that cannot be opened comes with a stream whose first read raises ``ArchiveError``.
    Compressed streams that do not hold a tar raise ``ArchiveError`` on the first read.
    """
    reader = _zip_members if kind is ArchiveKind.ZIP else _tar_members
    try:
        yield from reader(source, select)
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

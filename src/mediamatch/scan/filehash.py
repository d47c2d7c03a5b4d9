"""Hashing one scanned file or archive member: digests always, perceptual hashes where they apply.

Every file gets MD5 and SHA-1 of its bytes. Images get PDQ and gradgrid144 from one
decode; videos get the video algorithm when one is registered (see ``scan.video``);
archives get their members scanned as files of their own (nested archives too, down
to ``MAX_DEPTH``). Files on the ignore list get digests only.

Content seen before in this process (same MD5, SHA-1 and size) is not decoded again:
its perceptual hashes are reused. Keying on both digests and the size means a crafted
MD5 collision alone cannot make two different files share hashes.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from mediamatch.algorithms import AlgorithmRegistry, HashResult
from mediamatch.engine.hashing import FileHasher, HashMode
from mediamatch.engine.resilience import Resilience
from mediamatch.errors import ImageTooLarge, MediamatchError
from mediamatch.media.image import DEFAULT_MAX_BYTES
from mediamatch.scan.archives import ARCHIVE_ERRORS, Member, members
from mediamatch.scan.evidence import iter_chunks, open_evidence, times_of
from mediamatch.scan.ignore import IgnoreSet
from mediamatch.scan.kinds import HEAD_BYTES, ArchiveKind, FileKind, classify, name_contradicts_content
from mediamatch.scan.records import MEMBER_SEPARATOR, FileRecord, Hash, Status, Times
from mediamatch.scan.video import MEMBER_TOO_LARGE, MEMBER_VIDEO_MAX_BYTES, NO_VIDEO_HASH, video_hasher

IMAGE_ALGORITHMS = ("pdq", "gradgrid144")
MAX_DEPTH = 8
NESTED_ARCHIVE_MAX_BYTES = 1 << 30
CACHE_LIMIT = 200_000


ContentKey = tuple[bytes, bytes, int]
"""MD5, SHA-1 and size of some content."""


@dataclass(frozen=True, slots=True)
class Content:
    """What the bytes decoded to, shared by every copy of the same content."""

    hashes: tuple[Hash, ...]
    width: int | None
    height: int | None
    error: tuple[str, str] | None


@dataclass(frozen=True, slots=True)
class Source:
    """A file or member to hash: shown path, size, times, and the path on disk for top-level files."""

    path: str
    size: int
    times: Times
    disk_path: Path | None
    depth: int = 0
    select: range | None = None


class ScanHasher:
    """Per-process hasher for scan work; holds a cache of decoded content by digest."""

    def __init__(
        self,
        registry: AlgorithmRegistry,
        mode: HashMode,
        ignore: IgnoreSet,
        shared: MutableMapping[ContentKey, Content] | None = None,
        resilience: bool = True,
        crop_windows: bool = True,
    ) -> None:
        """``shared``: decoded content shared with the other workers of a scan (and, when a scan
        resumes, the content it hashed before it was interrupted). ``resilience``: also keep the
        resilience stage's query hashes (turned, mirrored, inside borders) for matching, with its
        crop windows when ``crop_windows``."""
        self.registry = registry
        self.resilience = resilience
        stage = Resilience(crop_windows=crop_windows) if resilience else None
        chosen = [registry.get(name) for name in IMAGE_ALGORITHMS]
        self.images = FileHasher(chosen, mode=mode, resilience=stage)
        self.video = video_hasher(registry)
        self.ignore = ignore
        self._cache: dict[ContentKey, Content] = {}
        self._shared = shared

    def hash_path(self, path: str, members: tuple[int, int] | None = None) -> list[FileRecord]:
        """Records for one file on disk: itself, then any archive members. Never raises for bad input.

        ``members``: only this range of a zip's members; the file's own record comes with the
        range that starts at 0, so the ranges of a plan together give the whole file's records.
        """
        if members is not None and members[0] > 0:
            return self._zip_part(path, range(*members))
        select = None if members is None else range(*members)
        source = Source(path, 0, Times(), Path(path), select=select)
        try:
            with open_evidence(path) as handle:
                status = _fstat(handle)
                source = replace(source, size=status.st_size, times=times_of(status))
                return list(self._hash_stream(source, handle, seekable=True))
        except (MediamatchError, OSError) as error:
            return [_error_record(source, FileKind.OTHER, None, error)]

    def _zip_part(self, path: str, select: range) -> list[FileRecord]:
        found: list[FileRecord] = []
        try:
            with open_evidence(path) as handle:
                for member, stream in members(handle, ArchiveKind.ZIP, select):
                    found += self._member(self._inner(Source(path, 0, Times(), None), member), stream)
        except (MediamatchError, OSError, *ARCHIVE_ERRORS) as error:
            record = FileRecord(path, 0, Times(), FileKind.ARCHIVE, ArchiveKind.ZIP.value)
            note = f"members {select.start}-{select.stop - 1}: {len(found)} read before the error"
            return [_with_error(record, error, _noted(record, note)), *found]
        return found

    @staticmethod
    def _inner(outer: Source, member: Member) -> Source:
        path = f"{outer.path}{MEMBER_SEPARATOR}{member.name}"
        return Source(path, member.size, Times(member.modified), None, outer.depth + 1)

    def _hash_stream(self, source: Source, stream: IO[bytes], *, seekable: bool) -> Iterator[FileRecord]:
        head = stream.read(HEAD_BYTES)
        kind, type_name = classify(head)
        mismatch = name_contradicts_content(source.path, kind, source.size)
        record = FileRecord(source.path, source.size, source.times, kind, type_name, note=mismatch)
        keep = kind is FileKind.IMAGE and source.size <= DEFAULT_MAX_BYTES
        keep = keep or (kind is FileKind.ARCHIVE and not seekable and source.size <= NESTED_ARCHIVE_MAX_BYTES)
        keep = keep or (kind is FileKind.VIDEO and source.disk_path is None and self.video is not None)
        keep = keep and not (kind is FileKind.VIDEO and source.size > MEMBER_VIDEO_MAX_BYTES)
        md5, sha1, data = _digest(head, stream, keep, seekable=seekable)
        record = replace(record, md5=md5.hex(), sha1=sha1.hex())
        if self.ignore.contains(md5, sha1):
            record = replace(record, status=Status.IGNORED)
        if kind is FileKind.ARCHIVE:  # an ignored archive is still opened: its members are checked one by one
            yield from self._archive(record, source, stream, data, seekable=seekable)
        elif record.status is Status.IGNORED:
            yield record
        elif kind is FileKind.IMAGE:
            yield self._image(record, data, (md5, sha1, source.size))
        elif kind is FileKind.VIDEO:
            yield self._video(record, source, data)
        else:
            yield record

    def _image(self, record: FileRecord, data: bytes | None, key: ContentKey) -> FileRecord:
        if data is None:
            error = ImageTooLarge(f"{record.size} bytes exceeds the decode limit of {DEFAULT_MAX_BYTES}")
            return _with_error(record, error)
        content = self._cache.get(key) or self._shared_get(key)
        if content is None:
            content = self._decode(record.path, data)
            self._shared_put(key, content)
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = content
        done = replace(record, hashes=content.hashes, width=content.width, height=content.height)
        if content.error is not None:
            return replace(
                done, status=Status.ERROR, error_kind=content.error[0], error_message=content.error[1]
            )
        return done

    def _shared_get(self, key: ContentKey) -> Content | None:
        try:
            return None if self._shared is None else self._shared.get(key)
        except (OSError, EOFError):  # the sharing process is gone (the scan is stopping): decode here
            return None

    def _shared_put(self, key: ContentKey, content: Content) -> None:
        try:
            if self._shared is not None:
                self._shared[key] = content
        except (OSError, EOFError):
            pass

    def _decode(self, path: str, data: bytes) -> Content:
        hashed = self.images.hash_data(path, data)
        hashes = tuple(self._hash(name, result) for name, result in hashed.results.items())
        hashes += tuple(
            self._hash(name, variant.result, variant.label)
            for name, variants in hashed.variants.items()
            for variant in variants[1:]  # the first is the plain hash
        )
        width, height = hashed.size or (None, None)
        error = None if hashed.error is None else (hashed.error.kind, hashed.error.message)
        return Content(hashes, width, height, error)

    def _hash(self, name: str, result: HashResult, variant: str = "") -> Hash:
        return Hash(name, self.registry.get(name).format(result.value), result.quality, variant)

    def _video(self, record: FileRecord, source: Source, data: bytes | None) -> FileRecord:
        """A video on disk is decoded from its file, one inside an archive from its bytes in memory."""
        if self.video is None:
            return replace(record, note=_noted(record, NO_VIDEO_HASH))
        video_source = source.disk_path if source.disk_path is not None else data
        if video_source is None:
            return replace(record, note=_noted(record, MEMBER_TOO_LARGE))
        try:
            if isinstance(video_source, bytes):
                result, turned = self.video.hash(video_source, turned=self.resilience)
            else:  # decoded from a handle opened as all evidence is: the access time stays put
                with open_evidence(video_source) as handle:
                    result, turned = self.video.hash(handle, turned=self.resilience)
        except MediamatchError as error:
            return _with_error(record, error)
        name = self.video.name
        hashes = (self._hash(name, result), *(self._hash(name, r, label) for label, r in turned.items()))
        return replace(record, hashes=hashes)

    def _archive(
        self, record: FileRecord, source: Source, stream: IO[bytes], data: bytes | None, *, seekable: bool
    ) -> Iterator[FileRecord]:
        if source.depth >= MAX_DEPTH:
            yield replace(record, note=_noted(record, f"archive nested deeper than {MAX_DEPTH}: not opened"))
            return
        if not seekable and data is None:
            yield replace(record, note=_noted(record, "nested archive over 1 GiB: not opened"))
            return
        container: IO[bytes] = stream if data is None else io.BytesIO(data)
        container.seek(0)
        found: list[FileRecord] = []
        try:
            kind = ArchiveKind(record.type_name or "")
            for member, member_stream in members(container, kind, source.select):
                found += self._member(self._inner(source, member), member_stream)
        except (MediamatchError, *ARCHIVE_ERRORS) as error:
            record = _with_error(record, error, f"{len(found)} members read before the error")
        yield record
        yield from found

    def _member(self, source: Source, stream: IO[bytes]) -> list[FileRecord]:
        try:
            return list(self._hash_stream(source, stream, seekable=False))
        except (MediamatchError, *ARCHIVE_ERRORS) as error:
            return [_error_record(source, FileKind.OTHER, None, error)]


def _fstat(handle: IO[bytes]) -> os.stat_result:
    return os.fstat(handle.fileno())


def _digest(
    head: bytes, stream: IO[bytes], keep: bool, *, seekable: bool
) -> tuple[bytes, bytes, bytes | None]:
    """MD5, SHA-1 and, when ``keep``, the whole content (``head`` was read from ``stream`` already)."""
    if keep and seekable:
        stream.seek(0)
        data = stream.read()
        return (
            hashlib.md5(data, usedforsecurity=False).digest(),
            hashlib.sha1(data, usedforsecurity=False).digest(),
            data,
        )
    md5, sha1 = hashlib.md5(head, usedforsecurity=False), hashlib.sha1(head, usedforsecurity=False)
    kept = [head] if keep else None
    for chunk in iter_chunks(stream):
        md5.update(chunk)
        sha1.update(chunk)
        if kept is not None:
            kept.append(chunk)
    return md5.digest(), sha1.digest(), None if kept is None else b"".join(kept)


def _noted(record: FileRecord, note: str) -> str:
    """The record's note with ``note`` added (a name that contradicts the content stays said)."""
    return note if record.note is None else f"{record.note}; {note}"


def _with_error(record: FileRecord, error: Exception, note: str | None = None) -> FileRecord:
    message = str(error) or type(error).__name__
    return replace(
        record, status=Status.ERROR, error_kind=type(error).__name__, error_message=message, note=note
    )


def _error_record(source: Source, kind: FileKind, type_name: str | None, error: Exception) -> FileRecord:
    record = FileRecord(source.path, source.size, source.times, kind, type_name)
    return _with_error(record, error)

"""Hashing files: walk paths, decode each image once, run every requested algorithm on it.

Batch contract: ``FileHasher.hash_paths`` yields exactly one ``FileHashes`` per
file found (and one per path that does not exist), in a stable order. A file that
cannot be read or decoded yields a record with ``error`` set; the walk goes on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mediamatch.algorithms import (
    Dihedral,
    FileHashAlgorithm,
    HashAlgorithm,
    HashResult,
    ImageHashAlgorithm,
    VideoHashAlgorithm,
)
from mediamatch.engine.resilience import QueryVariant, Resilience, query_views
from mediamatch.engine.verification import QueryPicture
from mediamatch.engine.video import VideoStats, hash_video
from mediamatch.errors import ImageTooLarge, MediamatchError, UnknownAlgorithm, UnsupportedMedia
from mediamatch.media import DecodedImage, DecodeOptions
from mediamatch.media.image import decoding, read_limited
from mediamatch.media.sniff import SNIFF_BYTES, MediaType, sniff
from mediamatch.media.video import VideoOptions

FAST_MODE_SHORT_SIDE = 256
"""Fast mode decodes so that the image's shorter side keeps at least this many pixels."""


class HashMode(enum.Enum):
    """``exact``: full-resolution decode, bit-exact with reference implementations.
    ``fast``: reduced-scale decode (DCT-domain for JPEG) before hashing, hashed with
    ``hash_reduced`` (which estimates the full-scale hash); a few bits may differ.
    """

    EXACT = "exact"
    FAST = "fast"


@dataclass(frozen=True, slots=True)
class ItemError:
    """Why one item failed: the domain exception's class name and its message."""

    kind: str
    message: str

    @classmethod
    def from_exception(cls, error: Exception) -> ItemError:
        return cls(type(error).__name__, str(error) or type(error).__name__)


@dataclass(frozen=True, slots=True)
class FileHashes:
    """The outcome for one file: hashes by algorithm name, or an error.

    ``variants`` holds the resilience stage's query hashes by algorithm (each list starts
    with the hash in ``results``), and ``picture`` what verification looks at of an image, only
    when the hasher runs the stage.
    """

    path: str
    results: dict[str, HashResult] = field(default_factory=dict)
    media_type: MediaType | None = None
    size: tuple[int, int] | None = None
    error: ItemError | None = None
    video: VideoStats | None = None
    variants: dict[str, list[QueryVariant]] = field(default_factory=dict)
    picture: QueryPicture | None = None


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files named directly, then files under folders (recursively, sorted, symlinked folders not followed).

    A path that does not exist is yielded as is, so the caller can report it.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for folder, subfolders, files in os.walk(path):
                subfolders.sort()
                for name in sorted(files):
                    yield Path(folder) / name
        else:
            yield path


READ_CHUNK = 1 << 20


def regular_file_size(path: Path) -> int:
    """Size of a regular file; pipes, sockets and devices are refused (reading them could hang)."""
    status = path.stat()
    if not stat.S_ISREG(status.st_mode):
        raise UnsupportedMedia(f"{path} is not a regular file")
    return status.st_size


class _Plan(enum.Enum):
    IMAGE = "image"
    VIDEO = "video"
    DIGESTS = "digests"


class FileHasher:
    """Read each file once, decode each image once, and hash with every configured algorithm.

    File algorithms (MD5, SHA-1, SHA-256) hash the raw bytes of any file, streaming files
    larger than the decode limit; image algorithms share one decode. A video (sniffed from
    its first bytes) gets the video algorithms instead of the image ones, decoded straight
    from the file (or from memory for ``hash_data``) within ``video_options``; it is an
    error only when no video algorithm was asked for (and an image, when only video
    algorithms were), unless ``skip_other_media``: then such a file gets its digests only
    (a matcher whose banks hold no video hashes has nothing to match a video with).
    Reusable and stateless between files.
    """

    def __init__(
        self,
        algorithms: Sequence[HashAlgorithm],
        *,
        mode: HashMode = HashMode.EXACT,
        decode_options: DecodeOptions | None = None,
        video_options: VideoOptions | None = None,
        skip_other_media: bool = False,
        resilience: Resilience | None = None,
    ) -> None:
        """``resilience``: also compute the stage's query variants of each image (default: off)."""
        if not algorithms:
            raise UnknownAlgorithm("at least one algorithm is required")
        self.image_algorithms = [a for a in algorithms if isinstance(a, ImageHashAlgorithm)]
        self.file_algorithms = [a for a in algorithms if isinstance(a, FileHashAlgorithm)]
        self.video_algorithms = [a for a in algorithms if isinstance(a, VideoHashAlgorithm)]
        known = self.image_algorithms + self.file_algorithms + self.video_algorithms
        unsupported = [a.name for a in algorithms if a not in known]
        if unsupported:
            raise UnknownAlgorithm(f"cannot hash files with {', '.join(unsupported)} yet")
        self.names = [a.name for a in algorithms]
        options = decode_options or DecodeOptions()
        if mode is HashMode.FAST:
            options = dataclasses.replace(options, reduce_to=FAST_MODE_SHORT_SIDE)
        self.decode_options = options
        self.video_options = video_options or VideoOptions()
        self.skip_other_media = skip_other_media
        self.resilience = resilience if resilience is not None and resilience.enabled else None

    def hash_decoded(self, image: DecodedImage) -> dict[str, HashResult]:
        """Each image algorithm's hash; of a reduced decode (fast mode), ``hash_reduced``."""
        if image.reduced and image.full_size is not None:
            return {a.name: a.hash_reduced(image.pixels, image.full_size) for a in self.image_algorithms}
        return {a.name: a.hash_pixels(image.pixels) for a in self.image_algorithms}

    def _hash_image(
        self, image: DecodedImage
    ) -> tuple[dict[str, HashResult], dict[str, list[QueryVariant]], QueryPicture | None]:
        if self.resilience is None:
            return self.hash_decoded(image), {}, None
        variants, parts = query_views(image.pixels, self.image_algorithms, self.resilience)
        if image.reduced:  # the whole picture's hash as fast mode makes it; the variants as they come
            for name, result in self.hash_decoded(image).items():
                variants[name][0] = dataclasses.replace(variants[name][0], result=result)
        picture = QueryPicture.of(image.pixels, parts)
        return {name: found[0].result for name, found in variants.items()}, variants, picture

    def _read_if_decodable(self, path: Path, size: int) -> bytes | None:
        """The whole file when images are to be hashed and it fits the decode limit, else None."""
        if not self.image_algorithms or size > self.decode_options.max_bytes:
            return None
        return read_limited(path, self.decode_options.max_bytes)

    def _streamed_digests(self, path: Path) -> dict[str, HashResult]:
        digests = [(a, a.new_digest()) for a in self.file_algorithms]
        if digests:
            with path.open("rb") as handle:
                while chunk := handle.read(READ_CHUNK):
                    for _, digest in digests:
                        digest.update(chunk)
        return {a.name: a.result_of(digest) for a, digest in digests}

    def _plan(self, head: MediaType | None) -> _Plan:
        """What to do with a file of this sniffed type (see the class docstring)."""
        video = head is not None and head.is_video
        image = head is not None and not video
        if video and self.video_algorithms:
            return _Plan.VIDEO
        if image and self.image_algorithms:
            return _Plan.IMAGE
        if self.skip_other_media and (video or image):
            return _Plan.DIGESTS
        if self.image_algorithms:
            return _Plan.IMAGE  # the image decoder explains what is wrong with the file
        return _Plan.VIDEO if self.video_algorithms else _Plan.DIGESTS

    def hash_file(self, path: str | os.PathLike[str]) -> FileHashes:
        """Hash one file; domain and I/O errors become an error record (with any digests made).

        A file that fits the decode limit is read once and hashed as ``hash_data`` does;
        a larger one (or any file when only digests are asked for) is streamed. A video is
        streamed through the digests and decoded from the file, never read whole.
        """
        path = Path(path)
        results: dict[str, HashResult] = {}
        try:
            size = regular_file_size(path)
            with path.open("rb") as handle:
                plan = self._plan(sniff(handle.read(SNIFF_BYTES)))
            if plan is _Plan.VIDEO:
                return self._hash_video(str(path), path, self._streamed_digests(path))
            data = self._read_if_decodable(path, size) if plan is _Plan.IMAGE else None
            if data is not None:
                return self.hash_data(str(path), data)
            results = self._streamed_digests(path)
            if plan is _Plan.IMAGE:
                raise ImageTooLarge(f"{size} bytes exceeds the limit of {self.decode_options.max_bytes}")
        except (MediamatchError, OSError) as error:
            failed = ItemError.from_exception(error)
            return FileHashes(str(path), self._in_request_order(results), error=failed)
        return FileHashes(str(path), self._in_request_order(results))

    def hash_data(self, name: str, data: bytes) -> FileHashes:
        """Hash bytes held in memory (an upload); the same record as ``hash_file`` gives."""
        results: dict[str, HashResult] = {a.name: a.hash_bytes(data) for a in self.file_algorithms}
        plan = self._plan(sniff(data[:SNIFF_BYTES]))
        if plan is _Plan.VIDEO:
            return self._hash_video(name, data, results)
        if plan is _Plan.DIGESTS:
            return FileHashes(name, self._in_request_order(results))
        with contextlib.ExitStack() as held:  # the decode budget is held while the pixels are hashed
            try:
                image = held.enter_context(decoding(data, self.decode_options))
            except MediamatchError as error:
                failed = ItemError.from_exception(error)
                return FileHashes(name, self._in_request_order(results), error=failed)
            hashed, variants, picture = self._hash_image(image)
        results.update(hashed)
        ordered = self._in_request_order(results)
        return FileHashes(
            name, ordered, image.media_type, image.source_size, variants=variants, picture=picture
        )

    def _hash_video(self, name: str, source: bytes | Path, results: dict[str, HashResult]) -> FileHashes:
        """Video hashes beside the digests already made; a decoding failure becomes the error."""
        turns = list(Dihedral) if self.resilience is not None and self.resilience.dihedral else []
        try:
            hashed, stats, turned = hash_video(source, self.video_algorithms, self.video_options, turns)
        except MediamatchError as error:
            return FileHashes(name, self._in_request_order(results), error=ItemError.from_exception(error))
        results.update(hashed)
        size = (stats.width, stats.height)
        variants = {
            algorithm: [QueryVariant(turn.value, result) for turn, result in by_turn.items()]
            for algorithm, by_turn in turned.items()
        }
        ordered = self._in_request_order(results)
        return FileHashes(name, ordered, stats.media_type, size, video=stats, variants=variants)

    def _in_request_order(self, results: dict[str, HashResult]) -> dict[str, HashResult]:
        return {name: results[name] for name in self.names if name in results}

    def hash_paths(self, paths: Iterable[str | os.PathLike[str]]) -> Iterator[FileHashes]:
        for path in iter_files(paths):
            yield self.hash_file(path)

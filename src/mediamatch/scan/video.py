"""Where video hashing plugs into the scan.

A video is hashed with the registry's algorithm named ``vpdq`` when one is registered
for video and can hash a file on disk (it declares ``hash_video_file``); otherwise the
scan records the video's MD5 and SHA-1 only and says so in the file's note and in the
case. Videos inside archives get digests only: they would have to be written to disk
for a video decoder, and the scan never writes evidence anywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from mediamatch.algorithms import AlgorithmRegistry, HashResult, MediaKind

VIDEO_ALGORITHM = "vpdq"
NO_VIDEO_HASH = "no video hash algorithm (vpdq) is registered: MD5 and SHA-1 only"
IN_ARCHIVE = "video inside an archive: MD5 and SHA-1 only (never extracted to disk)"


@runtime_checkable
class VideoFileHasher(Protocol):
    """What the scan needs of a video algorithm: its name and a hash of a video file."""

    name: str

    def hash_video_file(self, path: Path) -> HashResult: ...


def video_hasher(registry: AlgorithmRegistry) -> VideoFileHasher | None:
    """The registered ``vpdq`` algorithm when it hashes video files, else None."""
    if VIDEO_ALGORITHM not in registry.names():
        return None
    algorithm = registry.get(VIDEO_ALGORITHM)
    if algorithm.media_kind is not MediaKind.VIDEO or not isinstance(algorithm, VideoFileHasher):
        return None
    return algorithm

"""Where video hashing plugs into the scan.

A video is hashed with the registry's video algorithm named ``vpdq`` (one frame a second,
as queries are everywhere), from the file on disk or, for an archive member, from the
member's bytes in memory: nothing is ever written to disk. Without such an algorithm, or
for a member over ``MEMBER_VIDEO_MAX_BYTES``, the scan records the video's MD5 and SHA-1
only and says so in the file's note.
"""

from __future__ import annotations

from mediamatch.algorithms import AlgorithmRegistry, Dihedral, HashResult, VideoHashAlgorithm
from mediamatch.engine.video import hash_video
from mediamatch.media.video import VideoOptions, VideoSource

VIDEO_ALGORITHM = "vpdq"
NO_VIDEO_HASH = "no video hash algorithm (vpdq) is registered: MD5 and SHA-1 only"
MEMBER_VIDEO_MAX_BYTES = 512 * 1024 * 1024
"""The largest video inside an archive that is hashed (in memory)."""
MEMBER_TOO_LARGE = f"video inside an archive over {MEMBER_VIDEO_MAX_BYTES} bytes: MD5 and SHA-1 only"


class VideoHasher:
    """Hashes a video file, or a video's bytes, with one video algorithm."""

    def __init__(self, algorithm: VideoHashAlgorithm, options: VideoOptions | None = None) -> None:
        self.algorithm = algorithm
        self.options = options or VideoOptions()

    @property
    def name(self) -> str:
        return self.algorithm.name

    def hash(self, source: VideoSource, turned: bool = False) -> tuple[HashResult, dict[str, HashResult]]:
        """The video's hash and, with ``turned``, the hashes of its turned and mirrored copies by
        label (the resilience stage's query variants; none for algorithms other than vPDQ)."""
        turns = [turn for turn in Dihedral if turn is not Dihedral.ORIGINAL] if turned else []
        results, _, variants = hash_video(source, [self.algorithm], self.options, turns)
        by_turn = variants.get(self.name, {})
        extra = {turn.value: result for turn, result in by_turn.items() if turn is not Dihedral.ORIGINAL}
        return results[self.name], extra


def video_hasher(registry: AlgorithmRegistry, options: VideoOptions | None = None) -> VideoHasher | None:
    """A hasher with the registered ``vpdq`` when it is a video algorithm, else None."""
    if VIDEO_ALGORITHM not in registry.names():
        return None
    algorithm = registry.get(VIDEO_ALGORITHM)
    if not isinstance(algorithm, VideoHashAlgorithm):
        return None
    return VideoHasher(algorithm, options)

"""Hashing videos: decode once per video algorithm, sampled as the options say, with statistics.

``hash_video`` is what ``FileHasher`` calls for a video; ``vpdq_frames`` is the short way
to get a file's vPDQ frame hashes (for the scanner, or a script). Both accept a path
(decoded straight from disk) or bytes (decoded in memory); neither writes anything.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from mediamatch.algorithms import Dihedral, HashResult, VideoHashAlgorithm, VpdqAlgorithm, VpdqFrame
from mediamatch.media.sniff import MediaType
from mediamatch.media.video import VideoFrame, VideoOptions, VideoReader, VideoSource, open_video


@dataclass(frozen=True, slots=True)
class VideoStats:
    """What decoding found: the container's description and the frame counts of the last decode.

    ``decoded_frames`` counts every frame decoded, ``sampled_frames`` those hashed and
    ``corrupt_packets`` the packets that could not be decoded and were skipped.
    """

    media_type: MediaType
    codec: str
    width: int
    height: int
    duration: float | None
    frame_rate: float | None
    decoded_frames: int
    sampled_frames: int
    corrupt_packets: int


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    def through(self, frames: Iterator[VideoFrame]) -> Iterator[VideoFrame]:
        for frame in frames:
            self.count += 1
            yield frame


def _stats(reader: VideoReader, counter: _Counter) -> VideoStats:
    info = reader.info
    return VideoStats(
        info.media_type,
        info.codec,
        info.width,
        info.height,
        info.duration,
        info.frame_rate,
        reader.decoded_frames,
        counter.count,
        reader.corrupt_packets,
    )


def hash_video(
    source: VideoSource,
    algorithms: Sequence[VideoHashAlgorithm],
    options: VideoOptions | None = None,
    turns: Sequence[Dihedral] = (),
) -> tuple[dict[str, HashResult], VideoStats, dict[str, dict[Dihedral, HashResult]]]:
    """Every algorithm's hash of ``source``, the decoding statistics, and, where ``turns`` are
    asked for, the hashes of the video turned or mirrored so by algorithm (vPDQ only; others
    get none). Raises the media layer's errors for bad input."""
    results: dict[str, HashResult] = {}
    turned: dict[str, dict[Dihedral, HashResult]] = {}
    stats: VideoStats | None = None
    for algorithm in algorithms:
        with open_video(source, options) as reader:
            counter = _Counter()
            frames = counter.through(reader.frames(keep=algorithm.keeps_frame))
            if turns and isinstance(algorithm, VpdqAlgorithm):
                turned[algorithm.name] = algorithm.hash_frames_turned(frames, turns)
                results[algorithm.name] = turned[algorithm.name][Dihedral.ORIGINAL]
            else:
                results[algorithm.name] = algorithm.hash_frames(frames)
            stats = _stats(reader, counter)
    if stats is None:
        raise ValueError("hash_video needs at least one video algorithm")
    return results, stats, turned


@dataclass(frozen=True, slots=True)
class VideoHashes:
    """A video's vPDQ frames (in decoding order) and the decoding statistics."""

    frames: list[VpdqFrame]
    stats: VideoStats


def vpdq_frames(
    source: VideoSource, options: VideoOptions | None = None, algorithm: VpdqAlgorithm | None = None
) -> VideoHashes:
    """The vPDQ frame hashes of ``source`` (1 frame per second unless ``options`` say otherwise)."""
    chosen = algorithm or VpdqAlgorithm()
    results, stats, _ = hash_video(source, [chosen], options)
    return VideoHashes(chosen.frames(results[chosen.name].value), stats)

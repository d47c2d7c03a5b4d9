"""Comparing our vPDQ frame hashes with the reference implementation's hash files.

The reference files (``<video>.txt`` from full-size frames, ``<video>-128x128.txt`` from
frames scaled to 128x128 first) list ``frame,quality,hash,timestamp`` for every frame.
We hash every frame the same way and report the Hamming distance per frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mediamatch.algorithms import VpdqAlgorithm
from mediamatch.algorithms.vpdq import read_vpdq_text
from mediamatch.media.video import VideoOptions, open_video

VARIANTS: dict[str, tuple[int, int] | None] = {"": None, "-128x128": (128, 128)}
"""Reference file suffix -> the frame size the reference scaled to before hashing."""


@dataclass(frozen=True, slots=True)
class Conformance:
    """Per-frame distances (bits) to the reference, frames compared, and timestamp agreement.

    ``usable`` marks the frames whose reference quality reaches PDQ's floor of 50: the
    hashes of flatter frames are never matched, and tiny decoding differences move them.
    """

    distances: list[int]
    usable: list[bool]
    frames_missing: int
    max_timestamp_error_ms: int

    def summary(self, usable_only: bool = False) -> dict[str, float]:
        chosen = [d for d, ok in zip(self.distances, self.usable, strict=True) if ok or not usable_only]
        d = np.array(chosen or [0])
        return {
            "frames": len(chosen),
            "median": float(np.median(d)),
            "p99": float(np.percentile(d, 99)),
            "max": int(d.max()),
            "within_10_pct": 100.0 * float((d <= 10).mean()),
            "exact_pct": 100.0 * float((d == 0).mean()),
        }


def compare_with_reference(
    video: Path, reference: Path, scale: tuple[int, int] | None, limit: int | None = None
) -> Conformance:
    """Hash every frame of ``video`` (the first ``limit``) and compare with ``reference``'s frames."""
    expected = {f.number: f for f in read_vpdq_text(reference.read_text())}
    algorithm = VpdqAlgorithm(regions=False)
    distances, usable, worst_ms, seen = [], [], 0, 0
    # Meta's sample hash files were made before vPDQ moved from Lanczos to area scaling (July 2023).
    options = VideoOptions(sample_interval=None, scale_to=scale, scale_filter="LANCZOS")
    with open_video(video, options) as reader:
        for frame in reader.frames():
            if limit is not None and seen >= limit:
                break
            seen += 1
            ours = algorithm.hash_frame(frame.number, frame.timestamp, frame.pixels)[0]
            theirs = expected.get(frame.number)
            if theirs is None:
                continue
            xor = int.from_bytes(ours.pdq, "big") ^ int.from_bytes(theirs.pdq, "big")
            distances.append(xor.bit_count())
            usable.append(theirs.quality >= algorithm.frame_min_quality)
            worst_ms = max(worst_ms, abs(ours.timestamp_ms - theirs.timestamp_ms))
    wanted = len(expected) if limit is None else min(limit, len(expected))
    return Conformance(distances, usable, wanted - len(distances), worst_ms)

"""Our vPDQ frame hashes against the reference implementation's, every frame of a bounded sample.

The goal (>= 99 % of frames within 10 bits) is asserted on the frames the reference
rates usable (quality >= 50); the distribution over all frames is printed beside it.
The full distribution over every sample video is printed by ``bench/vpdq_conformance.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mediamatch.testing.vpdq_conformance import VARIANTS, compare_with_reference

SAMPLE = ("chair-19-sd-bar", "pattern-hd-no-bar", "doorknob-hd-no-bar")
FRAMES = 60


@pytest.mark.parametrize("suffix", sorted(VARIANTS))
@pytest.mark.parametrize("name", SAMPLE)
def test_frame_hashes_agree_with_reference(reference_dir: Path, name: str, suffix: str) -> None:
    video = reference_dir / "videos" / f"{name}.mp4"
    reference = reference_dir / "vpdq-hashes" / f"{name}{suffix}.txt"
    if not video.is_file() or not reference.is_file():
        pytest.skip(f"{video.name} or {reference.name} is not in the reference folder")
    result = compare_with_reference(video, reference, VARIANTS[suffix], limit=FRAMES)
    print(f"{name}{suffix}: all frames {result.summary()}; usable {result.summary(usable_only=True)}")
    assert result.frames_missing == 0
    assert result.max_timestamp_error_ms <= 1
    usable = result.summary(usable_only=True)
    assert usable["frames"] > 0
    assert usable["within_10_pct"] >= 99.0

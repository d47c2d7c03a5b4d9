"""vPDQ: the contract, vPDQ's text format, stored bytes, region hashes and the comparison rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mediamatch.algorithms import HashValue, PdqAlgorithm, VideoHashAlgorithm, VpdqAlgorithm, VpdqFrame
from mediamatch.algorithms.vpdq import (
    VideoComparison,
    decode_frames,
    encode_frames,
    format_vpdq_text,
    merge_ranges,
    read_vpdq_text,
)
from mediamatch.algorithms.vpdq_regions import REGION_SIZE, Region, content_box, region_images
from mediamatch.errors import CorruptMedia, InvalidHash
from mediamatch.media.video import VideoFrame
from mediamatch.samples import synthetic_photo
from mediamatch.testing import VideoAlgorithmContract, panning_frames

VPDQ = VpdqAlgorithm()


class TestVpdqContract(VideoAlgorithmContract):
    @pytest.fixture
    def algorithm(self) -> VideoHashAlgorithm:
        return VpdqAlgorithm()


def frame(number: int, seconds: float, seed: int = 0, quality: int = 100) -> VpdqFrame:
    rng = np.random.default_rng(seed * 100_003 + number)
    return VpdqFrame(
        number, quality, rng.integers(0, 256, 32, dtype=np.uint8).tobytes(), round(seconds * 1000)
    )


def test_vpdq_files_round_trip_exactly(reference_dir: Path) -> None:
    files = sorted((reference_dir / "vpdq-hashes").glob("*.txt"))
    assert files
    for path in files:
        text = path.read_text()
        frames = read_vpdq_text(text)
        assert format_vpdq_text(frames) == text, path.name
        value = VPDQ.value_of(frames)
        assert VPDQ.parse(VPDQ.format(value)) == value


@pytest.mark.parametrize(
    "bad",
    [
        "0,100,abc,0.000",
        "0,101," + "0" * 64 + ",0.000",
        "0,100," + "0" * 64,
        "0,100," + "0" * 64 + ",1.",
        "0,100," + "0" * 64 + ",-1.000",
        "0,100," + "0" * 64 + ",0.000,elsewhere",
        "x,100," + "0" * 64 + ",0.000",
    ],
)
def test_malformed_frames_are_refused(bad: str) -> None:
    with pytest.raises(InvalidHash):
        VPDQ.parse(bad)


def test_stored_bytes_round_trip_and_are_checked() -> None:
    frames = [frame(0, 0.0), frame(30, 1.0), VpdqFrame(30, 80, bytes(32), 1000, Region.BOTTOM)]
    assert decode_frames(encode_frames(frames)) == frames
    for bad in (b"", b"\x02" + encode_frames(frames)[1:], encode_frames(frames)[:-1], b"\x01"):
        with pytest.raises(InvalidHash):
            VPDQ.from_bytes(bad)


def test_region_hashes_follow_their_frame_and_vpdq_files_keep_whole_frames_only() -> None:
    result = VPDQ.hash_frames(panning_frames(0, count=3))
    frames = VPDQ.frames(result.value)
    assert {f.region for f in frames if f.number == 0} == set(Region) - {Region.CONTENT}
    whole = read_vpdq_text(format_vpdq_text(frames))
    assert whole == [f for f in frames if f.region is Region.FULL]
    assert read_vpdq_text(format_vpdq_text(frames, regions=True)) == frames


def test_whole_frame_hashes_are_pdq_of_the_frame_as_vpdq_computes_them() -> None:
    frames = panning_frames(4, count=4)
    plain = VpdqAlgorithm(regions=False).hash_frames(frames)
    hashed = VpdqAlgorithm(regions=False).frames(plain.value)
    pdq = PdqAlgorithm()
    assert [f.pdq for f in hashed] == [pdq.hash_pixels(f.pixels).value.data for f in frames]
    assert [f.timestamp_ms for f in hashed] == [0, 250, 500, 750]
    assert all(f.region is Region.FULL for f in hashed)
    assert plain.quality == 100


def test_no_frames_is_an_error() -> None:
    with pytest.raises(CorruptMedia):
        VPDQ.hash_frames([])


def test_bars_are_found_and_cut() -> None:
    picture = synthetic_photo(5)[:200, :120]
    framed = np.zeros((200, 180, 3), dtype=np.uint8)
    framed[:, 30:150] = picture
    assert content_box(framed) == (0, 200, 30, 150)
    assert content_box(picture) == (0, 200, 0, 120)
    assert content_box(np.zeros((50, 50, 3), dtype=np.uint8)) == (0, 50, 0, 50)
    images = region_images(framed)
    assert images[Region.CONTENT].shape == (REGION_SIZE, REGION_SIZE, 3)
    assert Region.CONTENT not in region_images(picture)
    pdq = PdqAlgorithm()
    content = pdq.hash_pixels(images[Region.CONTENT]).value
    assert pdq.distance(content, pdq.hash_pixels(picture).value) <= pdq.threshold


def test_pillarboxed_copy_matches_on_its_content() -> None:
    frames = panning_frames(6)
    boxed = []
    for f in frames:
        wide = np.zeros((f.pixels.shape[0], f.pixels.shape[1] + 60, 3), dtype=np.uint8)
        wide[:, 30:-30] = f.pixels
        boxed.append(VideoFrame(f.number, f.timestamp, wide))
    plain = VpdqAlgorithm(regions=False)
    assert not plain.is_match(plain.hash_frames(frames).value, plain.hash_frames(boxed).value)
    assert VPDQ.is_match(VPDQ.hash_frames(frames).value, VPDQ.hash_frames(boxed).value)


def test_a_large_overlay_in_one_corner_still_matches_on_the_other_parts() -> None:
    frames = panning_frames(7)
    stamped = []
    for f in frames:
        pixels = f.pixels.copy()
        rows, cols = pixels.shape[:2]
        pixels[: rows // 2, cols // 2 :] = 255  # a logo over the top right quarter
        stamped.append(VideoFrame(f.number, f.timestamp, pixels))
    plain = VpdqAlgorithm(regions=False)
    assert not plain.is_match(plain.hash_frames(frames).value, plain.hash_frames(stamped).value)
    assert VPDQ.is_match(VPDQ.hash_frames(frames).value, VPDQ.hash_frames(stamped).value)


def test_shares_count_usable_frames_and_cover_the_query_step() -> None:
    bank = [frame(n, n / 10) for n in range(40)]  # 4 s at 10 fps
    query = [frame(n, n / 10) for n in range(0, 20, 10)]  # 1 fps, the first two seconds
    result = VPDQ.compare(VPDQ.value_of(query), VPDQ.value_of(bank))
    assert (result.query_frames, result.query_matched) == (2, 2)
    assert (result.bank_frames, result.bank_matched) == (40, 20)
    assert (result.query_pct, result.bank_pct, result.distance) == (100, 50, 50)
    assert result.query_ranges == ((0.0, 1.0),)
    assert result.bank_ranges == ((0.0, 1.9),)


def test_low_quality_frames_are_left_out() -> None:
    video = [frame(n, float(n)) for n in range(4)] + [
        frame(n, float(n), seed=9, quality=10) for n in range(4, 8)
    ]
    result = VPDQ.compare(VPDQ.value_of(video), VPDQ.value_of(video))
    assert (result.query_frames, result.bank_frames, result.distance) == (4, 4, 0)
    flat = VPDQ.value_of([frame(0, 0.0, quality=0)])
    assert not VPDQ.is_usable(VPDQ.hash_frames(panning_frames(0, count=1)).__class__(flat, 0))


def test_unrelated_videos_share_nothing() -> None:
    first = VPDQ.value_of([frame(n, float(n), seed=1) for n in range(10)])
    second = VPDQ.value_of([frame(n, float(n), seed=2) for n in range(10)])
    assert VPDQ.compare(first, second) == VideoComparison(10, 0, 10, 0)
    assert VPDQ.distance(first, second) == 100


def test_ranges_break_at_gaps() -> None:
    assert merge_ranges([3.0, 0.0, 1.0, 2.0, 7.0, 8.0], gap=1.5) == ((0.0, 3.0), (7.0, 8.0))
    assert merge_ranges([], gap=1.0) == ()


def test_values_of_pdq_are_not_vpdq() -> None:
    with pytest.raises(InvalidHash):
        VPDQ.frames(HashValue("pdq", 1, bytes(32)))

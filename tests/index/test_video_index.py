"""The video frame index against brute force: same comparisons, same (id, distance) sets, snapshots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mediamatch.algorithms import HashValue, VpdqAlgorithm, VpdqFrame
from mediamatch.algorithms.vpdq_regions import Region
from mediamatch.index import VideoFrameIndex

VPDQ = VpdqAlgorithm()


def flip_bits(data: bytes, count: int, rng: np.random.Generator) -> bytes:
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8))
    positions = rng.choice(bits.size, count, replace=False)
    bits[positions] ^= 1
    return np.packbits(bits).tobytes()


def random_video(rng: np.random.Generator, frames: int, step: float) -> list[VpdqFrame]:
    out = []
    for n in range(frames):
        milliseconds = round(n * step * 1000)
        quality = int(rng.choice([100, 100, 100, 20]))
        out.append(VpdqFrame(n, quality, rng.integers(0, 256, 32, dtype=np.uint8).tobytes(), milliseconds))
        for region in (Region.TOP, Region.BOTTOM, Region.LEFT):
            pdq = rng.integers(0, 256, 32, dtype=np.uint8).tobytes()
            out.append(VpdqFrame(n, 90, pdq, milliseconds, region))
    return out


def near_copy(video: list[VpdqFrame], rng: np.random.Generator, keep: float) -> list[VpdqFrame]:
    """Every other frame kept with probability ``keep``, hashes moved by up to 40 bits."""
    out = []
    for f in video:
        if f.number % 2 or rng.random() > keep:
            continue
        noisy = flip_bits(f.pdq, int(rng.integers(0, 40)), rng)
        out.append(VpdqFrame(f.number, f.quality, noisy, f.timestamp_ms, f.region))
    return out or video[:1]


@pytest.fixture(scope="module")
def bank() -> dict[int, HashValue]:
    rng = np.random.default_rng(11)
    return {100 + i: VPDQ.value_of(random_video(rng, int(rng.integers(5, 30)), 0.2)) for i in range(12)}


@pytest.fixture(scope="module")
def queries(bank: dict[int, HashValue]) -> list[HashValue]:
    rng = np.random.default_rng(12)
    found = [
        VPDQ.value_of(near_copy(VPDQ.frames(v), rng, keep)) for v in bank.values() for keep in (0.5, 1.0)
    ]
    return [*found, VPDQ.value_of(random_video(rng, 8, 1.0))]


def build(bank: dict[int, HashValue]) -> VideoFrameIndex:
    index = VideoFrameIndex(VPDQ)
    index.add(list(bank), list(bank.values()))
    index.rebuild()
    return index


def test_comparisons_equal_brute_force(bank: dict[int, HashValue], queries: list[HashValue]) -> None:
    index = build(bank)
    assert sum(any(c.distance <= 20 for c in index.compare_all(q).values()) for q in queries) >= len(bank)
    for query in queries:
        expected = {i: VPDQ.compare(query, v) for i, v in bank.items()}
        expected = {i: c for i, c in expected.items() if c.query_matched}
        assert index.compare_all(query) == expected


@pytest.mark.parametrize("threshold", [0, 20, 60, 100])
def test_search_equals_brute_force(
    bank: dict[int, HashValue], queries: list[HashValue], threshold: int
) -> None:
    index = build(bank)
    for query in queries:
        brute = sorted(
            ((VPDQ.distance(query, v), i) for i, v in bank.items() if VPDQ.distance(query, v) <= threshold)
        )
        assert [(m.distance, m.id) for m in index.search(query, threshold)] == brute


def test_removed_and_replaced_videos(bank: dict[int, HashValue], queries: list[HashValue]) -> None:
    index = build(bank)
    index.remove([100, 999])
    assert len(index) == len(bank) - 1
    assert 100 not in index.compare_all(queries[0])
    index.add([101], [bank[100]])
    assert 101 in index.compare_all(queries[0])
    assert len(index) == len(bank) - 1


def test_snapshot_round_trip(bank: dict[int, HashValue], queries: list[HashValue], tmp_path: Path) -> None:
    index = build(bank)
    path = tmp_path / "videos.mmindex"
    index.save(path)
    loaded = VideoFrameIndex.load(path, VPDQ)
    assert len(loaded) == len(index)
    for query in queries:
        assert loaded.compare_all(query) == index.compare_all(query)

"""Every fast index returns exactly the brute-force reference's (id, distance) sets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mediamatch.algorithms import GradGridAlgorithm, HashValue, Md5Algorithm, PdqAlgorithm
from mediamatch.errors import IndexSnapshotError
from mediamatch.index import BruteForceIndex, EuclideanScanIndex, ExactIndex, HammingMultiIndex, HashIndex

PDQ = PdqAlgorithm()
MD5 = Md5Algorithm()
GRAD = GradGridAlgorithm()


def pdq_values(rows: np.ndarray) -> list[HashValue]:
    return [PDQ.from_bytes(row.tobytes()) for row in rows]


def flip(rng: np.random.Generator, row: np.ndarray, bits: int) -> np.ndarray:
    out = row.copy()
    for bit in rng.choice(256, size=bits, replace=False):
        out[bit // 8] ^= 1 << (bit % 8)
    return out


def near_duplicate_data(seed: int, size: int) -> np.ndarray:
    """Random hashes where every fourth one is a 0-40-bit variant of an earlier one."""
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, size=(size, 32), dtype=np.uint8)
    for i in range(3, size, 4):
        data[i] = flip(rng, data[rng.integers(0, i)], int(rng.integers(0, 41)))
    return data


def query_set(seed: int, data: np.ndarray, count: int) -> list[HashValue]:
    rng = np.random.default_rng(seed)
    near = [flip(rng, data[rng.integers(0, len(data))], int(rng.integers(0, 70))) for _ in range(count)]
    far = rng.integers(0, 256, size=(count // 4, 32), dtype=np.uint8)
    return pdq_values(np.array(near + list(far)))


def assert_same_results(
    fast: HashIndex, reference: HashIndex, queries: list[HashValue], radii: list[int]
) -> None:
    assert len(fast) == len(reference)
    for radius in radii:
        expected = [reference.search(query, radius) for query in queries]
        assert [fast.search(query, radius) for query in queries] == expected, radius
        assert fast.search_many(queries, radius) == expected, radius
    assert fast.search_many([], 10) == []
    assert fast.search_many(queries[:2], -1) == [[], []]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_multi_index_equals_brute_force_at_every_radius(seed: int) -> None:
    data = near_duplicate_data(seed, 6000)
    ids = np.random.default_rng(seed).permutation(100_000)[: len(data)].tolist()
    fast, reference = HammingMultiIndex(PDQ, min_pending=500), BruteForceIndex(PDQ)
    for index in (fast, reference):
        index.add(ids, pdq_values(data))
    assert_same_results(fast, reference, query_set(seed, data, 60), [0, 1, 7, 8, 15, 31, 32, 47, 63])


def test_additions_and_removals_without_a_rebuild_stay_exact() -> None:
    data = near_duplicate_data(9, 4000)
    fast = HammingMultiIndex(PDQ, min_pending=100_000, rebuild_fraction=10.0)
    reference = BruteForceIndex(PDQ)
    for index in (fast, reference):
        index.add(range(3000), pdq_values(data[:3000]))
    fast.rebuild()
    indexed_before = fast._indexed
    for index in (fast, reference):
        index.add(range(3000, 4000), pdq_values(data[3000:]))
        index.remove(list(range(0, 4000, 7)))
        index.add([5, 3001], pdq_values(data[[10, 11]]))  # replace existing ids
    assert fast._indexed == indexed_before
    assert_same_results(fast, reference, query_set(9, data, 80), [0, 31, 63])


def test_automatic_rebuilds_keep_results_exact() -> None:
    data = near_duplicate_data(4, 5000)
    fast, reference = HammingMultiIndex(PDQ, min_pending=300), BruteForceIndex(PDQ)
    for start in range(0, 5000, 250):
        batch = range(start, start + 250)
        for index in (fast, reference):
            index.add(batch, pdq_values(data[start : start + 250]))
            index.remove(list(range(start, start + 250, 5)))
    assert_same_results(fast, reference, query_set(4, data, 60), [31])


def test_large_radius_uses_a_scan_and_stays_exact() -> None:
    data = near_duplicate_data(5, 800)
    fast, reference = HammingMultiIndex(PDQ), BruteForceIndex(PDQ)
    for index in (fast, reference):
        index.add(range(800), pdq_values(data))
    assert_same_results(fast, reference, query_set(5, data, 10), [100, 128, 256])


def test_exact_digest_index_equals_brute_force() -> None:
    digests = [MD5.hash_bytes(bytes([i % 50])).value for i in range(200)]
    fast, reference = ExactIndex(MD5), BruteForceIndex(MD5)
    for index in (fast, reference):
        index.add(range(200), digests)
        index.remove([0, 1, 2])
    assert_same_results(fast, reference, [MD5.hash_bytes(bytes([i])).value for i in range(60)], [0])


@pytest.mark.parametrize(
    ("factory", "values"),
    [
        (lambda: HammingMultiIndex(PDQ, min_pending=10), lambda: pdq_values(near_duplicate_data(6, 300))),
        (lambda: BruteForceIndex(PDQ), lambda: pdq_values(near_duplicate_data(6, 300))),
        (lambda: ExactIndex(MD5), lambda: [MD5.hash_bytes(i.to_bytes(2, "big")).value for i in range(300)]),
    ],
)
def test_snapshots_round_trip(tmp_path: Path, factory, values) -> None:  # type: ignore[no-untyped-def]
    index: HashIndex = factory()
    entries = values()
    index.add(range(len(entries)), entries)
    index.remove([3, 4])
    path = tmp_path / "index.mmindex"
    index.save(path)
    loaded = type(index).load(path, index.algorithm)  # type: ignore[attr-defined]
    assert_same_results(loaded, index, entries[:40], [0, 31])


def test_corrupt_and_foreign_snapshots_are_refused(tmp_path: Path) -> None:
    index = HammingMultiIndex(PDQ)
    index.add(range(100), pdq_values(near_duplicate_data(7, 100)))
    path = tmp_path / "index.mmindex"
    index.save(path)
    data = bytearray(path.read_bytes())
    damaged = tmp_path / "damaged.mmindex"
    data[-10] ^= 0xFF
    damaged.write_bytes(bytes(data))
    truncated = tmp_path / "truncated.mmindex"
    truncated.write_bytes(bytes(data[: len(data) // 2]))
    foreign = tmp_path / "foreign.mmindex"
    foreign.write_bytes(b"\x80\x04\x95 pickle, not an index")
    for bad in (damaged, truncated, foreign):
        with pytest.raises(IndexSnapshotError):
            HammingMultiIndex.load(bad, PDQ)
    with pytest.raises(IndexSnapshotError):
        BruteForceIndex.load(path, PDQ)


def test_euclidean_scan_equals_brute_force_on_gradient_hashes() -> None:
    rng = np.random.default_rng(12)
    base = rng.integers(0, 120, size=(3000, 144), dtype=np.uint8)
    base[1::3] = np.clip(
        base[::3][: len(base[1::3])].astype(int) + rng.integers(-12, 13, (1000, 144)), 0, 255
    )
    values = [GRAD.from_bytes(row.tobytes()) for row in base]
    fast, reference = EuclideanScanIndex(GRAD, 144), BruteForceIndex(GRAD)
    for index in (fast, reference):
        index.add(range(3000), values)
        index.remove(list(range(0, 3000, 11)))
    moved = [np.clip(base[i].astype(int) + rng.integers(-20, 21, 144), 0, 255) for i in range(0, 3000, 97)]
    queries = [GRAD.from_bytes(row.astype(np.uint8).tobytes()) for row in moved]
    assert_same_results(fast, reference, queries, [0, 60, 139, 250, 1000])


def test_euclidean_snapshot_round_trips(tmp_path: Path) -> None:
    rng = np.random.default_rng(13)
    values = [GRAD.from_bytes(row.tobytes()) for row in rng.integers(0, 256, size=(200, 144), dtype=np.uint8)]
    index = EuclideanScanIndex(GRAD, 144)
    index.add(range(200), values)
    index.remove([5])
    index.save(tmp_path / "g.mmindex")
    assert_same_results(EuclideanScanIndex.load(tmp_path / "g.mmindex", GRAD), index, values[:30], [0, 800])


def test_a_mapped_snapshot_answers_as_the_index_it_was_and_takes_changes(tmp_path: Path) -> None:
    values = pdq_values(near_duplicate_data(7, 400))
    built = HammingMultiIndex(PDQ, min_pending=50)
    built.add(list(range(400)), values)
    built.rebuild()
    built.add([1000], [values[0]])  # one row in the tail, saved as such
    path = tmp_path / "shared.mmindex"
    built.save(path)
    mapped = HammingMultiIndex.load(path, PDQ, mapped=True)
    path.unlink()  # a mapping outlives its file's name, as when another process replaces it
    assert mapped.mapped
    assert isinstance(mapped._words, np.memmap)
    for query in values[:20]:
        assert mapped.search(query, 40) == built.search(query, 40)
    reference = BruteForceIndex(PDQ)
    reference.add([*range(400), 1000], [*values, values[0]])
    for index in (mapped, reference):
        index.remove([3, 1000, 77])
        index.add([2000, 5], [values[9], values[11]])
    for query in values[:40]:
        assert mapped.search(query, 64) == reference.search(query, 64)

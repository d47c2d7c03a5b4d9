"""Exact Euclidean range search for byte-vector hashes (gradgrid144).

A compiled scan over the vectors stored row by row (one byte per component), summing
squared differences in integers and abandoning a row as soon as its partial sum passes
the threshold: unrelated hashes are far apart, so most rows stop after a few dozen
components. Distances are ``isqrt`` of the exact sum, so results equal the brute-force
reference's. Removal clears a live flag; storage is the raw vectors plus id and flag.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import isqrt
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from numba import njit

from mediamatch.algorithms import HashAlgorithm, HashValue
from mediamatch.index.base import HashIndex, IndexMatch
from mediamatch.index.snapshot import read_snapshot, write_snapshot


@njit(cache=True, nogil=True)
def _scan_many(
    vectors: npt.NDArray[np.uint8],
    alive: npt.NDArray[np.bool_],
    count: int,
    queries: npt.NDArray[np.uint8],
    limit: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(query number, row, squared distance) of every pair of a live row and a query whose
    squared distance is at most ``limit``, in one pass over the rows (each is read from memory
    once, however many queries)."""
    found = np.empty((64, 3), dtype=np.int64)
    used = 0
    width = vectors.shape[1]
    for row in range(count):
        if not alive[row]:
            continue
        for number in range(queries.shape[0]):
            total = 0
            for k in range(width):
                difference = int(vectors[row, k]) - int(queries[number, k])
                total += difference * difference
                if total > limit:
                    break
            if total <= limit:
                if used == found.shape[0]:
                    found = np.concatenate((found, np.empty((used, 3), dtype=np.int64)))
                found[used, 0], found[used, 1], found[used, 2] = number, row, total
                used += 1
    return found[:used, 0], found[:used, 1], found[:used, 2]


class EuclideanScanIndex(HashIndex):
    """Exact range search in Euclidean distance rounded down, for fixed-length byte vectors."""

    kind: ClassVar[str] = "euclidean-scan"

    def __init__(self, algorithm: HashAlgorithm, width: int) -> None:
        super().__init__(algorithm)
        self.width = width
        self._vectors = np.zeros((0, width), dtype=np.uint8)
        self._ids = np.zeros(0, dtype=np.int64)
        self._alive = np.zeros(0, dtype=np.bool_)
        self._size = 0
        self._row_of: dict[int, int] = {}

    def add(self, ids: Sequence[int], values: Sequence[HashValue]) -> None:
        if len(ids) != len(values):
            raise ValueError("ids and values differ in length")
        self.remove(ids)
        needed = self._size + len(ids)
        if needed > len(self._ids):
            capacity = max(needed, int(len(self._ids) * 1.5), 1024)
            self._vectors = np.resize(self._vectors, (capacity, self.width))
            self._ids = np.resize(self._ids, capacity)
            self._alive = np.resize(self._alive, capacity)
        for entry_id, value in zip(ids, values, strict=True):
            row = self._size
            self._vectors[row] = np.frombuffer(self.algorithm.own(value).data, dtype=np.uint8)
            self._ids[row], self._alive[row] = int(entry_id), True
            self._row_of[int(entry_id)] = row
            self._size += 1

    def remove(self, ids: Sequence[int]) -> None:
        for entry_id in ids:
            row = self._row_of.pop(int(entry_id), None)
            if row is not None:
                self._alive[row] = False

    def search(self, query: HashValue, threshold: int) -> list[IndexMatch]:
        return self.search_many([query], threshold)[0]

    def search_many(self, queries: Sequence[HashValue], threshold: int) -> list[list[IndexMatch]]:
        """``search`` for each query, in one pass over the stored vectors."""
        if threshold < 0 or not queries:
            return [[] for _ in queries]
        matrix = np.frombuffer(b"".join(self.algorithm.own(q).data for q in queries), dtype=np.uint8)
        limit = (threshold + 1) ** 2 - 1
        numbers, rows, squares = _scan_many(
            self._vectors, self._alive, self._size, matrix.reshape(len(queries), self.width), limit
        )
        hits: list[list[IndexMatch]] = [[] for _ in queries]
        for number, row, square in zip(numbers.tolist(), rows.tolist(), squares.tolist(), strict=True):
            hits[number].append(IndexMatch(int(self._ids[row]), isqrt(square)))
        return [sorted(found, key=lambda m: (m.distance, m.id)) for found in hits]

    def __len__(self) -> int:
        return len(self._row_of)

    def save(self, path: Path) -> None:
        arrays: dict[str, npt.NDArray[Any]] = {
            "vectors": self._vectors[: self._size],
            "ids": self._ids[: self._size],
            "alive": self._alive[: self._size],
        }
        write_snapshot(path, self.kind, self.algorithm, {"width": self.width}, arrays)

    @classmethod
    def load(cls, path: Path, algorithm: HashAlgorithm) -> EuclideanScanIndex:
        meta, arrays = read_snapshot(path, cls.kind, algorithm)
        index = cls(algorithm, int(meta["width"]))
        index._vectors, index._ids, index._alive = arrays["vectors"], arrays["ids"], arrays["alive"]
        index._size = len(index._ids)
        index._row_of = {int(i): r for r, i in enumerate(index._ids.tolist()) if index._alive[r]}
        return index

"""The reference index: compares the query with every entry using the algorithm's own distance.

Slow by design and obviously correct; every fast index is tested against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from mediamatch.algorithms import HashAlgorithm, HashValue
from mediamatch.index.base import HashIndex, IndexMatch
from mediamatch.index.snapshot import arrays_to_values, read_snapshot, values_to_arrays, write_snapshot


class BruteForceIndex(HashIndex):
    """Linear scan over a dict of id -> value; any algorithm."""

    kind: ClassVar[str] = "brute-force"

    def __init__(self, algorithm: HashAlgorithm) -> None:
        super().__init__(algorithm)
        self._values: dict[int, HashValue] = {}

    def add(self, ids: Sequence[int], values: Sequence[HashValue]) -> None:
        for entry_id, value in zip(ids, values, strict=True):
            self._values[int(entry_id)] = self.algorithm.own(value)

    def remove(self, ids: Sequence[int]) -> None:
        for entry_id in ids:
            self._values.pop(int(entry_id), None)

    def search(self, query: HashValue, threshold: int) -> list[IndexMatch]:
        hits = (IndexMatch(i, self.algorithm.distance(query, v)) for i, v in self._values.items())
        return sorted((hit for hit in hits if hit.distance <= threshold), key=lambda m: (m.distance, m.id))

    def __len__(self) -> int:
        return len(self._values)

    def save(self, path: Path) -> None:
        raw = {entry_id: value.data for entry_id, value in self._values.items()}
        write_snapshot(path, self.kind, self.algorithm, {}, values_to_arrays(raw))

    @classmethod
    def load(cls, path: Path, algorithm: HashAlgorithm) -> BruteForceIndex:
        _, arrays = read_snapshot(path, cls.kind, algorithm)
        index = cls(algorithm)
        index.add(*arrays_to_values(algorithm, arrays))
        return index

"""The reference index: compares the query with every entry using the algorithm's own distance.

Slow by design and obviously correct; every fast index is tested against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from mediamatch.algorithms import HashAlgorithm, HashValue
from mediamatch.index.base import HashIndex, IndexMatch
from mediamatch.index.snapshot import read_snapshot, write_snapshot


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

    def _arrays(self) -> dict[str, npt.NDArray[Any]]:
        ids = np.fromiter(self._values, dtype=np.int64, count=len(self._values))
        data = b"".join(v.data for v in self._values.values())
        width = len(next(iter(self._values.values())).data) if self._values else 0
        return {"ids": ids, "data": np.frombuffer(data, dtype=np.uint8).reshape(len(ids), width)}

    def save(self, path: Path) -> None:
        write_snapshot(path, self.kind, self.algorithm, {}, self._arrays())

    @classmethod
    def load(cls, path: Path, algorithm: HashAlgorithm) -> BruteForceIndex:
        _, arrays = read_snapshot(path, cls.kind, algorithm)
        index = cls(algorithm)
        values = [HashValue(algorithm.name, algorithm.version, row.tobytes()) for row in arrays["data"]]
        index.add(arrays["ids"].tolist(), values)
        return index

"""Exact lookup for MD5/SHA digests: a hash table from digest bytes to ids."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from mediamatch.algorithms import HashAlgorithm, HashValue
from mediamatch.index.base import HashIndex, IndexMatch
from mediamatch.index.snapshot import arrays_to_values, read_snapshot, values_to_arrays, write_snapshot


class ExactIndex(HashIndex):
    """Digest -> ids; a query matches only identical digests (distance 0)."""

    kind: ClassVar[str] = "exact"

    def __init__(self, algorithm: HashAlgorithm) -> None:
        super().__init__(algorithm)
        self._ids_by_digest: dict[bytes, set[int]] = {}
        self._digest_by_id: dict[int, bytes] = {}

    def add(self, ids: Sequence[int], values: Sequence[HashValue]) -> None:
        for entry_id, value in zip(ids, values, strict=True):
            entry_id = int(entry_id)
            self.remove([entry_id])
            digest = self.algorithm.own(value).data
            self._ids_by_digest.setdefault(digest, set()).add(entry_id)
            self._digest_by_id[entry_id] = digest

    def remove(self, ids: Sequence[int]) -> None:
        for entry_id in ids:
            digest = self._digest_by_id.pop(int(entry_id), None)
            if digest is not None:
                holders = self._ids_by_digest[digest]
                holders.discard(int(entry_id))
                if not holders:
                    del self._ids_by_digest[digest]

    def search(self, query: HashValue, threshold: int) -> list[IndexMatch]:
        if threshold < 0:
            return []
        holders = self._ids_by_digest.get(self.algorithm.own(query).data, set())
        return [IndexMatch(entry_id, 0) for entry_id in sorted(holders)]

    def __len__(self) -> int:
        return len(self._digest_by_id)

    def save(self, path: Path) -> None:
        write_snapshot(path, self.kind, self.algorithm, {}, values_to_arrays(self._digest_by_id))

    @classmethod
    def load(cls, path: Path, algorithm: HashAlgorithm) -> ExactIndex:
        _, arrays = read_snapshot(path, cls.kind, algorithm)
        index = cls(algorithm)
        index.add(*arrays_to_values(algorithm, arrays))
        return index

"""What every index guarantees, and the result type they share.

An index maps integer ids (the store's entry ids) to hashes of one algorithm and
answers range queries: every live id whose distance to the query is at most the
threshold (inclusive), with that distance, in the algorithm's unit. Fast indexes
must return exactly the ``(id, distance)`` set of ``BruteForceIndex``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from mediamatch.algorithms import HashAlgorithm, HashValue


@dataclass(frozen=True, slots=True, order=True)
class IndexMatch:
    """One hit: the entry id and its distance to the query (in the algorithm's unit)."""

    id: int
    distance: int


class HashIndex(ABC):
    """A mutable range-search index over the hashes of one algorithm."""

    kind: ClassVar[str]
    """A constant naming the index type in snapshots."""

    def __init__(self, algorithm: HashAlgorithm) -> None:
        self.algorithm = algorithm

    @abstractmethod
    def add(self, ids: Sequence[int], values: Sequence[HashValue]) -> None:
        """Add entries; an id already present is replaced."""

    @abstractmethod
    def remove(self, ids: Sequence[int]) -> None:
        """Remove entries; unknown ids are ignored."""

    @abstractmethod
    def search(self, query: HashValue, threshold: int) -> list[IndexMatch]:
        """Every live entry within ``threshold`` (inclusive) of ``query``, sorted by (distance, id)."""

    def search_many(self, queries: Sequence[HashValue], threshold: int) -> list[list[IndexMatch]]:
        return [self.search(query, threshold) for query in queries]

    @abstractmethod
    def __len__(self) -> int:
        """The number of live entries."""

    @abstractmethod
    def save(self, path: Path) -> None:
        """Write a snapshot in the versioned index format (never pickle)."""

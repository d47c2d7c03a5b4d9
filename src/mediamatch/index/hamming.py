"""Exact Hamming range search for bit-string hashes (PDQ) by multi-index hashing.

Design: a 256-bit hash is cut into 8 chunks of 32 bits. If two hashes differ in at most
``r`` bits, some chunk differs in at most ``r // 8`` bits (pigeonhole), so probing every
chunk for keys within ``r // 8`` bits of the query's finds every true match; each
candidate is then checked on all 256 bits. That makes recall exact at any radius.

Each chunk table is bucketed by the key's high 16 bits (a direct-address offset table)
and, inside a bucket, sorted by the low 16 bits, which are stored beside the row numbers.
A probe enumerates flips of the high half and compares the low halves in the bucket
(binary search when no flips are left). A row found by several chunks is reported only
by the first. When the probes would visit more rows than a linear scan, the scan runs
instead (large radii).

Memory per entry: the hash (32 bytes), its id (8), a live flag (1) and, per chunk, a
row number and the low 16 bits (8 x 6 bytes): 89 bytes, 2.8 times the raw hash bytes.

Updates: additions go to a pending tail that every search scans; removals clear the
live flag. When the tail or the removed rows exceed ``rebuild_fraction`` of the indexed
rows, the tables are rebuilt (dead rows dropped, rows ordered by id so ids can be found
by binary search). Rebuilds are linear-time radix sorts.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import comb
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from mediamatch.algorithms import BitStringAlgorithm, HashValue
from mediamatch.index import hamming_build
from mediamatch.index.base import HashIndex, IndexMatch
from mediamatch.index.hamming_kernels import mih_search, scan_search
from mediamatch.index.snapshot import read_snapshot, write_snapshot

CHUNK_BITS = 32
BUCKETS = 1 << 16


class HammingMultiIndex(HashIndex):
    """Multi-index hashing over 32-bit chunks; exact results, fast at small radii."""

    kind: ClassVar[str] = "hamming-mih"

    def __init__(
        self, algorithm: BitStringAlgorithm, *, rebuild_fraction: float = 0.05, min_pending: int = 20_000
    ) -> None:
        super().__init__(algorithm)
        if algorithm.hash_bits % 64:
            raise ValueError("multi-index hashing needs a whole number of 64-bit words")
        self.bit_algorithm = algorithm
        self.word_count = algorithm.hash_bits // 64
        self.chunks = algorithm.hash_bits // CHUNK_BITS
        self.rebuild_fraction = rebuild_fraction
        self.min_pending = min_pending
        self._words = np.zeros((0, self.word_count), dtype=np.uint64)
        self._ids = np.zeros(0, dtype=np.int64)
        self._alive = np.zeros(0, dtype=np.bool_)
        self._size = 0
        self._indexed = 0
        self._live = 0
        self._dead_indexed = 0
        self._pending: dict[int, int] = {}
        self._tables = hamming_build.empty_tables(self.chunks)

    # -- updates -------------------------------------------------------------------------

    def _words_of(self, values: Sequence[HashValue]) -> npt.NDArray[np.uint64]:
        raw = b"".join(self.algorithm.own(v).data for v in values)
        big_endian = np.frombuffer(raw, dtype=">u8").reshape(len(values), self.word_count)
        return big_endian.astype(np.uint64)

    def _reserve(self, extra: int) -> None:
        needed = self._size + extra
        if needed <= self._ids.shape[0]:
            return
        capacity = max(needed, int(self._ids.shape[0] * 1.5), 1024)
        self._words = _resized(self._words, capacity)
        self._ids = _resized(self._ids, capacity)
        self._alive = _resized(self._alive, capacity)

    def add(self, ids: Sequence[int], values: Sequence[HashValue]) -> None:
        if len(ids) != len(values):
            raise ValueError("ids and values differ in length")
        raw = b"".join(self.algorithm.own(v).data for v in values)
        self.add_raw(np.asarray(ids, dtype=np.int64), np.frombuffer(raw, dtype=np.uint8))

    def add_raw(self, ids: npt.NDArray[np.int64], data: npt.NDArray[np.uint8], *, bulk: bool = False) -> None:
        """Bulk add: ``data`` holds the hashes' bytes back to back (for example read from the store).

        ``bulk=True`` is for loading ids known to be new (a store's primary keys): it skips
        the replacement check and defers the table rebuild to an explicit ``rebuild()``.
        """
        words = data.view(">u8").reshape(len(ids), self.word_count).astype(np.uint64)
        if not bulk:
            self.remove(ids.tolist())
        unique_ids, keep = np.unique(ids[::-1], return_index=True)
        words = words[::-1][keep]
        self._reserve(len(unique_ids))
        rows = np.arange(self._size, self._size + len(unique_ids))
        self._words[rows], self._ids[rows], self._alive[rows] = words, unique_ids, True
        self._pending.update(zip(unique_ids.tolist(), rows.tolist(), strict=True))
        self._size += len(unique_ids)
        self._live += len(unique_ids)
        if not bulk:
            self._maybe_rebuild()

    def _row_of(self, entry_id: int) -> int | None:
        pending = self._pending.get(entry_id)
        if pending is not None:
            return pending
        position = int(np.searchsorted(self._ids[: self._indexed], entry_id))
        if position < self._indexed and self._ids[position] == entry_id and self._alive[position]:
            return position
        return None

    def remove(self, ids: Sequence[int]) -> None:
        for entry_id in ids:
            row = self._row_of(int(entry_id))
            if row is None:
                continue
            self._alive[row] = False
            self._live -= 1
            if self._pending.pop(int(entry_id), None) is None:
                self._dead_indexed += 1
        self._maybe_rebuild()

    def _maybe_rebuild(self) -> None:
        allowance = max(self.min_pending, int(self.rebuild_fraction * self._indexed))
        if len(self._pending) > allowance or self._dead_indexed > allowance:
            self.rebuild()

    def rebuild(self) -> None:
        """Drop removed rows, order rows by id and rebuild every chunk table."""
        live = np.flatnonzero(self._alive[: self._size])
        order = live[np.argsort(self._ids[live], kind="stable")]
        self._words = np.ascontiguousarray(self._words[order])
        self._ids = self._ids[order]
        self._alive = np.ones(len(order), dtype=np.bool_)
        self._size = self._indexed = self._live = len(order)
        self._pending.clear()
        self._dead_indexed = 0
        self._tables = hamming_build.build_tables(self._words, self.chunks)

    # -- queries -------------------------------------------------------------------------

    def _probe_cost(self, radius: int) -> float:
        chunk_radius = min(radius // self.chunks, 16)
        buckets = sum(comb(16, w) for w in range(chunk_radius + 1))
        return self.chunks * buckets * (1 + self._indexed / BUCKETS)

    def _search_rows(self, query: npt.NDArray[np.uint64], radius: int) -> tuple[Any, Any]:
        if self._probe_cost(radius) > 0.5 * self._size:
            return scan_search(self._words, self._alive, 0, self._size, query, radius)
        offsets, low, rows = self._tables
        masks, ends = hamming_build.MASKS_BY_WEIGHT
        indexed_rows, indexed_distances = mih_search(
            self._words, self._alive, offsets, low, rows, masks, ends, query, radius
        )
        tail_rows, tail_distances = scan_search(
            self._words, self._alive, self._indexed, self._size, query, radius
        )
        return np.concatenate((indexed_rows, tail_rows)), np.concatenate((indexed_distances, tail_distances))

    def search(self, query: HashValue, threshold: int) -> list[IndexMatch]:
        if threshold < 0 or self._live == 0:
            return []
        rows, distances = self._search_rows(self._words_of([query])[0], threshold)
        ids = self._ids[rows]
        order = np.lexsort((ids, distances))
        return [IndexMatch(int(ids[i]), int(distances[i])) for i in order]

    def __len__(self) -> int:
        return self._live

    def memory_bytes(self) -> int:
        """Bytes held by the index's arrays (hashes, ids, flags, chunk tables)."""
        arrays = (self._words, self._ids, self._alive, *self._tables)
        return sum(array.nbytes for array in arrays)

    # -- snapshots -----------------------------------------------------------------------

    def save(self, path: Path) -> None:
        offsets, low, rows = self._tables
        size = self._size
        arrays = {
            "words": self._words[:size],
            "ids": self._ids[:size],
            "alive": self._alive[:size],
            "offsets": offsets,
            "low": low,
            "rows": rows,
        }
        meta = {"indexed": self._indexed, "dead_indexed": self._dead_indexed}
        write_snapshot(path, self.kind, self.algorithm, meta, arrays)

    @classmethod
    def load(cls, path: Path, algorithm: BitStringAlgorithm) -> HammingMultiIndex:
        meta, arrays = read_snapshot(path, cls.kind, algorithm)
        index = cls(algorithm)
        index._words, index._ids, index._alive = arrays["words"], arrays["ids"], arrays["alive"]
        index._size = len(index._ids)
        index._indexed = int(meta["indexed"])
        index._dead_indexed = int(meta["dead_indexed"])
        index._live = int(index._alive.sum())
        index._tables = (arrays["offsets"], arrays["low"], arrays["rows"])
        tail = range(index._indexed, index._size)
        index._pending = {int(index._ids[r]): r for r in tail if index._alive[r]}
        return index


def _resized(array: npt.NDArray[Any], capacity: int) -> npt.NDArray[Any]:
    grown = np.zeros((capacity, *array.shape[1:]), dtype=array.dtype)
    grown[: array.shape[0]] = array
    return grown

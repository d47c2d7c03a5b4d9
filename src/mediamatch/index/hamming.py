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
    """Multi-index hashing over 32-bit chunks; exact results, fast at small radii.

    Rows live in two segments: the indexed base (sorted by id, chunk tables built), which may be
    memory-mapped read-only from a snapshot and so shared by every process of a host that maps the
    same file (removals only flip the process's own copy of a flag page), and a small private tail
    of additions that searches scan. Row numbers run through the base, then the tail.
    """

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
        self._tail_words = np.zeros((0, self.word_count), dtype=np.uint64)
        self._tail_ids = np.zeros(0, dtype=np.int64)
        self._tail_alive = np.zeros(0, dtype=np.bool_)
        self._tail_size = 0
        self._indexed = 0
        self._live = 0
        self._dead_indexed = 0
        self._pending: dict[int, int] = {}
        self._tables = hamming_build.empty_tables(self.chunks)
        self.mapped = False
        """True while the base segment is the memory map of a snapshot (until the next rebuild)."""

    @property
    def _size(self) -> int:
        return self._indexed + self._tail_size

    # -- updates -------------------------------------------------------------------------

    def _words_of(self, values: Sequence[HashValue]) -> npt.NDArray[np.uint64]:
        raw = b"".join(self.algorithm.own(v).data for v in values)
        big_endian = np.frombuffer(raw, dtype=">u8").reshape(len(values), self.word_count)
        return big_endian.astype(np.uint64)

    def _reserve(self, extra: int) -> None:
        needed = self._tail_size + extra
        if needed <= self._tail_ids.shape[0]:
            return
        capacity = max(needed, int(self._tail_ids.shape[0] * 1.5), 1024)
        self._tail_words = _resized(self._tail_words, capacity)
        self._tail_ids = _resized(self._tail_ids, capacity)
        self._tail_alive = _resized(self._tail_alive, capacity)

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
        positions = np.arange(self._tail_size, self._tail_size + len(unique_ids))
        self._tail_words[positions], self._tail_ids[positions] = words, unique_ids
        self._tail_alive[positions] = True
        rows = (positions + self._indexed).tolist()
        self._pending.update(zip(unique_ids.tolist(), rows, strict=True))
        self._tail_size += len(unique_ids)
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
            if row < self._indexed:
                self._alive[row] = False
                self._dead_indexed += 1
            else:
                self._tail_alive[row - self._indexed] = False
                del self._pending[int(entry_id)]
            self._live -= 1
        self._maybe_rebuild()

    def _maybe_rebuild(self) -> None:
        allowance = max(self.min_pending, int(self.rebuild_fraction * self._indexed))
        if len(self._pending) > allowance or self._dead_indexed > allowance:
            self.rebuild()

    def rebuild(self) -> None:
        """Drop removed rows, order rows by id and rebuild every chunk table (in private memory)."""
        base = np.flatnonzero(self._alive[: self._indexed])
        tail = np.flatnonzero(self._tail_alive[: self._tail_size])
        words = np.concatenate((self._words[base], self._tail_words[tail]))
        ids = np.concatenate((self._ids[base], self._tail_ids[tail]))
        order = np.argsort(ids, kind="stable")
        self._words = np.ascontiguousarray(words[order])
        self._ids = np.ascontiguousarray(ids[order])
        self._alive = np.ones(len(order), dtype=np.bool_)
        self._indexed = self._live = len(order)
        self._tail_words = np.zeros((0, self.word_count), dtype=np.uint64)
        self._tail_ids = np.zeros(0, dtype=np.int64)
        self._tail_alive = np.zeros(0, dtype=np.bool_)
        self._tail_size = 0
        self._pending.clear()
        self._dead_indexed = 0
        self._tables = hamming_build.build_tables(self._words, self.chunks)
        self.mapped = False

    # -- queries -------------------------------------------------------------------------

    def _probe_cost(self, radius: int) -> float:
        chunk_radius = min(radius // self.chunks, 16)
        buckets = sum(comb(16, w) for w in range(chunk_radius + 1))
        return self.chunks * buckets * (1 + self._indexed / BUCKETS)

    def _search_rows(self, query: npt.NDArray[np.uint64], radius: int) -> tuple[Any, Any]:
        tail_rows, tail_distances = scan_search(
            self._tail_words, self._tail_alive, 0, self._tail_size, query, radius
        )
        if self._probe_cost(radius) > 0.5 * self._size:
            base_rows, base_distances = scan_search(self._words, self._alive, 0, self._indexed, query, radius)
        else:
            offsets, low, rows = self._tables
            masks, ends = hamming_build.MASKS_BY_WEIGHT
            base_rows, base_distances = mih_search(
                self._words, self._alive, offsets, low, rows, masks, ends, query, radius
            )
        return (
            np.concatenate((base_rows, tail_rows + self._indexed)),
            np.concatenate((base_distances, tail_distances)),
        )

    def _ids_of(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        in_base = rows < self._indexed
        ids = np.empty(len(rows), dtype=np.int64)
        ids[in_base] = self._ids[rows[in_base]]
        ids[~in_base] = self._tail_ids[rows[~in_base] - self._indexed]
        return ids

    def search(self, query: HashValue, threshold: int) -> list[IndexMatch]:
        if threshold < 0 or self._live == 0:
            return []
        rows, distances = self._search_rows(self._words_of([query])[0], threshold)
        ids = self._ids_of(rows)
        order = np.lexsort((ids, distances))
        return [IndexMatch(int(ids[i]), int(distances[i])) for i in order]

    def __len__(self) -> int:
        return self._live

    def memory_bytes(self) -> int:
        """Bytes held by the index's arrays (hashes, ids, flags, chunk tables), mapped ones included."""
        arrays = (self._words, self._ids, self._alive, self._tail_words, self._tail_ids, self._tail_alive)
        return sum(array.nbytes for array in (*arrays, *self._tables))

    # -- snapshots -----------------------------------------------------------------------

    def save(self, path: Path) -> None:
        offsets, low, rows = self._tables
        size = self._tail_size
        arrays = {
            "words": np.concatenate((self._words[: self._indexed], self._tail_words[:size])),
            "ids": np.concatenate((self._ids[: self._indexed], self._tail_ids[:size])),
            "alive": np.concatenate((self._alive[: self._indexed], self._tail_alive[:size])),
            "offsets": offsets,
            "low": low,
            "rows": rows,
        }
        meta = {"indexed": self._indexed, "dead_indexed": self._dead_indexed}
        write_snapshot(path, self.kind, self.algorithm, meta, arrays)

    @classmethod
    def load(cls, path: Path, algorithm: BitStringAlgorithm, *, mapped: bool = False) -> HammingMultiIndex:
        """The snapshot at ``path``; ``mapped``: map its arrays instead of reading them, so that the
        processes of a host that map one file share its pages (what a process changes, it copies)."""
        meta, arrays = read_snapshot(path, cls.kind, algorithm, mapped=mapped)
        index = cls(algorithm)
        indexed = int(meta["indexed"])
        words, ids, alive = arrays["words"], arrays["ids"], arrays["alive"]
        index._words, index._ids, index._alive = words[:indexed], ids[:indexed], alive[:indexed]
        index._indexed = indexed
        index._dead_indexed = int(meta["dead_indexed"])
        index._tables = (arrays["offsets"], arrays["low"], arrays["rows"])
        tail = np.flatnonzero(np.asarray(alive[indexed:]))
        index._tail_words = np.array(words[indexed:][tail])
        index._tail_ids = np.array(ids[indexed:][tail])
        index._tail_alive = np.ones(len(tail), dtype=np.bool_)
        index._tail_size = len(tail)
        index._pending = {int(entry_id): indexed + row for row, entry_id in enumerate(index._tail_ids)}
        index._live = int(np.count_nonzero(index._alive)) + len(tail)
        index.mapped = mapped
        return index


def _resized(array: npt.NDArray[Any], capacity: int) -> npt.NDArray[Any]:
    grown = np.zeros((capacity, *array.shape[1:]), dtype=array.dtype)
    grown[: array.shape[0]] = array
    return grown

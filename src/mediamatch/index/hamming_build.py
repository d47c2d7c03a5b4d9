"""Building the chunk tables of ``HammingMultiIndex`` in linear time (LSD radix sort in numba)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

from mediamatch.index.hamming_kernels import chunk_key

BUCKETS = 1 << 16
Tables = tuple[npt.NDArray[np.int64], npt.NDArray[np.uint16], npt.NDArray[np.uint32]]


def _masks_by_weight() -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.int64]]:
    """All 16-bit masks ordered by popcount, and where each popcount's run ends."""
    masks = np.arange(BUCKETS, dtype=np.uint32)
    weights = np.array([bin(m).count("1") for m in range(BUCKETS)])
    order = np.argsort(weights, kind="stable")
    ends = np.cumsum(np.bincount(weights, minlength=17)).astype(np.int64)
    return masks[order].astype(np.uint16), ends


MASKS_BY_WEIGHT = _masks_by_weight()


def empty_tables(chunks: int) -> Tables:
    return (
        np.zeros((chunks, BUCKETS + 1), dtype=np.int64),
        np.zeros((chunks, 0), dtype=np.uint16),
        np.zeros((chunks, 0), dtype=np.uint32),
    )


@njit(cache=True, nogil=True)
def _counting_pass(
    keys: npt.NDArray[np.uint32], order: npt.NDArray[np.uint32], shift: int
) -> npt.NDArray[np.uint32]:
    counts = np.zeros(BUCKETS + 1, dtype=np.int64)
    for i in range(order.shape[0]):
        counts[((keys[order[i]] >> shift) & 0xFFFF) + 1] += 1
    for b in range(BUCKETS):
        counts[b + 1] += counts[b]
    out = np.empty_like(order)
    for i in range(order.shape[0]):
        digit = (keys[order[i]] >> shift) & 0xFFFF
        out[counts[digit]] = order[i]
        counts[digit] += 1
    return out


@njit(cache=True, nogil=True)
def _build_chunk(
    words: npt.NDArray[np.uint64],
    chunk: int,
    offsets: npt.NDArray[np.int64],
    low: npt.NDArray[np.uint16],
    rows: npt.NDArray[np.uint32],
) -> None:
    n = words.shape[0]
    keys = np.empty(n, dtype=np.uint32)
    for r in range(n):
        keys[r] = chunk_key(words[r], chunk)
    order = np.arange(n).astype(np.uint32)
    order = _counting_pass(keys, order, 0)
    order = _counting_pass(keys, order, 16)
    offsets[:] = 0
    for i in range(n):
        key = keys[order[i]]
        offsets[(key >> 16) + 1] += 1
        low[i] = key & 0xFFFF
        rows[i] = order[i]
    for b in range(BUCKETS):
        offsets[b + 1] += offsets[b]


def build_tables(words: npt.NDArray[np.uint64], chunks: int) -> Tables:
    """Per chunk: bucket offsets by the key's high 16 bits, low 16 bits and row numbers, sorted by key."""
    n = words.shape[0]
    offsets = np.zeros((chunks, BUCKETS + 1), dtype=np.int64)
    low = np.empty((chunks, n), dtype=np.uint16)
    rows = np.empty((chunks, n), dtype=np.uint32)
    for chunk in range(chunks):
        _build_chunk(words, chunk, offsets[chunk], low[chunk], rows[chunk])
    return offsets, low, rows

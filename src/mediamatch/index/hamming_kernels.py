"""Numba kernels of the multi-index Hamming search (see ``hamming.py`` for the design)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

U64Array = npt.NDArray[np.uint64]
I64Array = npt.NDArray[np.int64]


@njit(cache=True, nogil=True, inline="always")
def popcount64(x: np.uint64) -> int:
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@njit(cache=True, nogil=True, inline="always")
def chunk_key(words: U64Array, chunk: int) -> int:
    """The 32-bit chunk ``chunk`` of a hash stored as 64-bit words (chunk 0 = high half of word 0)."""
    word = words[chunk // 2]
    if chunk % 2 == 0:
        return int(word >> np.uint64(32))
    return int(word & np.uint64(0xFFFFFFFF))


@njit(cache=True, nogil=True, inline="always")
def full_distance(a: U64Array, b: U64Array) -> int:
    total = 0
    for w in range(a.shape[0]):
        total += popcount64(a[w] ^ b[w])
    return total


@njit(cache=True, nogil=True, inline="always")
def _found_earlier(row_words: U64Array, query: U64Array, chunk: int, chunk_radius: int) -> bool:
    """True if an earlier chunk also lies within ``chunk_radius``: that chunk already reported the row."""
    for earlier in range(chunk):
        if popcount64(np.uint64(chunk_key(row_words, earlier) ^ chunk_key(query, earlier))) <= chunk_radius:
            return True
    return False


@njit(cache=True, nogil=True, inline="always")
def _grow(buffer: I64Array, used: int) -> I64Array:
    if used < buffer.shape[0]:
        return buffer
    bigger = np.empty(buffer.shape[0] * 2, dtype=np.int64)
    bigger[:used] = buffer[:used]
    return bigger


@njit(cache=True, nogil=True, inline="always")
def _append(
    found_rows: I64Array, found_dist: I64Array, used: int, row: int, distance: int
) -> tuple[I64Array, I64Array, int]:
    found_rows = _grow(found_rows, used)
    found_dist = _grow(found_dist, used)
    found_rows[used] = row
    found_dist[used] = distance
    return found_rows, found_dist, used + 1


@njit(cache=True, nogil=True, inline="always")
def _lower_bound(low: npt.NDArray[np.uint16], start: int, end: int, value: int) -> int:
    while start < end:
        middle = (start + end) // 2
        if int(low[middle]) < value:
            start = middle + 1
        else:
            end = middle
    return start


@njit(cache=True, nogil=True, inline="always")
def _any_within(low: npt.NDArray[np.uint16], start: int, end: int, value: int, bits: int) -> bool:
    """Whether any ``low[start:end]`` lies within ``bits`` bits of ``value``.

    Branch-free (clearing the lowest set bit ``bits`` times leaves zero exactly when at
    most ``bits`` bits differ), so the compiler can vectorise this pre-check of a bucket.
    """
    count = 0
    for i in range(start, end):
        x = np.int32(low[i]) ^ np.int32(value)
        for _ in range(bits):
            x &= x - np.int32(1)
        count += x == 0
    return count > 0


@njit(cache=True, nogil=True, inline="always")
def _interleaved_lower_bounds(
    low: npt.NDArray[np.uint16], spans: I64Array, count: int, value: int, ends: I64Array
) -> None:
    """Binary-search ``value`` in the first ``count`` spans at once, one step per span per round.

    Advancing all searches together keeps many independent memory loads in flight, which
    matters more than the comparisons: the tables are far larger than the caches. Each
    span's start becomes its lower bound; ``ends`` is scratch space.
    """
    for b in range(count):
        ends[b] = spans[b, 1]
    active = True
    while active:
        active = False
        for b in range(count):
            start, end = spans[b, 0], ends[b]
            if start < end:
                middle = (start + end) // 2
                if int(low[middle]) < value:
                    spans[b, 0] = middle + 1
                else:
                    ends[b] = middle
                active = True


@njit(cache=True, nogil=True)
def mih_search(  # noqa: C901 - one flat loop nest; per-bucket function calls cost more than the work
    words: U64Array,
    alive: npt.NDArray[np.bool_],
    offsets: I64Array,
    low: npt.NDArray[np.uint16],
    rows: npt.NDArray[np.uint32],
    masks: npt.NDArray[np.uint16],
    mask_weight_ends: I64Array,
    query: U64Array,
    radius: int,
) -> tuple[I64Array, I64Array]:
    """Rows and distances of live indexed entries within ``radius`` of ``query``.

    Each is found through the chunk tables and reported by the first chunk within
    ``radius // chunks`` bits. Rows added since the tables were built are not covered
    (``scan_search`` handles them).
    """
    chunks = offsets.shape[0]
    chunk_radius = radius // chunks
    found_rows = np.empty(64, dtype=np.int64)
    found_dist = np.empty(64, dtype=np.int64)
    used = 0
    widest = 0
    for weight in range(min(chunk_radius, 16) + 1):
        widest = max(widest, mask_weight_ends[weight] - (0 if weight == 0 else mask_weight_ends[weight - 1]))
    spans = np.empty((widest, 2), dtype=np.int64)
    bounds = np.empty(widest, dtype=np.int64)
    for chunk in range(chunks):
        key = chunk_key(query, chunk)
        top, bottom = key >> 16, key & 0xFFFF
        for weight in range(min(chunk_radius, 16) + 1):
            remaining = chunk_radius - weight
            first = 0 if weight == 0 else mask_weight_ends[weight - 1]
            count = mask_weight_ends[weight] - first
            for m in range(count):
                bucket = top ^ int(masks[first + m])
                spans[m, 0] = offsets[chunk, bucket]
                spans[m, 1] = offsets[chunk, bucket + 1]
            if remaining == 0:
                _interleaved_lower_bounds(low[chunk], spans, count, bottom, bounds)
            for m in range(count):
                start, end = spans[m, 0], spans[m, 1]
                if remaining > 0 and not _any_within(low[chunk], start, end, bottom, remaining):
                    continue
                for i in range(start, end):
                    low_bits = int(low[chunk, i])
                    if remaining == 0 and low_bits != bottom:
                        break
                    if popcount64(np.uint64(low_bits ^ bottom)) > remaining:
                        continue
                    row = int(rows[chunk, i])
                    if not alive[row]:
                        continue
                    distance = full_distance(words[row], query)
                    if distance > radius or _found_earlier(words[row], query, chunk, chunk_radius):
                        continue
                    found_rows, found_dist, used = _append(found_rows, found_dist, used, row, distance)
    return found_rows[:used], found_dist[:used]


@njit(cache=True, nogil=True)
def scan_search(
    words: U64Array, alive: npt.NDArray[np.bool_], start: int, stop: int, query: U64Array, radius: int
) -> tuple[I64Array, I64Array]:
    """Linear scan of the live rows in ``[start, stop)``: the unindexed tail, or all rows at large radii."""
    found_rows = np.empty(64, dtype=np.int64)
    found_dist = np.empty(64, dtype=np.int64)
    used = 0
    for row in range(start, stop):
        if alive[row]:
            distance = full_distance(words[row], query)
            if distance <= radius:
                found_rows, found_dist, used = _append(found_rows, found_dist, used, row, distance)
    return found_rows[:used], found_dist[:used]

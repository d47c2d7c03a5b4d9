"""Numerical kernels of PDQ, written to reproduce Meta's C++ reference bit for bit.

Meta's reference (``pdq/cpp`` in ThreatExchange, wrapped by the ``pdqhash``
package) blurs the full-resolution luminance image with two X/Y pairs of 1-D box
filters (Jarosz's tent filter), samples a 64x64 grid, takes a partial 2-D DCT
and thresholds the 16x16 coefficients at their median.

Bit-exactness rests on doing every floating-point operation the reference does,
in the same precision and in the same order *per output value*. The order in
which independent values are computed is free, and that is where the speed
comes from:

* the image is streamed row by row through a ring buffer of ``window + 1``
  rows, so no full-size float buffer is allocated (the reference allocates two);
* the vertical box filter runs across a whole row of running sums at once,
  which is cache friendly and vectorisable, instead of walking one column at a
  time with a large stride;
* the second pass pair only computes the 64 columns and 64 rows that the
  decimation step samples; the running sums still visit every pixel so their
  rounding matches the reference exactly.

The luminance of a pixel is ``float32(0.299*R + 0.587*G + 0.114*B)`` evaluated in
float64 first, as ``pdqhash`` does on the Python side before calling the C++ core.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import numpy.typing as npt
from numba import njit

F32 = np.float32
GRID = 64
DCT_SIZE = 16
MIN_HASHABLE_DIM = 5

Float32Array = npt.NDArray[np.float32]
UInt8Array = npt.NDArray[np.uint8]


def jarosz_window_size(old_dimension: int, new_dimension: int = GRID) -> int:
    """Box width of one Jarosz pass: ``ceil(old / (2 * new))``, as the reference rounds it."""
    return (old_dimension + 2 * new_dimension - 1) // (2 * new_dimension)


def decimation_indices(length: int, samples: int = GRID) -> npt.NDArray[np.int64]:
    """Indices of the pixel centres the reference samples along one axis."""
    return np.array([int(((i + 0.5) * length) / samples) for i in range(samples)], dtype=np.int64)


def _dct_matrix() -> Float32Array:
    """The 16x64 partial DCT-II matrix (frequencies 1..16), rounded to float32 like the reference."""
    scale = float(np.float32(math.sqrt(2.0 / GRID)))
    matrix = np.empty((DCT_SIZE, GRID), dtype=np.float32)
    for i in range(DCT_SIZE):
        for j in range(GRID):
            matrix[i, j] = scale * math.cos((math.pi / 2.0 / GRID) * (i + 1) * (2 * j + 1))
    return matrix


DCT_MATRIX = _dct_matrix()


@njit(cache=True, nogil=True)
def _luma_row(rgb: UInt8Array, row: int, out: Float32Array) -> None:
    for j in range(rgb.shape[1]):
        value = rgb[row, j, 0] * 0.299 + rgb[row, j, 1] * 0.587 + rgb[row, j, 2] * 0.114
        out[j] = np.float32(value)


@njit(cache=True, nogil=True)
def _box_1d(src: Float32Array, dst: Float32Array, length: int, window: int) -> None:
    """Box filter of one vector with shrinking windows at both ends (reference phases 1-4)."""
    half = (window + 2) // 2
    total = np.float32(0.0)
    size = 0
    right = 0
    left = 0
    out = 0
    for _ in range(half - 1):
        total += src[right]
        size += 1
        right += 1
    for _ in range(window - half + 1):
        total += src[right]
        size += 1
        dst[out] = total / np.float32(size)
        right += 1
        out += 1
    for _ in range(length - window):
        total += src[right]
        total -= src[left]
        dst[out] = total / np.float32(size)
        left += 1
        right += 1
        out += 1
    for _ in range(half - 1):
        total -= src[left]
        size -= 1
        dst[out] = total / np.float32(size)
        left += 1
        out += 1


@njit(cache=True, nogil=True)
def _box_1d_sampled(
    src: Float32Array, length: int, window: int, wanted: npt.NDArray[np.int64], dst: Float32Array
) -> None:
    """Same running sum as ``_box_1d`` but stores only the outputs at the sorted ``wanted`` indices."""
    half = (window + 2) // 2
    total = np.float32(0.0)
    size = 0
    right = 0
    left = 0
    out = 0
    k = 0
    n_wanted = wanted.shape[0]
    for _ in range(half - 1):
        total += src[right]
        size += 1
        right += 1
    for _ in range(window - half + 1):
        total += src[right]
        size += 1
        while k < n_wanted and wanted[k] == out:
            dst[k] = total / np.float32(size)
            k += 1
        right += 1
        out += 1
    for _ in range(length - window):
        total += src[right]
        total -= src[left]
        while k < n_wanted and wanted[k] == out:
            dst[k] = total / np.float32(size)
            k += 1
        left += 1
        right += 1
        out += 1
    for _ in range(half - 1):
        total -= src[left]
        size -= 1
        while k < n_wanted and wanted[k] == out:
            dst[k] = total / np.float32(size)
            k += 1
        left += 1
        out += 1


@njit(cache=True, nogil=True)
def _first_pass_row(rgb: UInt8Array, row: int, luma: Float32Array, dst: Float32Array, window: int) -> None:
    _luma_row(rgb, row, luma)
    _box_1d(luma, dst, luma.shape[0], window)


@njit(cache=True, nogil=True)
def _emit_vertical(
    sums: Float32Array,
    size: int,
    scratch: Float32Array,
    window: int,
    wanted_cols: npt.NDArray[np.int64],
    dst: Float32Array,
) -> None:
    divisor = np.float32(size)
    for j in range(sums.shape[0]):
        scratch[j] = sums[j] / divisor
    _box_1d_sampled(scratch, scratch.shape[0], window, wanted_cols, dst)


@njit(cache=True, nogil=True)
def _first_pair_and_second_rows(
    rgb: UInt8Array, row_window: int, col_window: int, wanted_cols: npt.NDArray[np.int64]
) -> Float32Array:
    """Luma, X box, Y box over full rows, then the second X box at the sampled columns only.

    Returns a ``rows x 64`` matrix: the image after three of the four box passes,
    restricted to the columns the decimation samples.
    """
    rows = rgb.shape[0]
    cols = rgb.shape[1]
    ring_size = col_window + 1
    ring = np.empty((ring_size, cols), dtype=np.float32)
    luma = np.empty(cols, dtype=np.float32)
    sums = np.zeros(cols, dtype=np.float32)
    scratch = np.empty(cols, dtype=np.float32)
    out = np.empty((rows, wanted_cols.shape[0]), dtype=np.float32)
    half = (col_window + 2) // 2
    size = 0
    right = 0
    left = 0
    emitted = 0
    for _ in range(half - 1):
        slot = ring[right % ring_size]
        _first_pass_row(rgb, right, luma, slot, row_window)
        for j in range(cols):
            sums[j] += slot[j]
        size += 1
        right += 1
    for _ in range(col_window - half + 1):
        slot = ring[right % ring_size]
        _first_pass_row(rgb, right, luma, slot, row_window)
        for j in range(cols):
            sums[j] += slot[j]
        size += 1
        _emit_vertical(sums, size, scratch, row_window, wanted_cols, out[emitted])
        right += 1
        emitted += 1
    for _ in range(rows - col_window):
        slot = ring[right % ring_size]
        _first_pass_row(rgb, right, luma, slot, row_window)
        old = ring[left % ring_size]
        for j in range(cols):
            sums[j] += slot[j]
            sums[j] -= old[j]
        _emit_vertical(sums, size, scratch, row_window, wanted_cols, out[emitted])
        left += 1
        right += 1
        emitted += 1
    for _ in range(half - 1):
        old = ring[left % ring_size]
        for j in range(cols):
            sums[j] -= old[j]
        size -= 1
        _emit_vertical(sums, size, scratch, row_window, wanted_cols, out[emitted])
        left += 1
        emitted += 1
    return out


@njit(cache=True, nogil=True)
def _emit_rows(
    sums: Float32Array, size: int, row: int, wanted_rows: npt.NDArray[np.int64], k: int, out: Float32Array
) -> int:
    """Store ``sums / size`` for every wanted output index equal to ``row``; returns the next ``k``."""
    while k < wanted_rows.shape[0] and wanted_rows[k] == row:
        for j in range(sums.shape[0]):
            out[k, j] = sums[j] / np.float32(size)
        k += 1
    return k


@njit(cache=True, nogil=True)
def _second_column_pass(mid: Float32Array, window: int, wanted_rows: npt.NDArray[np.int64]) -> Float32Array:
    """The last Y box over the ``rows x 64`` matrix, kept only at the sampled rows (phases as ``_box_1d``)."""
    rows = mid.shape[0]
    out = np.empty((wanted_rows.shape[0], mid.shape[1]), dtype=np.float32)
    sums = np.zeros(mid.shape[1], dtype=np.float32)
    half = (window + 2) // 2
    size = right = left = emitted = k = 0
    for _ in range(half - 1):
        sums += mid[right]
        size += 1
        right += 1
    for _ in range(window - half + 1):
        sums += mid[right]
        size += 1
        k = _emit_rows(sums, size, emitted, wanted_rows, k, out)
        right += 1
        emitted += 1
    for _ in range(rows - window):
        sums += mid[right]
        sums -= mid[left]
        k = _emit_rows(sums, size, emitted, wanted_rows, k, out)
        left += 1
        right += 1
        emitted += 1
    for _ in range(half - 1):
        sums -= mid[left]
        size -= 1
        k = _emit_rows(sums, size, emitted, wanted_rows, k, out)
        left += 1
        emitted += 1
    return out


@njit(cache=True, nogil=True)
def _copy_luma(rgb: UInt8Array) -> Float32Array:
    out = np.empty((rgb.shape[0], rgb.shape[1]), dtype=np.float32)
    for i in range(rgb.shape[0]):
        _luma_row(rgb, i, out[i])
    return out


def downsample_64(rgb: UInt8Array) -> Float32Array:
    """Blur and decimate a ``(rows, cols, 3)`` uint8 image to the reference's 64x64 float grid.

    The image must be at least ``MIN_HASHABLE_DIM`` pixels on each side. A 64x64
    input is taken as already downsampled, as the reference does.
    """
    rows, cols = rgb.shape[0], rgb.shape[1]
    if rows == GRID and cols == GRID:
        result: Float32Array = _copy_luma(rgb)
        return result
    row_window = jarosz_window_size(cols)
    col_window = jarosz_window_size(rows)
    mid = _first_pair_and_second_rows(rgb, row_window, col_window, decimation_indices(cols))
    grid: Float32Array = _second_column_pass(mid, col_window, decimation_indices(rows))
    return grid


@njit(cache=True, nogil=True)
def quality_metric(grid: Float32Array) -> int:
    """The reference's 0-100 image-domain quality: quantised gradient energy of the 64x64 grid."""
    total = 0
    hundred = np.float32(100.0)
    scale = np.float32(255.0)
    for i in range(GRID - 1):
        for j in range(GRID):
            total += abs(int(((grid[i, j] - grid[i + 1, j]) * hundred) / scale))
    for i in range(GRID):
        for j in range(GRID - 1):
            total += abs(int(((grid[i, j] - grid[i, j + 1]) * hundred) / scale))
    return min(total // 90, 100)


@njit(cache=True, nogil=True)
def _dct_64_to_16(grid: Float32Array, matrix: Float32Array) -> Float32Array:
    partial = np.empty((DCT_SIZE, GRID), dtype=np.float32)
    for i in range(DCT_SIZE):
        for j in range(GRID):
            acc = np.float32(0.0)
            for k in range(GRID):
                acc += matrix[i, k] * grid[k, j]
            partial[i, j] = acc
    out = np.empty((DCT_SIZE, DCT_SIZE), dtype=np.float32)
    for i in range(DCT_SIZE):
        for j in range(DCT_SIZE):
            acc = np.float32(0.0)
            for k in range(GRID):
                acc += partial[i, k] * matrix[j, k]
            out[i, j] = acc
    return out


def dct_16x16(grid: Float32Array) -> Float32Array:
    """Coefficients (1..16)x(1..16) of the 2-D DCT of the 64x64 grid, summed in reference order."""
    coefficients: Float32Array = _dct_64_to_16(grid, DCT_MATRIX)
    return coefficients


def _box_bounds(length: int, window: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """First and last input index (inclusive) that each output of ``_box_1d`` averages."""
    half = (window + 2) // 2
    outputs = np.arange(length)
    return np.maximum(outputs + half - window, 0), np.minimum(outputs + half - 1, length - 1)


@functools.lru_cache(maxsize=256)
def reduced_axis_operator(full: int, reduced: int) -> Float32Array:
    """The ``(64, reduced)`` weights that take one axis of a picture decoded at reduced scale
    (``reduced`` pixels standing for ``full``) to what the reference's two box passes and
    decimation give along that axis at full scale.

    Each reduced pixel is taken to be the mean of the full-scale pixels it covers (``full /
    reduced`` of them, fractionally at its edges): the full-scale filter's weights, with the
    reference's window width, off-centre boxes and shrinking windows at the ends, are integrated
    over each reduced pixel's footprint. Fast mode uses it because hashing the reduced pixels as a
    picture of their own size filters with a window computed from the smaller size, sampled at
    other positions: up to 34 bits apart from exact mode on ordinary photographs, against 4 this way.
    """
    window = jarosz_window_size(full)
    low, high = _box_bounds(full, window)
    counts = (high - low + 1).astype(np.float64)
    samples = decimation_indices(full)
    # Row p of the two passes B·B is the mean, over the m that box p averages, of box m's weights.
    steps = np.zeros((GRID, full + 1))
    for row, sample in enumerate(samples):
        middle = np.arange(low[sample], high[sample] + 1)
        np.add.at(steps[row], low[middle], 1.0 / counts[middle])
        np.add.at(steps[row], high[middle] + 1, -1.0 / counts[middle])
    weights = np.cumsum(steps[:, :full], axis=1) / counts[samples][:, None]
    # Integrate the piecewise-constant weights over each reduced pixel's footprint [j r, (j+1) r).
    integral = np.concatenate([np.zeros((GRID, 1)), np.cumsum(weights, axis=1)], axis=1)
    edges = np.linspace(0.0, float(full), reduced + 1)
    whole = np.minimum(np.floor(edges).astype(np.int64), full - 1)
    part = edges - whole
    at_edges = integral[:, whole] + part * (integral[:, whole + 1] - integral[:, whole])
    operator: Float32Array = np.diff(at_edges, axis=1).astype(np.float32)
    return operator


def downsample_64_reduced(rgb: UInt8Array, full_rows: int, full_cols: int) -> Float32Array:
    """``downsample_64`` of the full-scale picture, estimated from ``rgb``, a reduced-scale decode
    of it (``full_rows`` by ``full_cols`` at full scale): see ``reduced_axis_operator``."""
    rows, cols = rgb.shape[0], rgb.shape[1]
    luma = _copy_luma(np.ascontiguousarray(rgb))
    grid: Float32Array = (
        reduced_axis_operator(full_rows, rows) @ luma @ reduced_axis_operator(full_cols, cols).T
    ).astype(np.float32)
    return np.ascontiguousarray(grid)

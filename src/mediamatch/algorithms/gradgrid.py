"""gradgrid144: our gradient-grid image hash in the style of PhotoDNA's public description.

Designed here from the published outline (Farid 2018, 2021): greyscale, fixed-size
resample, gradient filter, grid of cells, gradient statistics per cell, Euclidean
distance. It is not PhotoDNA and is not compatible with it.

Steps (all deterministic, float64):

1. luminance ``0.299 R + 0.587 G + 0.114 B``, area-averaged to 96x96 (bilinear
   upsampling for images smaller than that);
2. a 17-tap binomial blur (sigma 2), which removes noise, JPEG artefacts and fine
   overlays such as text, and makes cells tolerant of small shifts and crops;
3. central-difference gradients ``dx`` and ``dy``;
4. a 6x6 grid of cells with bilinear (tent) weights between neighbouring cell
   centres, so a small shift moves energy smoothly between cells;
5. per cell four energies: positive and negative ``dx``, positive and negative ``dy``;
6. the 144 energies are divided by their sum (brightness and contrast invariance),
   square-rooted (no single strong edge dominates; the vector then has unit length)
   and quantised to bytes as ``min(255, round(640 * v))``.

Text form: base64 (192 characters, canonical) or hex (288 digits, accepted).
Distance: Euclidean distance between the two 144-byte vectors, in byte steps,
rounded down (``isqrt`` of the sum of squared differences); 0-3060.
Quality: 0-100 from the mean gradient magnitude of the blurred 96x96 image, zero
for a flat image; images below ``min_quality`` are not trusted for matching.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping, Sequence
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from numba import njit
from PIL import Image

from mediamatch.algorithms.base import (
    Dihedral,
    HashResult,
    HashValue,
    ImageHashAlgorithm,
    RGBPixels,
    WindowLayout,
)
from mediamatch.errors import InvalidHash

SIZE = 96
CELLS = 6
COMPONENTS = 4
LENGTH = CELLS * CELLS * COMPONENTS
QUANT_SCALE = 640.0
QUALITY_FULL_GRADIENT = 6.0
"""Mean gradient magnitude (grey levels per pixel, 96x96 after the blur) that earns quality 100.

On the benchmark corpus of real photos the median is about 6 and the lowest about 0.9;
clear sky is about 0.4 and overcast cloud about 1.0. With ``min_quality`` 20 (a mean
gradient of 1.2) those two are refused and 99 % of the photos are kept."""

Float64Array = npt.NDArray[np.float64]
BLUR_TAPS = 17


def _binomial(taps: int) -> Float64Array:
    kernel = np.array([1.0])
    for _ in range(taps - 1):
        kernel = np.convolve(kernel, [0.5, 0.5])
    return kernel


_BINOMIAL = _binomial(BLUR_TAPS)


@njit(cache=True, nogil=True)
def _luma_area_sums(rgb: RGBPixels, size: int) -> Float64Array:
    """Sum of luminance per output cell, each input pixel in exactly one cell."""
    rows, cols = rgb.shape[0], rgb.shape[1]
    sums = np.zeros((size, size), dtype=np.float64)
    col_cell = (np.arange(cols) * size) // cols
    for y in range(rows):
        out_row = sums[(y * size) // rows]
        for x in range(cols):
            out_row[col_cell[x]] += rgb[y, x, 0] * 0.299 + rgb[y, x, 1] * 0.587 + rgb[y, x, 2] * 0.114
    return sums


@njit(cache=True, nogil=True)
def _luma_area_sums_two(rgb: RGBPixels, size: int, fine: int) -> tuple[Float64Array, Float64Array]:
    """``_luma_area_sums`` at ``size`` (the same sums, added in the same order) and at ``fine``,
    in one pass over the picture."""
    rows, cols = rgb.shape[0], rgb.shape[1]
    sums = np.zeros((size, size), dtype=np.float64)
    fine_sums = np.zeros((fine, fine), dtype=np.float64)
    col_cell = (np.arange(cols) * size) // cols
    fine_col_cell = (np.arange(cols) * fine) // cols
    for y in range(rows):
        out_row, fine_row = sums[(y * size) // rows], fine_sums[(y * fine) // rows]
        for x in range(cols):
            luma = rgb[y, x, 0] * 0.299 + rgb[y, x, 1] * 0.587 + rgb[y, x, 2] * 0.114
            out_row[col_cell[x]] += luma
            fine_row[fine_col_cell[x]] += luma
    return sums, fine_sums


def _cell_counts(length: int, size: int) -> Float64Array:
    return np.bincount((np.arange(length) * size) // length, minlength=size).astype(np.float64)


def resample_luma(pixels: RGBPixels, size: int = SIZE) -> Float64Array:
    """``size`` x ``size`` luminance (96x96 for a hash): area average when both sides are at
    least ``size``, else bilinear."""
    rows, cols = pixels.shape[0], pixels.shape[1]
    if rows >= size and cols >= size:
        sums: Float64Array = _luma_area_sums(np.ascontiguousarray(pixels), size)
        return sums / np.outer(_cell_counts(rows, size), _cell_counts(cols, size))
    weights = np.array([0.299, 0.587, 0.114])
    luma = Image.fromarray((pixels.astype(np.float64) @ weights).astype(np.float32), mode="F")
    return np.asarray(luma.resize((size, size), Image.Resampling.BILINEAR), dtype=np.float64)


@njit(cache=True, nogil=True)
def _area_sums_many(image: Float64Array, sizes: npt.NDArray[np.int64]) -> Float64Array:
    """Area sums of a grey image for several square sizes in one pass: (len(sizes), largest,
    largest), each grid in the top-left corner of its slice, each pixel in one cell of each."""
    rows, cols = image.shape
    largest = sizes.max()
    sums = np.zeros((sizes.shape[0], largest, largest))
    col_cells = np.empty((sizes.shape[0], cols), dtype=np.int64)
    for k in range(sizes.shape[0]):
        col_cells[k] = (np.arange(cols) * sizes[k]) // cols
    for y in range(rows):
        out_rows = [sums[k, (y * sizes[k]) // rows] for k in range(sizes.shape[0])]
        line = image[y]
        for x in range(cols):
            for k in range(sizes.shape[0]):
                out_rows[k][col_cells[k, x]] += line[x]
    return sums


def _fine_size(sizes: Sequence[int]) -> int:
    return 2 * max(sizes)


def _from_fine(fine_image: Float64Array, sizes: Sequence[int]) -> list[Float64Array]:
    """Area averages of a fine grid (``_fine_size``) to each size."""
    fine = fine_image.shape[0]
    sums = _area_sums_many(fine_image, np.array(sizes, dtype=np.int64))
    counts = [_cell_counts(fine, size) for size in sizes]
    return [sums[k, :size, :size] / np.outer(counts[k], counts[k]) for k, size in enumerate(sizes)]


def _resample_many(pixels: RGBPixels, sizes: Sequence[int]) -> list[Float64Array]:
    """``resample_luma`` at each size, nearly: a picture large enough is area-averaged once to
    twice the largest size, and that to each size (one pass over the picture, not one a size)."""
    fine = _fine_size(sizes)
    if min(pixels.shape[0], pixels.shape[1]) < fine:
        return [resample_luma(pixels, size) for size in sizes]
    return _from_fine(resample_luma(pixels, fine), sizes)


@njit(cache=True, nogil=True)
def _blur_kernel(image: Float64Array, kernel: Float64Array) -> Float64Array:
    """Separable blur with edges repeated outward: rows first, then columns, each output a sum
    of ``kernel[i] * pixel`` in tap order (the order of the shifted-array sums it replaced, so the
    same floating-point results). Taps are the outer loop and pixels the inner one, so the inner
    loop runs over contiguous memory and vectorises; each output still adds its taps in order. A
    loop, not matrix products: BLAS would start threads in every worker process of a scan."""
    rows, cols = image.shape
    taps = kernel.shape[0]
    half = taps // 2
    padded = np.empty((rows, cols + 2 * half))
    for y in range(rows):
        for x in range(cols + 2 * half):
            padded[y, x] = image[y, min(max(x - half, 0), cols - 1)]
    across = np.zeros((rows + 2 * half, cols))
    for y in range(rows):
        out, source = across[y + half], padded[y]
        for tap in range(taps):
            weight = kernel[tap]
            for x in range(cols):
                out[x] += weight * source[x + tap]
    for y in range(half):
        across[y] = across[half]
        across[rows + half + y] = across[rows + half - 1]
    blurred = np.zeros((rows, cols))
    for y in range(rows):
        out = blurred[y]
        for tap in range(taps):
            weight, source = kernel[tap], across[y + tap]
            for x in range(cols):
                out[x] += weight * source[x]
    return blurred


def _blur(image: Float64Array) -> Float64Array:
    blurred: Float64Array = _blur_kernel(np.ascontiguousarray(image), _BINOMIAL)
    return blurred


def _tent_weights() -> Float64Array:
    """``CELLS x SIZE`` bilinear weights of each pixel row/column for each cell; columns sum to 1."""
    width = SIZE / CELLS
    centres = (np.arange(CELLS) + 0.5) * width
    positions = np.clip(np.arange(SIZE) + 0.5, centres[0], centres[-1])
    weights: Float64Array = np.maximum(0.0, 1.0 - np.abs(positions[None, :] - centres[:, None]) / width)
    return weights


_TENT = _tent_weights()


def _gradient_parts(smooth: Float64Array) -> Float64Array:
    """(+dx, -dx, +dy, -dy) of a blurred image, each the shape of the image; central differences,
    zero in the outermost columns (dx) and rows (dy)."""
    dx = np.zeros_like(smooth)
    dy = np.zeros_like(smooth)
    dx[:, 1:-1] = (smooth[:, 2:] - smooth[:, :-2]) / 2
    dy[1:-1, :] = (smooth[2:, :] - smooth[:-2, :]) / 2
    return np.stack((np.maximum(dx, 0), np.maximum(-dx, 0), np.maximum(dy, 0), np.maximum(-dy, 0)))


def gradient_energies(image: Float64Array) -> Float64Array:
    """The 6x6x4 cell energies of a 96x96 image: (+dx, -dx, +dy, -dy) per cell."""
    parts = _gradient_parts(_blur(image))
    energies: Float64Array = np.moveaxis(_TENT @ parts @ _TENT.T, 0, -1)
    return energies


def _window_weights() -> tuple[Float64Array, Float64Array, npt.NDArray[np.int64]]:
    """Tent weights for windows cut from a larger gradient field, per component (4, CELLS, SIZE):
    across (columns) and down (rows). A window's outermost columns carry no dx and its
    outermost rows no dy, as in a hash of the window alone. Also each cell's span of nonzero
    weights, (CELLS, 2)."""
    across = np.repeat(_TENT[None], COMPONENTS, axis=0)
    down = across.copy()
    across[:2, :, [0, SIZE - 1]] = 0.0
    down[2:, :, [0, SIZE - 1]] = 0.0
    nonzero = _TENT > 0
    spans = np.array([[row.argmax(), SIZE - row[::-1].argmax()] for row in nonzero], dtype=np.int64)
    return across, down, spans


_ACROSS, _DOWN, _SPANS = _window_weights()


@njit(cache=True, nogil=True)
def _window_row_sums(
    columns: Float64Array, edges: npt.NDArray[np.int64], across: Float64Array, spans: npt.NDArray[np.int64]
) -> Float64Array:
    """(edges, COMPONENTS, CELLS, rows): each row of gradient parts given column by column,
    (COMPONENTS, cols, rows), pooled across the cells of a window whose left edge is at each of
    ``edges``. With columns contiguous, the innermost loop runs down a column and vectorises."""
    rows = columns.shape[2]
    cells = across.shape[1]
    row_sums = np.zeros((edges.shape[0], COMPONENTS, cells, rows))
    for e in range(edges.shape[0]):
        for c in range(COMPONENTS):
            for j in range(cells):
                out = row_sums[e, c, j]
                for x in range(spans[j, 0], spans[j, 1]):
                    weight, column = across[c, j, x], columns[c, edges[e] + x]
                    for y in range(rows):
                        out[y] += weight * column[y]
    return row_sums


@njit(cache=True, nogil=True)
def _window_energies(
    row_sums: Float64Array,
    tops: npt.NDArray[np.int64],
    edge_numbers: npt.NDArray[np.int64],
    down: Float64Array,
    spans: npt.NDArray[np.int64],
) -> Float64Array:
    """Cell energies (windows, CELLS, CELLS, COMPONENTS) of windows at the given top rows,
    pooled down the row sums of their left edge (``_window_row_sums``)."""
    cells = down.shape[1]
    energies = np.zeros((tops.shape[0], cells, cells, COMPONENTS))
    for window in range(tops.shape[0]):
        sums, top = row_sums[edge_numbers[window]], tops[window]
        for c in range(COMPONENTS):
            for i in range(cells):
                for j in range(cells):
                    total = 0.0
                    for y in range(spans[i, 0], spans[i, 1]):
                        total += down[c, i, y] * sums[c, j, top + y]
                    energies[window, i, j, c] = total
    return energies


def _results(algorithm: GradGridAlgorithm, energies: Float64Array) -> list[HashResult]:
    """Hashes of one or more pictures' cell energies, (pictures, CELLS, CELLS, COMPONENTS):
    each normalised by its total energy, square-rooted, scaled and clipped to 144 bytes (zeros
    if flat), with its quality, the mean gradient magnitude per pixel mapped to 0-100 (100 at
    ``QUALITY_FULL_GRADIENT``)."""
    flat = energies.reshape(energies.shape[0], -1)
    totals = flat.sum(axis=1)
    flat_ones = totals <= 1e-9
    vectors = np.sqrt(flat / np.where(flat_ones, 1.0, totals)[:, None])
    data = np.minimum(255, np.rint(vectors * QUANT_SCALE)).astype(np.uint8)
    data[flat_ones] = 0
    qualities = np.minimum(100, (100 * (totals / (SIZE * SIZE)) / QUALITY_FULL_GRADIENT).astype(np.int64))
    name, version = algorithm.name, algorithm.version
    return [
        HashResult(HashValue(name, version, row), int(quality))
        for row, quality in zip((row.tobytes() for row in data), qualities.tolist(), strict=True)
    ]


def _grids(layouts: Sequence[WindowLayout]) -> list[int]:
    """The grid, per layout, in which its windows are 96 cells a side."""
    for share, _ in layouts:
        if not 0 < share <= 1:
            raise ValueError(f"a window's share of the picture must be in (0, 1], got {share}")
    return [max(SIZE, round(SIZE / share)) for share, _ in layouts]


class GradGridAlgorithm(ImageHashAlgorithm):
    """The gradient-grid hash as a registered algorithm (name ``gradgrid144``, version 1)."""

    name: ClassVar[str] = "gradgrid144"
    summary: ClassVar[str] = (
        "PhotoDNA-style 144-byte gradient grid: survives resizing, recompression and colour "
        "changes; with stored regions and windows, crops and borders"
    )
    version: ClassVar[int] = 1
    distance_unit: ClassVar[str] = "byte steps (Euclidean distance of 144 bytes, rounded down)"
    default_threshold: ClassVar[int] = 139
    default_min_quality: ClassVar[int] = 20
    has_quality: ClassVar[bool] = True
    has_dihedral: ClassVar[bool] = True

    def __init__(self, *, threshold: int | None = None, min_quality: int | None = None) -> None:
        super().__init__(
            threshold=threshold,
            min_quality=self.default_min_quality if min_quality is None else min_quality,
        )

    def _result(self, image: Float64Array) -> HashResult:
        energies = gradient_energies(image)
        (result,) = _results(self, energies[None])
        return result

    def hash_pixels(self, pixels: RGBPixels) -> HashResult:
        return self._result(resample_luma(pixels))

    def hash_dihedral(self, pixels: RGBPixels) -> Mapping[Dihedral, HashResult]:
        image = resample_luma(pixels)
        return {variant: self._result(variant.apply(image)) for variant in Dihedral}

    def hash_windows(self, pixels: RGBPixels, layouts: Sequence[WindowLayout]) -> list[list[HashResult]]:
        """Window hashes pooled from one gradient field of the whole picture per layout.

        For each layout the picture is area-averaged to ``round(96 / share)`` a side, so that
        a window is 96 cells a side (through one grid twice the largest, so the picture is
        read once); each grid is blurred and differentiated once, and each window only pools
        its own cells. A window's hash differs from ``hash_pixels`` of the window cut out
        only near its edges, where this blur sees the pixels beyond them: on real photos by
        about 15 byte steps (median), far inside the matching threshold. Corners are
        rounded to the grid and moved inside.
        """
        grids = _grids(layouts)
        return self._windows(_resample_many(pixels, grids), grids, layouts)

    def hash_pixels_and_windows(
        self, pixels: RGBPixels, layouts: Sequence[WindowLayout]
    ) -> tuple[HashResult, list[list[HashResult]]]:
        """``hash_pixels`` (exactly) and ``hash_windows``, from one pass over the picture."""
        grids = _grids(layouts)
        fine = _fine_size(grids)
        rows, cols = pixels.shape[0], pixels.shape[1]
        if min(rows, cols) < fine:
            return self.hash_pixels(pixels), self.hash_windows(pixels, layouts)
        sums, fine_sums = _luma_area_sums_two(np.ascontiguousarray(pixels), SIZE, fine)
        image = sums / np.outer(_cell_counts(rows, SIZE), _cell_counts(cols, SIZE))
        fine_image = fine_sums / np.outer(_cell_counts(rows, fine), _cell_counts(cols, fine))
        return self._result(image), self._windows(_from_fine(fine_image, grids), grids, layouts)

    def _windows(
        self, images: Sequence[Float64Array], grids: Sequence[int], layouts: Sequence[WindowLayout]
    ) -> list[list[HashResult]]:
        found = []
        for grid, image, (_, corners) in zip(grids, images, layouts, strict=True):
            places = np.array(corners, dtype=np.float64).reshape(-1, 2)
            tops, lefts = np.rint(places * grid).astype(np.int64).clip(0, grid - SIZE).T
            edges, edge_numbers = np.unique(lefts, return_inverse=True)
            columns = np.ascontiguousarray(_gradient_parts(_blur(image)).transpose(0, 2, 1))
            row_sums = _window_row_sums(columns, edges, _ACROSS, _SPANS)
            energies = _window_energies(row_sums, tops.copy(), edge_numbers.astype(np.int64), _DOWN, _SPANS)
            found.append(_results(self, energies))
        return found

    def from_bytes(self, data: bytes) -> HashValue:
        if len(data) != LENGTH:
            raise InvalidHash(f"{self.name} hashes are {LENGTH} bytes, got {len(data)}")
        return HashValue(self.name, self.version, bytes(data))

    def parse(self, text: str) -> HashValue:
        cleaned = text.strip()
        try:
            if len(cleaned) == 2 * LENGTH:
                return self.from_bytes(bytes.fromhex(cleaned))
            return self.from_bytes(base64.b64decode(cleaned, validate=True))
        except (ValueError, binascii.Error):
            raise InvalidHash(f"{self.name} hash is neither base64 nor hex: {text[:80]!r}") from None

    def format(self, value: HashValue) -> str:
        return base64.b64encode(self.own(value).data).decode("ascii")

    def degenerate(self, value: HashValue) -> str | None:
        """Degenerate when every byte is the same (a flat picture's all-zero hash, or a made-up one)."""
        if len(set(self.own(value).data)) <= 1:
            return "every byte the same (a flat picture's hash matches every other flat picture)"
        return None

    def distance(self, a: HashValue, b: HashValue) -> int:
        left = np.frombuffer(self.own(a).data, dtype=np.uint8).astype(np.int64)
        right = np.frombuffer(self.own(b).data, dtype=np.uint8).astype(np.int64)
        return math.isqrt(int(((left - right) ** 2).sum()))

    def examples(self) -> Sequence[str]:
        ramp = bytes(range(LENGTH))
        return (self.format(self.from_bytes(ramp)), self.format(self.from_bytes(bytes(LENGTH))))

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

from mediamatch.algorithms.base import Dihedral, HashResult, HashValue, ImageHashAlgorithm, RGBPixels
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


def _cell_counts(length: int) -> Float64Array:
    return np.bincount((np.arange(length) * SIZE) // length, minlength=SIZE).astype(np.float64)


def resample_luma(pixels: RGBPixels) -> Float64Array:
    """96x96 luminance: area average when both sides are at least 96, else bilinear."""
    rows, cols = pixels.shape[0], pixels.shape[1]
    if rows >= SIZE and cols >= SIZE:
        sums: Float64Array = _luma_area_sums(np.ascontiguousarray(pixels), SIZE)
        return sums / np.outer(_cell_counts(rows), _cell_counts(cols))
    weights = np.array([0.299, 0.587, 0.114])
    luma = Image.fromarray((pixels.astype(np.float64) @ weights).astype(np.float32), mode="F")
    return np.asarray(luma.resize((SIZE, SIZE), Image.Resampling.BILINEAR), dtype=np.float64)


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


def gradient_energies(image: Float64Array) -> Float64Array:
    """The 6x6x4 cell energies of a 96x96 image: (+dx, -dx, +dy, -dy) per cell."""
    smooth = _blur(image)
    dx = np.zeros_like(smooth)
    dy = np.zeros_like(smooth)
    dx[:, 1:-1] = (smooth[:, 2:] - smooth[:, :-2]) / 2
    dy[1:-1, :] = (smooth[2:, :] - smooth[:-2, :]) / 2
    parts = np.stack((np.maximum(dx, 0), np.maximum(-dx, 0), np.maximum(dy, 0), np.maximum(-dy, 0)))
    energies: Float64Array = np.moveaxis(_TENT @ parts @ _TENT.T, 0, -1)
    return energies


def quantise(energies: Float64Array) -> bytes:
    """Normalise by total energy, square-root, scale and clip to 144 bytes (zeros if flat)."""
    total = float(energies.sum())
    if total <= 1e-9:
        return bytes(LENGTH)
    vector = np.sqrt(energies.reshape(-1) / total)
    return np.minimum(255, np.rint(vector * QUANT_SCALE)).astype(np.uint8).tobytes()


def quality_of(energies: Float64Array) -> int:
    """Mean gradient magnitude per pixel, mapped to 0-100 (100 at ``QUALITY_FULL_GRADIENT``)."""
    mean_gradient = float(energies.sum()) / (SIZE * SIZE)
    return min(100, int(100 * mean_gradient / QUALITY_FULL_GRADIENT))


class GradGridAlgorithm(ImageHashAlgorithm):
    """The gradient-grid hash as a registered algorithm (name ``gradgrid144``, version 1)."""

    name: ClassVar[str] = "gradgrid144"
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
        return HashResult(self.from_bytes(quantise(energies)), quality_of(energies))

    def hash_pixels(self, pixels: RGBPixels) -> HashResult:
        return self._result(resample_luma(pixels))

    def hash_dihedral(self, pixels: RGBPixels) -> Mapping[Dihedral, HashResult]:
        image = resample_luma(pixels)
        return {variant: self._result(variant.apply(image)) for variant in Dihedral}

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

    def distance(self, a: HashValue, b: HashValue) -> int:
        left = np.frombuffer(self.own(a).data, dtype=np.uint8).astype(np.int64)
        right = np.frombuffer(self.own(b).data, dtype=np.uint8).astype(np.int64)
        return math.isqrt(int(((left - right) ** 2).sum()))

    def examples(self) -> Sequence[str]:
        ramp = bytes(range(LENGTH))
        return (self.format(self.from_bytes(ramp)), self.format(self.from_bytes(bytes(LENGTH))))

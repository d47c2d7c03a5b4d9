"""PDQ: Meta's 256-bit perceptual image hash, bit-exact with the reference implementation.

Text form: 64 lowercase hex digits in the reference's order (16-bit word 15
first). Distance: Hamming distance in bits, 0-256. Default match threshold 31
bits (inclusive) and minimum quality 50, as Meta recommends; both are
configurable per instance.

Images smaller than 5 pixels on a side hash to all zeros with quality 0, as in
the reference. A 64x64 input is treated as already downsampled, as the
reference's single-hash path does; the dihedral variants are always derived
from the same DCT as the primary hash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from mediamatch.algorithms import pdq_kernels
from mediamatch.algorithms.base import (
    BitStringAlgorithm,
    Dihedral,
    HashResult,
    HashValue,
    ImageHashAlgorithm,
    RGBPixels,
)
from mediamatch.errors import InvalidHash

Coefficients = npt.NDArray[np.float32]

_ROWS, _COLS = np.indices((pdq_kernels.DCT_SIZE, pdq_kernels.DCT_SIZE))
_ODD_COLS = np.where(_COLS % 2 == 1, 1, -1).astype(np.float32)
_ODD_ROWS = np.where(_ROWS % 2 == 1, 1, -1).astype(np.float32)
_EVEN_SUM = np.where((_ROWS + _COLS) % 2 == 1, -1, 1).astype(np.float32)

# A flip or rotation of the image flips the signs of alternate DCT frequencies and,
# for quarter turns and diagonal flips, transposes the coefficient matrix.
_DIHEDRAL_SIGNS: dict[Dihedral, tuple[npt.NDArray[np.float32] | None, bool]] = {
    Dihedral.ORIGINAL: (None, False),
    Dihedral.ROTATE_90: (_ODD_COLS, True),
    Dihedral.ROTATE_180: (_EVEN_SUM, False),
    Dihedral.ROTATE_270: (_ODD_ROWS, True),
    Dihedral.FLIP_X: (_ODD_ROWS, False),
    Dihedral.FLIP_Y: (_ODD_COLS, False),
    Dihedral.FLIP_PLUS_1: (None, True),
    Dihedral.FLIP_MINUS_1: (_EVEN_SUM, True),
}


def pdq_coefficients(pixels: RGBPixels) -> tuple[Coefficients | None, int]:
    """The 16x16 DCT coefficients and quality of an RGB image; ``None`` below 5 px a side."""
    rows, cols = pixels.shape[0], pixels.shape[1]
    if rows < pdq_kernels.MIN_HASHABLE_DIM or cols < pdq_kernels.MIN_HASHABLE_DIM:
        return None, 0
    grid = pdq_kernels.downsample_64(np.ascontiguousarray(pixels, dtype=np.uint8))
    quality = int(pdq_kernels.quality_metric(grid))
    return pdq_kernels.dct_16x16(grid), quality


def coefficients_to_bytes(coefficients: Coefficients | None) -> bytes:
    """Threshold at the median (the 128th smallest of 256) and pack as the reference's hex order."""
    if coefficients is None:
        return bytes(32)
    median = np.partition(coefficients.ravel(), 127)[127]
    bits = coefficients > median
    return np.packbits(bits[::-1], axis=1, bitorder="little")[:, ::-1].tobytes()


def dihedral_coefficients(coefficients: Coefficients, variant: Dihedral) -> Coefficients:
    """Coefficients of the rotated or reflected image, derived exactly as the reference does."""
    signs, transpose = _DIHEDRAL_SIGNS[variant]
    result = coefficients if signs is None else coefficients * signs
    return np.ascontiguousarray(result.T if transpose else result)


class PdqAlgorithm(BitStringAlgorithm, ImageHashAlgorithm):
    """PDQ as a registered algorithm (name ``pdq``, version 1, 256 bits)."""

    name: ClassVar[str] = "pdq"
    summary: ClassVar[str] = (
        "Meta's 256-bit perceptual hash, bit-exact with the reference: survives resizing, "
        "recompression, colour and small edits; flips and quarter turns through its dihedral variants"
    )
    version: ClassVar[int] = 1
    hash_bits: ClassVar[int] = 256
    default_threshold: ClassVar[int] = 31
    default_min_quality: ClassVar[int] = 50
    has_quality: ClassVar[bool] = True
    has_dihedral: ClassVar[bool] = True
    has_negative: ClassVar[bool] = True

    def __init__(self, *, threshold: int | None = None, min_quality: int | None = None) -> None:
        quality_floor = self.default_min_quality if min_quality is None else min_quality
        if not 0 <= quality_floor <= 100:
            raise InvalidHash(f"PDQ min_quality must be 0-100, got {quality_floor}")
        super().__init__(threshold=threshold, min_quality=quality_floor)

    def hash_pixels(self, pixels: RGBPixels) -> HashResult:
        coefficients, quality = pdq_coefficients(pixels)
        return HashResult(self.from_bytes(coefficients_to_bytes(coefficients)), quality)

    def hash_reduced(self, pixels: RGBPixels, full_size: tuple[int, int]) -> HashResult:
        """PDQ of the full-scale picture estimated from a reduced decode: the reference's filter at
        full scale, applied through ``pdq_kernels.downsample_64_reduced`` (within 4 bits of the
        exact hash on the project's photographs, where hashing the reduced pixels as they are
        drifted up to 34)."""
        width, height = full_size
        rows, cols = pixels.shape[0], pixels.shape[1]
        if (rows, cols) == (height, width) or min(rows, cols) < pdq_kernels.MIN_HASHABLE_DIM:
            return self.hash_pixels(pixels)
        grid = pdq_kernels.downsample_64_reduced(pixels, height, width)
        quality = int(pdq_kernels.quality_metric(grid))
        coefficients = pdq_kernels.dct_16x16(grid)
        return HashResult(self.from_bytes(coefficients_to_bytes(coefficients)), quality)

    def hash_dihedral(self, pixels: RGBPixels) -> Mapping[Dihedral, HashResult]:
        coefficients, quality = pdq_coefficients(pixels)
        results: dict[Dihedral, HashResult] = {}
        for variant in Dihedral:
            turned = None if coefficients is None else dihedral_coefficients(coefficients, variant)
            results[variant] = HashResult(self.from_bytes(coefficients_to_bytes(turned)), quality)
        return results

    def degenerate(self, value: HashValue) -> str | None:
        return degenerate_pdq(self.own(value).data)

    def negative(self, result: HashResult) -> HashResult:
        """The bitwise complement: the negative's luminance is 255 minus the picture's, so every DCT
        coefficient but the DC term changes sign and each lands on the other side of the median
        (up to coefficients equal to it). The quality, a gradient measure, is unchanged."""
        flipped = bytes(byte ^ 0xFF for byte in self.own(result.value).data)
        return HashResult(self.from_bytes(flipped), result.quality)

    def examples(self) -> Sequence[str]:
        return (
            "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
            "30a10efd71cc3d429013d48d0ffffc52e34e0e17ada952a9d29685211ea9e5af",
            "0" * 64,
        )


PDQ_MIN_WEIGHT, PDQ_MAX_WEIGHT = 32, 224
"""A PDQ hash sets the bits of coefficients above their median: about 128 of 256, fewer only where
many coefficients tie (a nearly flat picture). Outside these bounds a value is no picture's hash."""
PDQ_MIN_DISTINCT_BYTES = 4
"""A real hash's 32 bytes take many values; one word repeated (``55...``, ``ff00...``) is made up."""


def degenerate_pdq(data: bytes) -> str | None:
    """Why 32 PDQ bytes would match junk (an all-zero, all-one or repeated-pattern hash), or None."""
    weight = int.from_bytes(data, "big").bit_count()
    if not PDQ_MIN_WEIGHT <= weight <= PDQ_MAX_WEIGHT:
        return f"{weight} of 256 bits set (a picture's PDQ sets about 128)"
    if len(set(data)) < PDQ_MIN_DISTINCT_BYTES:
        return "a short pattern repeated (no picture's PDQ hash)"
    return None

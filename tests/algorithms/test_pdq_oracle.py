"""Property tests: our PDQ against the ``pdqhash`` package (Meta's C++ core) on random images."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediamatch.algorithms import Dihedral, PdqAlgorithm
from mediamatch.algorithms.pdq import pdq_coefficients
from mediamatch.model import RGBPixels

pdqhash = pytest.importorskip("pdqhash", reason="pdqhash (the reference oracle) is a dev extra")

PDQ = PdqAlgorithm()
ORACLE_ORDER = [
    Dihedral.ORIGINAL,
    Dihedral.ROTATE_90,
    Dihedral.ROTATE_180,
    Dihedral.ROTATE_270,
    Dihedral.FLIP_X,
    Dihedral.FLIP_Y,
    Dihedral.FLIP_PLUS_1,
    Dihedral.FLIP_MINUS_1,
]


def oracle_hex(bit_vector: np.ndarray) -> str:
    """pdqhash returns bits most-significant first, in the reference's hex order."""
    return np.packbits(np.asarray(bit_vector, dtype=np.uint8)).tobytes().hex()


def random_image(seed: int, height: int, width: int) -> RGBPixels:
    """Noise, smooth gradients or a mix, so both busy and flat content is covered."""
    rng = np.random.default_rng(seed)
    kind = seed % 3
    if kind == 0:
        return rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    y, x = np.mgrid[0:height, 0:width]
    period = rng.uniform(2, 80, size=2)
    base = 127 + 90 * np.sin(x / period[0])[..., None] * np.cos(y / period[1])[..., None]
    noise = rng.normal(0, 25 if kind == 1 else 2, size=(height, width, 3))
    return np.ascontiguousarray(np.clip(base + noise, 0, 255).astype(np.uint8))


sides = st.integers(min_value=1, max_value=1500)
thin = st.integers(min_value=1, max_value=6)


@st.composite
def image_shapes(draw: st.DrawFn) -> tuple[int, int]:
    kind = draw(st.sampled_from(["any", "small", "wide", "tall"]))
    if kind == "small":
        return draw(st.integers(1, 70)), draw(st.integers(1, 70))
    if kind == "wide":
        return draw(thin), draw(sides)
    if kind == "tall":
        return draw(sides), draw(thin)
    return draw(sides), draw(sides)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=image_shapes(), seed=st.integers(0, 2**32 - 1))
def test_hash_and_quality_equal_the_reference(shape: tuple[int, int], seed: int) -> None:
    pixels = random_image(seed, *shape)
    expected_bits, expected_quality = pdqhash.compute(pixels)
    result = PDQ.hash_pixels(pixels)
    assert PDQ.format(result.value) == oracle_hex(expected_bits)
    assert result.quality == expected_quality


@settings(max_examples=40, deadline=None)
@given(
    shape=st.tuples(st.integers(5, 900), st.integers(5, 900)).filter(lambda s: s != (64, 64)),
    seed=st.integers(0, 2**32 - 1),
)
def test_dct_coefficients_equal_the_reference_floats(shape: tuple[int, int], seed: int) -> None:
    pixels = random_image(seed, *shape)
    expected, _ = pdqhash.compute_float(pixels)
    ours, _ = pdq_coefficients(pixels)
    assert ours is not None
    np.testing.assert_array_equal(ours.ravel()[::-1], np.asarray(expected, dtype=np.float32))


@settings(max_examples=30, deadline=None)
@given(
    shape=st.tuples(st.integers(5, 600), st.integers(5, 600)),
    seed=st.integers(0, 2**32 - 1),
)
def test_dihedral_hashes_equal_the_reference(shape: tuple[int, int], seed: int) -> None:
    pixels = random_image(seed, *shape)
    expected, _ = pdqhash.compute_dihedral(pixels)
    ours = PDQ.hash_dihedral(pixels)
    for variant, bits in zip(ORACLE_ORDER, expected, strict=True):
        assert PDQ.format(ours[variant].value) == oracle_hex(bits), variant


def test_a_64x64_image_is_taken_as_already_downsampled_like_the_reference() -> None:
    pixels = random_image(7, 64, 64)
    expected_bits, expected_quality = pdqhash.compute(pixels)
    result = PDQ.hash_pixels(pixels)
    assert (PDQ.format(result.value), result.quality) == (oracle_hex(expected_bits), expected_quality)


@pytest.mark.parametrize("seed", range(16))
def test_dihedral_hashes_of_a_64x64_image_are_the_references_own(seed: int) -> None:
    """The reference's dihedral function filters a 64x64 input where its single hash takes it as
    already downsampled; the filter's window is then one pixel, so the two agree, and ours,
    derived from the single hash's grid, equals the reference's."""
    pixels = random_image(seed, 64, 64)
    expected, _ = pdqhash.compute_dihedral(pixels)
    ours = PDQ.hash_dihedral(pixels)
    for variant, bits in zip(ORACLE_ORDER, expected, strict=True):
        assert PDQ.format(ours[variant].value) == oracle_hex(bits), variant


def test_large_photo_sized_image_matches() -> None:
    pixels = random_image(1, 3000, 4000)
    expected_bits, expected_quality = pdqhash.compute(pixels)
    result = PDQ.hash_pixels(pixels)
    assert (PDQ.format(result.value), result.quality) == (oracle_hex(expected_bits), expected_quality)

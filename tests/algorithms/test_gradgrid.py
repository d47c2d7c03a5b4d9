"""gradgrid144: contract, golden values, text forms, distance unit, quality gate."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mediamatch.algorithms import Dihedral, GradGridAlgorithm, ImageHashAlgorithm
from mediamatch.errors import InvalidHash
from mediamatch.samples import flat_image, synthetic_photo
from mediamatch.testing import ImageAlgorithmContract

GRAD = GradGridAlgorithm()


class TestGradGridContract(ImageAlgorithmContract):
    @pytest.fixture
    def algorithm(self) -> ImageHashAlgorithm:
        return GradGridAlgorithm()


GOLDEN = {
    0: (
        "OVYxO1g2MDEzOkEVJiBAEiIhQQsnJkQWJ14aTms+LzZHPhg/EAYSEQYKEA0YNxs5RDc4Kks4GzxFLhlHNAQEUCg3BTctVCtQMkJR"
        "DR8lUwoILDINIwcHJ0RBDkNnQDEoMBsuGRAgMBIDVTEhCCcJJik9FVJoICs3MkYXUTc9JEUqUTpLIj5nPTE1YyxkHU8W",
        81,
    ),
    1: (
        "PyUrLDZVK0k9LTwgT0NGNDNFGz49Mj00SyY/LzcxQyM1IjsRK0Q7MzgrTyBEPkotRTlEIBMWHwsIBxAFBwsTBjsTMB0vXzoxUTU1"
        "NxMqOzIOFi4eHBcsMDwbO0AhWyRKLEAnSjo0KFg5Kio5FUMsRTYmJE8wVTNJHz4nOlQyQSU0RSVCNkMpREc4QBw4ODcr",
        100,
    ),
}


@pytest.mark.parametrize(("seed", "expected"), sorted(GOLDEN.items()))
def test_golden_hashes_of_generated_images(seed: int, expected: tuple[str, int]) -> None:
    result = GRAD.hash_pixels(synthetic_photo(seed))
    assert (GRAD.format(result.value), result.quality) == expected


def test_identity_is_pinned() -> None:
    assert (GRAD.name, GRAD.version) == ("gradgrid144", 1)
    assert GRAD.distance_unit.startswith("byte steps")
    assert (GRAD.threshold, GRAD.min_quality) == (GradGridAlgorithm.default_threshold, 20)


def test_base64_is_canonical_and_hex_is_accepted() -> None:
    value = GRAD.hash_pixels(synthetic_photo(4)).value
    text = GRAD.format(value)
    assert len(text) == 192
    assert GRAD.parse(text) == value
    assert GRAD.parse(value.data.hex()) == value
    assert GRAD.parse(value.data.hex().upper()) == value
    with pytest.raises(InvalidHash):
        GRAD.parse(text[:-1] + "!")


def test_distance_is_euclidean_in_byte_steps_rounded_down() -> None:
    zero = GRAD.from_bytes(bytes(144))
    three_fours = GRAD.from_bytes(bytes([3, 4]) + bytes(142))
    almost = GRAD.from_bytes(bytes([1, 1, 1]) + bytes(141))
    assert GRAD.distance(zero, three_fours) == 5
    assert GRAD.distance(zero, almost) == math.isqrt(3) == 1
    assert GRAD.distance(zero, GRAD.from_bytes(bytes([255]) * 144)) == math.isqrt(144 * 255 * 255)


def test_flat_images_are_low_quality_not_matchable() -> None:
    flat = GRAD.hash_pixels(flat_image())
    assert flat.quality == 0
    assert flat.value.data == bytes(144)
    assert not GRAD.is_usable(flat)
    gentle = np.clip(flat_image() + np.random.default_rng(1).normal(0, 1.5, (150, 200, 3)), 0, 255)
    assert not GRAD.is_usable(GRAD.hash_pixels(gentle.astype(np.uint8)))


def test_brightness_and_contrast_do_not_move_the_hash_much() -> None:
    photo = synthetic_photo(8).astype(np.float64)
    base = GRAD.hash_pixels(synthetic_photo(8)).value
    dimmer = GRAD.hash_pixels(np.clip(photo * 0.7 + 20, 0, 255).astype(np.uint8)).value
    assert GRAD.distance(base, dimmer) <= GRAD.threshold // 3


def test_small_images_are_upsampled_not_refused() -> None:
    result = GRAD.hash_pixels(synthetic_photo(3, 40, 30))
    assert len(result.value.data) == 144


def test_dihedral_original_equals_plain_hash_and_variants_differ() -> None:
    variants = GRAD.hash_dihedral(synthetic_photo(6))
    assert variants[Dihedral.ORIGINAL].value == GRAD.hash_pixels(synthetic_photo(6)).value
    assert len({v.value for v in variants.values()}) == 8

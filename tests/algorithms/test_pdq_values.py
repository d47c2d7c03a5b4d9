"""PDQ hash values: golden hashes of generated images, text form, distances, configuration."""

from __future__ import annotations

import numpy as np
import pytest

from mediamatch.algorithms import HashValue, PdqAlgorithm
from mediamatch.errors import InvalidHash, LowQuality
from mediamatch.testing import synthetic_photo

PDQ = PdqAlgorithm()

GOLDEN = {
    0: "b5c835abca547da3bd40769b636cdea3aef4fa8bf1c4400102968e3b9d6b3054",
    1: "21960971e5689f8629e54cdb549e74f0a9f1a2b05153cb5d31e6ab45fea9134e",
    2: "959076f60919b66351d8496b275859332758493516fbff94e2a994b6b4b66b50",
}


@pytest.mark.parametrize(("seed", "expected"), sorted(GOLDEN.items()))
def test_golden_hashes_of_generated_images(seed: int, expected: str) -> None:
    result = PDQ.hash_pixels(synthetic_photo(seed))
    assert PDQ.format(result.value) == expected
    assert result.quality == 100


def test_identity_is_pinned() -> None:
    assert (PDQ.name, PDQ.version, PDQ.hash_bits, PDQ.distance_unit) == ("pdq", 1, 256, "bits")
    assert (PDQ.threshold, PDQ.min_quality) == (31, 50)


def test_text_is_normalised_to_lowercase_hex() -> None:
    text = GOLDEN[0]
    assert PDQ.format(PDQ.parse(text.upper())) == text
    with pytest.raises(InvalidHash):
        PDQ.parse("g" * 64)


def test_distance_counts_differing_bits_and_threshold_is_inclusive() -> None:
    zero = PDQ.parse("0" * 64)
    ones = PDQ.parse("f" * 64)
    thirty_one = PDQ.from_bytes(bytes.fromhex("7fffffff") + bytes(28))
    assert PDQ.distance(zero, ones) == 256
    assert PDQ.distance(zero, thirty_one) == 31
    assert PDQ.is_match(zero, thirty_one)
    assert not PDQ.is_match(zero, thirty_one, threshold=30)


def test_threshold_and_quality_floor_are_configurable() -> None:
    strict = PdqAlgorithm(threshold=10, min_quality=80)
    assert (strict.threshold, strict.min_quality) == (10, 80)
    with pytest.raises(InvalidHash):
        PdqAlgorithm(min_quality=101)


def test_tiny_images_hash_to_zero_with_quality_zero_like_the_reference() -> None:
    result = PDQ.hash_pixels(synthetic_photo(0, 4, 300))
    assert result.value == HashValue("pdq", 1, bytes(32))
    assert result.quality == 0
    assert not PDQ.is_usable(result)


def test_wrong_length_bytes_are_refused() -> None:
    with pytest.raises(InvalidHash):
        PDQ.from_bytes(bytes(31))
    with pytest.raises(InvalidHash):
        HashValue("pdq", 1, "00" * 32)  # type: ignore[arg-type]


def test_require_usable_raises_low_quality_below_the_floor() -> None:
    flat = PDQ.hash_pixels(synthetic_photo(0, 4, 4))
    with pytest.raises(LowQuality):
        PDQ.require_usable(flat)
    good = PDQ.hash_pixels(synthetic_photo(0))
    assert PDQ.require_usable(good) == good.value


def test_the_reduced_scale_operator_is_a_weighted_mean_and_exact_at_full_scale() -> None:
    from mediamatch.algorithms import pdq_kernels
    from mediamatch.samples import detailed_photo

    for full, reduced in [(1280, 320), (1000, 125), (513, 257), (300, 300)]:
        operator = pdq_kernels.reduced_axis_operator(full, reduced)
        assert operator.shape == (pdq_kernels.GRID, reduced)
        assert np.allclose(operator.sum(axis=1), 1.0, atol=1e-5)
        assert (operator >= 0).all()
    picture = detailed_photo(2, 300, 200)
    same = pdq_kernels.downsample_64_reduced(picture, 200, 300)
    assert np.allclose(same, pdq_kernels.downsample_64(picture), atol=1e-3)

"""The contract every hash algorithm passes (image, file, video); plug-in authors run it on theirs.

Usage in a test module::

    from mediamatch.testing import ImageAlgorithmContract

    class TestMyHash(ImageAlgorithmContract):
        @pytest.fixture
        def algorithm(self) -> ImageHashAlgorithm:
            return MyHash()
"""

from __future__ import annotations

import re
from itertools import combinations

import pytest

from mediamatch.algorithms import (
    Dihedral,
    FileHashAlgorithm,
    HashAlgorithm,
    HashValue,
    ImageHashAlgorithm,
    VideoHashAlgorithm,
)
from mediamatch.errors import CapabilityNotSupported, InvalidHash
from mediamatch.media.video import VideoFrame
from mediamatch.samples import SMALL_EDITS, flat_image, synthetic_photo

PHOTO_SEEDS = tuple(range(6))


class AlgorithmContract:
    """What every algorithm guarantees: constant identity, exact text round trip, strict parsing."""

    @pytest.fixture
    def algorithm(self) -> HashAlgorithm:
        raise NotImplementedError("subclasses provide the algorithm under test")

    def test_identity_is_a_stored_constant(self, algorithm: HashAlgorithm) -> None:
        assert re.fullmatch(r"[a-z][a-z0-9_-]*", algorithm.name)
        assert isinstance(algorithm.version, int)
        assert algorithm.version >= 1
        assert algorithm.distance_unit
        assert algorithm.threshold >= 0

    def test_examples_round_trip(self, algorithm: HashAlgorithm) -> None:
        assert algorithm.examples()
        for text in algorithm.examples():
            value = algorithm.parse(text)
            assert algorithm.format(value) == text
            assert algorithm.parse(f"  {text}\n") == value

    @pytest.mark.parametrize("bad", ["", "not a hash", "#"])
    def test_malformed_text_is_refused(self, algorithm: HashAlgorithm, bad: str) -> None:
        with pytest.raises(InvalidHash):
            algorithm.parse(bad)

    def test_truncated_text_is_refused(self, algorithm: HashAlgorithm) -> None:
        with pytest.raises(InvalidHash):
            algorithm.parse(algorithm.examples()[0][:-4])

    def test_value_of_another_algorithm_is_refused(self, algorithm: HashAlgorithm) -> None:
        value = algorithm.parse(algorithm.examples()[0])
        foreign = HashValue(algorithm.name + "-other", value.version, value.data)
        with pytest.raises(InvalidHash):
            algorithm.distance(value, foreign)


class ImageAlgorithmContract(AlgorithmContract):
    """Image algorithms also: determinism, distances, robustness, separation, quality, dihedral variants."""

    @pytest.fixture
    def algorithm(self) -> ImageHashAlgorithm:
        raise NotImplementedError("subclasses provide the algorithm under test")

    def test_computed_hashes_round_trip_and_are_deterministic(self, algorithm: ImageHashAlgorithm) -> None:
        for seed in PHOTO_SEEDS:
            pixels = synthetic_photo(seed)
            result = algorithm.hash_pixels(pixels)
            assert result.value == algorithm.hash_pixels(pixels.copy()).value
            assert algorithm.parse(algorithm.format(result.value)) == result.value

    def test_distance_is_zero_to_self_and_symmetric(self, algorithm: ImageHashAlgorithm) -> None:
        first = algorithm.hash_pixels(synthetic_photo(1)).value
        second = algorithm.hash_pixels(synthetic_photo(2)).value
        assert algorithm.distance(first, first) == 0
        assert algorithm.distance(first, second) == algorithm.distance(second, first) > 0

    @pytest.mark.parametrize("edit_name", sorted(SMALL_EDITS))
    def test_small_edits_stay_within_threshold(self, algorithm: ImageHashAlgorithm, edit_name: str) -> None:
        edit = SMALL_EDITS[edit_name]
        for seed in PHOTO_SEEDS:
            original = synthetic_photo(seed)
            before = algorithm.hash_pixels(original).value
            after = algorithm.hash_pixels(edit(original)).value
            assert algorithm.is_match(before, after), (seed, algorithm.distance(before, after))

    def test_different_images_stay_beyond_threshold(self, algorithm: ImageHashAlgorithm) -> None:
        values = [algorithm.hash_pixels(synthetic_photo(seed)).value for seed in PHOTO_SEEDS]
        for first, second in combinations(values, 2):
            assert not algorithm.is_match(first, second), algorithm.distance(first, second)

    def test_quality_separates_flat_from_textured(self, algorithm: ImageHashAlgorithm) -> None:
        if not algorithm.has_quality:
            assert algorithm.hash_pixels(synthetic_photo(0)).quality is None
            return
        flat = algorithm.hash_pixels(flat_image())
        textured = algorithm.hash_pixels(synthetic_photo(0))
        assert flat.quality is not None
        assert textured.quality is not None
        assert 0 <= flat.quality < algorithm.min_quality <= textured.quality <= 100
        assert not algorithm.is_usable(flat)
        assert algorithm.is_usable(textured)

    def test_dihedral_variants_match_transformed_images(self, algorithm: ImageHashAlgorithm) -> None:
        pixels = synthetic_photo(3)
        if not algorithm.has_dihedral:
            with pytest.raises(CapabilityNotSupported):
                algorithm.hash_dihedral(pixels)
            return
        variants = algorithm.hash_dihedral(pixels)
        assert set(variants) == set(Dihedral)
        assert variants[Dihedral.ORIGINAL].value == algorithm.hash_pixels(pixels).value
        for variant, result in variants.items():
            direct = algorithm.hash_pixels(variant.apply(pixels)).value
            assert algorithm.is_match(result.value, direct), variant


class FileAlgorithmContract(AlgorithmContract):
    """File algorithms also: byte-exact digests, streaming equals one shot, exact-match distance."""

    @pytest.fixture
    def algorithm(self) -> FileHashAlgorithm:
        raise NotImplementedError("subclasses provide the algorithm under test")

    def test_streaming_equals_hashing_all_bytes(self, algorithm: FileHashAlgorithm) -> None:
        data = bytes(range(256)) * 1000
        chunks = [data[i : i + 4096] for i in range(0, len(data), 4096)]
        assert algorithm.hash_chunks(chunks).value == algorithm.hash_bytes(data).value

    def test_distance_is_zero_only_for_identical_bytes(self, algorithm: FileHashAlgorithm) -> None:
        first, second = algorithm.hash_bytes(b"a").value, algorithm.hash_bytes(b"b").value
        assert algorithm.distance(first, first) == 0
        assert algorithm.distance(first, second) == 1
        assert algorithm.is_match(first, first)
        assert not algorithm.is_match(first, second)


def panning_frames(seed: int, count: int = 12, fps: float = 4.0) -> list[VideoFrame]:
    """Frames of a camera panning across a synthetic photo, ``fps`` apart in time."""
    photo = synthetic_photo(seed)
    width = photo.shape[1] * 2 // 3
    return [
        VideoFrame(index, index / fps, photo[:, index * 4 : index * 4 + width].copy())
        for index in range(count)
    ]


class VideoAlgorithmContract(AlgorithmContract):
    """Video algorithms also: determinism, self distance 0, symmetry, edits near, other videos far."""

    @pytest.fixture
    def algorithm(self) -> VideoHashAlgorithm:
        raise NotImplementedError("subclasses provide the algorithm under test")

    def test_computed_hashes_round_trip_and_are_deterministic(self, algorithm: VideoHashAlgorithm) -> None:
        result = algorithm.hash_frames(panning_frames(0))
        assert result.value == algorithm.hash_frames(panning_frames(0)).value
        assert algorithm.parse(algorithm.format(result.value)) == result.value

    def test_distance_is_zero_to_self_and_symmetric(self, algorithm: VideoHashAlgorithm) -> None:
        first = algorithm.hash_frames(panning_frames(1)).value
        second = algorithm.hash_frames(panning_frames(2)).value
        assert algorithm.distance(first, first) == 0
        assert algorithm.distance(first, second) == algorithm.distance(second, first) > 0

    @pytest.mark.parametrize("edit_name", sorted(SMALL_EDITS))
    def test_small_edits_stay_within_threshold(self, algorithm: VideoHashAlgorithm, edit_name: str) -> None:
        edit = SMALL_EDITS[edit_name]
        frames = panning_frames(3)
        edited = [VideoFrame(f.number, f.timestamp, edit(f.pixels)) for f in frames]
        before, after = algorithm.hash_frames(frames).value, algorithm.hash_frames(edited).value
        assert algorithm.is_match(before, after), algorithm.distance(before, after)

    def test_different_videos_stay_beyond_threshold(self, algorithm: VideoHashAlgorithm) -> None:
        values = [algorithm.hash_frames(panning_frames(seed)).value for seed in PHOTO_SEEDS]
        for first, second in combinations(values, 2):
            assert not algorithm.is_match(first, second), algorithm.distance(first, second)

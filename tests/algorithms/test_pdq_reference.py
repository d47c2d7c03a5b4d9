"""PDQ against Meta's published test images and expected hashes."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from mediamatch.algorithms import Dihedral, PdqAlgorithm
from mediamatch.media import DecodeOptions, decode_image

PDQ = PdqAlgorithm()
NO_EXIF = DecodeOptions(apply_exif_orientation=False)


def expected_rows(reference_dir: Path) -> list[dict[str, str]]:
    with (reference_dir / "pdq-expected.csv").open() as handle:
        return list(csv.DictReader(handle))


def test_every_reference_image_hashes_bit_exact(reference_dir: Path) -> None:
    rows = expected_rows(reference_dir)
    assert len(rows) == 49
    mismatches = []
    for row in rows:
        image = decode_image(reference_dir / row["path"], NO_EXIF)
        result = PDQ.hash_pixels(image.pixels)
        assert image.source_size == (int(row["width"]), int(row["height"]))
        if PDQ.format(result.value) != row["pdq_hex"] or result.quality != int(row["quality"]):
            mismatches.append((row["path"], PDQ.format(result.value), result.quality))
    assert mismatches == []


@pytest.mark.parametrize(
    ("file_name", "variant"),
    [
        ("bridge-2-rotate-90.jpg", Dihedral.ROTATE_90),
        ("bridge-3-rotate-180.jpg", Dihedral.ROTATE_180),
        ("bridge-4-rotate-270.jpg", Dihedral.ROTATE_270),
        ("bridge-5-flipx.jpg", Dihedral.FLIP_X),
        ("bridge-6-flipy.jpg", Dihedral.FLIP_Y),
        ("bridge-7-flip-plus-1.jpg", Dihedral.FLIP_PLUS_1),
        ("bridge-8-flip-minus-1.jpg", Dihedral.FLIP_MINUS_1),
    ],
)
def test_dihedral_variant_matches_the_transformed_reference_image(
    reference_dir: Path, file_name: str, variant: Dihedral
) -> None:
    folder = reference_dir / "pdq-images" / "reg-test-input" / "dih"
    original = decode_image(folder / "bridge-1-original.jpg", NO_EXIF).pixels
    transformed = PDQ.hash_pixels(decode_image(folder / file_name, NO_EXIF).pixels).value
    variants = PDQ.hash_dihedral(original)
    closest = min(variants, key=lambda v: PDQ.distance(variants[v].value, transformed))
    assert closest is variant
    assert PDQ.distance(variants[variant].value, transformed) <= 10


@pytest.mark.parametrize(
    ("orientation", "variant"),
    [(1, Dihedral.ORIGINAL), (3, Dihedral.ROTATE_180), (6, Dihedral.ROTATE_270), (8, Dihedral.ROTATE_90)],
)
def test_exif_orientation_is_applied_by_default_and_can_be_switched_off(
    reference_dir: Path, orientation: int, variant: Dihedral
) -> None:
    path = reference_dir / "pdq-images" / "reg-test-input" / "exif-rotn" / f"exif-rotn-{orientation}.jpg"
    stored = decode_image(path, NO_EXIF).pixels
    upright = decode_image(path).pixels
    assert np.array_equal(upright, variant.apply(stored))

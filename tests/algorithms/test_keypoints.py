"""Local features: what a bank picture stores, and what ``verify`` finds between two pictures."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from mediamatch.algorithms.keypoints import (
    BANK_KEYPOINTS,
    ENTRY_BYTES,
    Keypoints,
    View,
    bank_keypoints,
    grey_copy,
    query_keypoints,
    verify,
)
from mediamatch.errors import InvalidHash
from mediamatch.model import RGBPixels
from mediamatch.samples import detailed_photo, flat_image

PHOTO = detailed_photo(5, 640, 480)


def jpeg(pixels: RGBPixels, quality: int = 60) -> RGBPixels:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


def turned(pixels: RGBPixels, degrees: float) -> RGBPixels:
    return np.asarray(Image.fromarray(pixels).rotate(degrees, Image.Resampling.BILINEAR, expand=True))


def test_a_bank_record_round_trips_within_its_stated_size() -> None:
    stored = bank_keypoints(PHOTO)
    assert len(stored) == BANK_KEYPOINTS
    data = stored.to_bytes()
    assert len(data) <= ENTRY_BYTES
    back = Keypoints.from_bytes(data)
    assert np.array_equal(back.descriptors, stored.descriptors)
    assert np.abs(back.xy - stored.xy).max() <= 1 / 65_535
    assert back.size == stored.size
    assert Keypoints.from_bytes(back.to_bytes()).to_bytes() == data


@pytest.mark.parametrize("data", [b"", b"\x01", b"\x02\x00\x00\x10", b"\x01\x02\x00\x10" + bytes(36)])
def test_anything_else_is_refused_as_a_keypoint_record(data: bytes) -> None:
    with pytest.raises(InvalidHash):
        Keypoints.from_bytes(data)


def test_a_flat_or_periodic_picture_keeps_no_keypoints_to_verify_with() -> None:
    assert len(bank_keypoints(flat_image(90, 400, 300))) == 0
    squares = np.indices((480, 640)).sum(axis=0) // 1 % 2 == 0  # a fine checkerboard
    board = np.kron(squares[:48, :64], np.ones((10, 10), bool))
    periodic = np.repeat(np.where(board, 230, 20).astype(np.uint8)[:, :, None], 3, axis=2)
    assert len(bank_keypoints(np.ascontiguousarray(periodic))) < 24


@pytest.mark.parametrize(
    ("edit", "view"),
    [
        (lambda p: jpeg(p, 30), View.PLAIN),
        (lambda p: turned(p, 7), View.PLAIN),
        (lambda p: np.ascontiguousarray(p[::2, ::2]), View.PLAIN),
        (lambda p: np.ascontiguousarray(p[:, ::-1]), View.MIRRORED),
        (lambda p: np.ascontiguousarray(255 - p), View.NEGATIVE),
    ],
    ids=["jpeg", "turned", "halved", "mirrored", "negative"],
)
def test_an_edited_copy_shows_most_of_the_bank_pictures_keypoints(edit: object, view: View) -> None:
    query = grey_copy(edit(PHOTO), enlarge=True)  # type: ignore[operator]
    found = verify(bank_keypoints(PHOTO), query_keypoints(query, view))
    assert found.plausible
    assert found.inliers >= 0.3 * found.visible
    assert found.inliers >= 20
    assert found.cover >= 0.8


def test_an_unrelated_picture_shows_almost_none_and_a_sibling_only_the_shared_layout() -> None:
    stored = bank_keypoints(PHOTO)
    for view in View:
        assert verify(stored, query_keypoints(grey_copy(detailed_photo(6, 640, 480)), view)).inliers < 8
    sibling = verify(stored, query_keypoints(grey_copy(detailed_photo(5, 640, 480, detail=99))))
    assert sibling.cover < 0.5  # the large shapes they share lie in a few cells only

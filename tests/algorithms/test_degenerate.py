"""Degenerate hashes: values that would match unrelated content are named, and no picture's are."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from mediamatch.algorithms import default_registry
from mediamatch.samples import detailed_photo, synthetic_photo

REGISTRY = default_registry()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("pdq:" + "0" * 64, "0 of 256 bits set"),
        ("pdq:" + "f" * 64, "256 of 256 bits set"),
        ("pdq:" + "55" * 32, "a short pattern repeated"),
        ("pdq:" + "ff00" * 16, "a short pattern repeated"),
        ("pdq:" + "8000000000000000" * 4, "4 of 256 bits set"),
        ("gradgrid144:" + "00" * 144, "every byte the same"),
        ("gradgrid144:" + "7f" * 144, "every byte the same"),
        ("md5:" + hashlib.md5(b"").hexdigest(), "the digest of an empty file"),
        ("sha1:" + hashlib.sha1(b"").hexdigest(), "the digest of an empty file"),
        ("sha256:" + hashlib.sha256(b"").hexdigest(), "the digest of an empty file"),
        (
            "vpdq:" + ";".join(f"{n},100,{'0' * 64},{n}.000" for n in range(3)),
            "every frame's PDQ is degenerate",
        ),
    ],
)
def test_made_up_and_empty_hashes_are_degenerate(text: str, reason: str) -> None:
    value = REGISTRY.parse(text)
    found = REGISTRY.get(value.algorithm).degenerate(value)
    assert found is not None
    assert reason in found


def _patterns() -> list[np.ndarray]:
    """Pictures with little structure, which are hard cases but real pictures all the same."""
    y, x = np.mgrid[0:240, 0:320]
    planes = [x * 255 // 320, y * 255 // 240, ((x // 20) % 2) * 255, (((x // 20) + (y // 20)) % 2) * 255]
    return [np.ascontiguousarray(np.dstack([p] * 3).astype(np.uint8)) for p in planes]


def test_no_pictures_hash_is_degenerate() -> None:
    pictures = [synthetic_photo(seed) for seed in range(20)] + [detailed_photo(seed) for seed in range(5)]
    for picture in pictures + _patterns():
        for name in ("pdq", "gradgrid144"):
            algorithm = REGISTRY.get(name)
            result = algorithm.hash_pixels(picture)  # type: ignore[attr-defined]
            assert algorithm.degenerate(result.value) is None, name
    md5 = REGISTRY.get("md5")
    assert md5.degenerate(md5.hash_bytes(b"\x00").value) is None  # type: ignore[attr-defined]
    one_good_frame = ";".join(
        [
            f"0,100,{'0' * 64},0.000",
            f"1,100,{REGISTRY.get('pdq').format(REGISTRY.get('pdq').hash_pixels(synthetic_photo(1)).value)},1.000",
        ]  # type: ignore[attr-defined]
    )
    value = REGISTRY.parse("vpdq:" + one_good_frame)
    assert REGISTRY.get("vpdq").degenerate(value) is None

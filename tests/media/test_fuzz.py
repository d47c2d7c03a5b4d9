"""Hostile input: mutated and truncated files either decode or raise a typed media error."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediamatch.errors import MediaError
from mediamatch.media import DecodeOptions, decode_image
from mediamatch.samples import encode, synthetic_photo

PHOTO = synthetic_photo(21, 96, 72)
SEEDS = {
    fmt: encode(PHOTO, fmt, **params)
    for fmt, params in [
        ("JPEG", {"quality": 80}),
        ("PNG", {}),
        ("GIF", {}),
        ("BMP", {}),
        ("TIFF", {}),
        ("WEBP", {"quality": 80}),
        ("HEIF", {"quality": 60}),
    ]
}
LIMITS = DecodeOptions(max_pixels=4_000_000)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 12))):
        position = draw(st.integers(0, len(data) - 1))
        data[position] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(1, len(data)))]
    return bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated())
def test_mutated_files_decode_or_raise_a_media_error(data: bytes) -> None:
    try:
        decoded = decode_image(data, LIMITS)
    except MediaError:
        return
    assert decoded.pixels.dtype == np.uint8
    assert decoded.pixels.ndim == 3
    assert decoded.pixels.shape[2] == 3


@pytest.mark.parametrize("fmt", sorted(SEEDS))
def test_every_prefix_length_is_handled(fmt: str) -> None:
    data = SEEDS[fmt]
    for cut in range(0, len(data), max(1, len(data) // 60)):
        with contextlib.suppress(MediaError):
            decode_image(data[:cut], LIMITS)

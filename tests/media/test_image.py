"""Decoding: formats by magic bytes, modes, orientation, limits and hostile input."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediamatch.algorithms import Dihedral, PdqAlgorithm
from mediamatch.errors import CorruptMedia, ImageTooLarge, UnsupportedMedia
from mediamatch.media import DecodeOptions, MediaType, decode_image
from mediamatch.testing import encode, synthetic_photo

PHOTO = synthetic_photo(11, 240, 180)
PDQ = PdqAlgorithm()
LOSSLESS = {"PNG": MediaType.PNG, "BMP": MediaType.BMP, "TIFF": MediaType.TIFF}


def pdq_distance(a: np.ndarray, b: np.ndarray) -> int:
    return PDQ.distance(PDQ.hash_pixels(a).value, PDQ.hash_pixels(b).value)


@pytest.mark.parametrize(("pil_format", "media_type"), sorted(LOSSLESS.items()))
def test_lossless_formats_decode_to_the_exact_pixels(pil_format: str, media_type: MediaType) -> None:
    decoded = decode_image(encode(PHOTO, pil_format))
    assert decoded.media_type is media_type
    assert decoded.source_size == (240, 180)
    assert decoded.pixels.flags.c_contiguous
    assert decoded.pixels.dtype == np.uint8
    assert np.array_equal(decoded.pixels, PHOTO)


@pytest.mark.parametrize(
    ("pil_format", "media_type", "params"),
    [
        ("JPEG", MediaType.JPEG, {"quality": 90}),
        ("WEBP", MediaType.WEBP, {"quality": 90}),
        ("HEIF", MediaType.HEIF, {"quality": 90}),
        ("GIF", MediaType.GIF, {}),
    ],
)
def test_lossy_and_palette_formats_decode_close_to_the_original(
    pil_format: str, media_type: MediaType, params: dict[str, object]
) -> None:
    decoded = decode_image(encode(PHOTO, pil_format, **params))
    assert decoded.media_type is media_type
    assert decoded.pixels.shape == PHOTO.shape
    assert pdq_distance(decoded.pixels, PHOTO) <= 20


def test_gif_uses_the_first_frame() -> None:
    frames = [Image.fromarray(synthetic_photo(seed, 120, 90)) for seed in (1, 2)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    decoded = decode_image(buffer.getvalue()).pixels
    first = np.asarray(frames[0].convert("P").convert("RGB"))
    assert pdq_distance(decoded, first) <= pdq_distance(decoded, synthetic_photo(2, 120, 90))
    assert pdq_distance(decoded, synthetic_photo(1, 120, 90)) <= 24


def test_type_comes_from_magic_bytes_not_the_name(tmp_path: Path) -> None:
    disguised = tmp_path / "holiday.txt"
    disguised.write_bytes(encode(PHOTO, "PNG"))
    assert decode_image(disguised).media_type is MediaType.PNG
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(b"just some text, not an image at all")
    with pytest.raises(UnsupportedMedia):
        decode_image(fake)


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "P", "PA", "CMYK", "1", "I", "F", "YCbCr"])
def test_every_pillow_mode_becomes_rgb(mode: str) -> None:
    image = Image.fromarray(PHOTO).convert(mode)
    save_as = {"F": "TIFF", "CMYK": "TIFF", "YCbCr": "JPEG", "PA": "WEBP", "I": "TIFF"}.get(mode, "PNG")
    decoded = decode_image(_save(image, save_as))
    assert decoded.pixels.shape == (180, 240, 3)
    assert pdq_distance(decoded.pixels, PHOTO) <= 40


def _save(image: Image.Image, pil_format: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, pil_format)
    return buffer.getvalue()


def test_sixteen_bit_greyscale_is_scaled_not_clipped() -> None:
    grey = np.asarray(Image.fromarray(PHOTO).convert("L")).astype(np.uint16) * 257
    decoded = decode_image(_save(Image.fromarray(grey), "PNG")).pixels
    assert np.array_equal(decoded[:, :, 0], (grey >> 8).astype(np.uint8))
    assert np.array_equal(decoded[:, :, 0], decoded[:, :, 2])


def test_byte_limit_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(encode(PHOTO, "PNG"))
    with pytest.raises(ImageTooLarge):
        decode_image(path, DecodeOptions(max_bytes=100))
    with pytest.raises(ImageTooLarge):
        decode_image(path.read_bytes(), DecodeOptions(max_bytes=100))


def _png_claiming(width: int, height: int, payload: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", payload) + chunk(b"IEND", b"")


def test_pixel_limit_is_checked_from_the_header_before_decoding() -> None:
    bomb = _png_claiming(60_000, 60_000, zlib.compress(b"\x00" * 1000))
    with pytest.raises(ImageTooLarge):
        decode_image(bomb)
    with pytest.raises(ImageTooLarge):
        decode_image(encode(PHOTO, "PNG"), DecodeOptions(max_pixels=1000))


def test_decompression_bomb_under_pillows_limit_but_over_ours_is_refused() -> None:
    bomb = _png_claiming(12_000, 10_000, zlib.compress(b"\x00" * 1000))
    with pytest.raises(ImageTooLarge):
        decode_image(bomb)


@pytest.mark.parametrize("pil_format", ["JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP"])
def test_truncated_files_are_corrupt_not_crashes(pil_format: str) -> None:
    data = encode(PHOTO, pil_format)
    for cut in (len(data) // 2, 40):
        with pytest.raises((CorruptMedia, UnsupportedMedia)):
            decode_image(data[:cut])


def test_empty_and_garbage_input_get_typed_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(CorruptMedia):
        decode_image(empty)
    with pytest.raises(UnsupportedMedia):
        decode_image(b"%PDF-1.4 not an image")
    with pytest.raises(CorruptMedia):
        decode_image(b"\xff\xd8\xff" + bytes(range(256)) * 4)


def test_fast_decode_of_a_large_jpeg_uses_dct_scaling() -> None:
    large = np.ascontiguousarray(np.repeat(np.repeat(synthetic_photo(5, 400, 300), 8, 0), 8, 1))
    data = encode(large, "JPEG", quality=92)
    fast = decode_image(data, DecodeOptions(reduce_to=256))
    assert fast.source_size == (3200, 2400)
    assert fast.pixels.shape == (300, 400, 3)
    assert pdq_distance(fast.pixels, decode_image(data).pixels) <= 10


@pytest.mark.parametrize(
    ("orientation", "variant"),
    [
        (1, Dihedral.ORIGINAL),
        (2, Dihedral.FLIP_Y),
        (3, Dihedral.ROTATE_180),
        (4, Dihedral.FLIP_X),
        (5, Dihedral.FLIP_PLUS_1),
        (6, Dihedral.ROTATE_270),
        (7, Dihedral.FLIP_MINUS_1),
        (8, Dihedral.ROTATE_90),
    ],
)
def test_all_eight_exif_orientations(orientation: int, variant: Dihedral) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(PHOTO, "PNG", exif=exif.tobytes())
    assert np.array_equal(decode_image(data).pixels, variant.apply(PHOTO))
    assert np.array_equal(decode_image(data, DecodeOptions(apply_exif_orientation=False)).pixels, PHOTO)

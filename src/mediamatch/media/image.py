"""Decoding images from hostile input into normalised RGB arrays.

Guarantees to callers of ``decode_image``:

* the type is sniffed from magic bytes and only that format's decoder runs;
* the byte limit is checked before the data is read (for paths) or parsed, and
  the pixel limit is checked from the header before the pixels are decoded;
* every failure is one of ``UnsupportedMedia``, ``CorruptMedia`` or
  ``ImageTooLarge``; nothing else escapes for bad input;
* the result is a C-contiguous ``(height, width, 3)`` uint8 RGB array. Modes are
  converted as Meta's PDQ test images expect (Pillow's RGB conversion, alpha
  dropped); 16-bit and 32-bit greyscale are scaled to 8 bits rather than clipped;
* EXIF orientation is applied unless switched off.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import ExifTags, Image, UnidentifiedImageError

from mediamatch.errors import CorruptMedia, ImageTooLarge, UnsupportedMedia
from mediamatch.media.budget import DecodeBudget, decoding_cost
from mediamatch.media.sniff import SNIFF_BYTES, MediaType, sniff
from mediamatch.model import RGBPixels

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_PIXELS = 100_000_000

pillow_heif.register_heif_opener()

# Header parsing (open, EXIF) warns through the global warnings filters, for example
# Pillow's decompression-bomb check, whose limit we apply ourselves. Those steps are
# cheap, so they run with warnings silenced under one lock (the filters are global).
# The full decode runs unlocked; a warning escalated to an error there is corruption.
_HEADER_LOCK = threading.Lock()
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, TypeError, Warning)
_ORIENTATION_TRANSPOSES = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N"})

Source = bytes | str | os.PathLike[str]


@dataclass(frozen=True, slots=True)
class DecodeOptions:
    """Limits and choices for one decode.

    ``budget``: when set, the picture's decoding cost (``budget.decoding_cost``) is reserved
    in it from the header until its RGB array is made (``decode_image``) or until the block
    that uses the pixels ends (``decoding``); see ``media.budget``.

    ``reduce_to``: when set, JPEGs are decoded at a reduced scale (DCT-domain
    scaling by 1/2, 1/4 or 1/8) whose shorter side stays at least this many pixels.
    Other formats are shrunk by an integer box factor after decoding, and only while
    the shorter side stays at least twice ``reduce_to``: their decode dominates the
    cost, so a gentler shrink loses little speed and keeps hashes closer to exact.
    Used by fast hashing modes; exact modes leave it unset.
    """

    max_bytes: int = DEFAULT_MAX_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS
    apply_exif_orientation: bool = True
    reduce_to: int | None = None
    budget: DecodeBudget | None = None


@dataclass(frozen=True, slots=True)
class DecodedImage:
    """Decoded pixels plus what the header said: type and full-resolution size (width, height)."""

    pixels: RGBPixels
    media_type: MediaType
    source_size: tuple[int, int]
    full_size: tuple[int, int] | None = None
    """(width, height) the pixels would have at full scale, oriented as they are; set only when
    they were decoded at reduced scale (``DecodeOptions.reduce_to``)."""

    @property
    def reduced(self) -> bool:
        return self.full_size is not None and self.full_size != (self.pixels.shape[1], self.pixels.shape[0])


def read_limited(source: Source, max_bytes: int) -> bytes:
    """The bytes of ``source``, refusing anything over ``max_bytes`` before reading it."""
    if isinstance(source, bytes):
        data = source
    else:
        path = Path(source)
        if path.stat().st_size > max_bytes:
            raise ImageTooLarge(f"{path.stat().st_size} bytes exceeds the limit of {max_bytes}")
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageTooLarge(f"{len(data)} bytes exceeds the limit of {max_bytes}")
    return data


@contextlib.contextmanager
def _quiet_header_work() -> Iterator[None]:
    with _HEADER_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _open(data: bytes, media_type: MediaType) -> Image.Image:
    try:
        with _quiet_header_work():
            return Image.open(io.BytesIO(data), formats=[media_type.value])
    except Image.DecompressionBombError as error:
        raise ImageTooLarge(str(error)) from None
    except UnidentifiedImageError:
        raise CorruptMedia(f"not a readable {media_type.value} file") from None
    except _DECODE_ERRORS as error:
        raise CorruptMedia(f"cannot read {media_type.value} header: {error}") from None


def _check_size(image: Image.Image, options: DecodeOptions) -> None:
    width, height = image.size
    if width <= 0 or height <= 0:
        raise CorruptMedia(f"image has no pixels ({width}x{height})")
    if width * height > options.max_pixels:
        raise ImageTooLarge(f"{width}x{height} pixels exceeds the limit of {options.max_pixels}")


def _load(image: Image.Image, options: DecodeOptions) -> Image.Image:
    if options.reduce_to is not None and image.format == "JPEG":
        image.draft(None, (options.reduce_to, options.reduce_to))
    try:
        image.load()
    except _DECODE_ERRORS as error:
        raise CorruptMedia(f"cannot decode {image.format}: {error}") from None
    return image


def _orient(image: Image.Image, options: DecodeOptions) -> Image.Image:
    if not options.apply_exif_orientation:
        return image
    try:
        with _quiet_header_work():
            orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    except _DECODE_ERRORS:
        return image  # a damaged EXIF block is no reason to refuse the pixels
    method = _ORIENTATION_TRANSPOSES.get(orientation)
    return image if method is None else image.transpose(method)


def _greyscale_to_rgb(image: Image.Image) -> RGBPixels:
    values = np.asarray(image)
    if image.mode in _SIXTEEN_BIT_MODES or (image.mode == "I" and values.max(initial=0) > 255):
        values = values.astype(np.uint32) >> 8
    grey = np.clip(values, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))


def to_rgb_array(image: Image.Image) -> RGBPixels:
    """Convert any Pillow mode to a C-contiguous RGB uint8 array."""
    if image.mode in _SIXTEEN_BIT_MODES or image.mode in ("I", "F"):
        return _greyscale_to_rgb(image)
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    return np.ascontiguousarray(np.asarray(rgb), dtype=np.uint8)


def _shrink(pixels: RGBPixels, media_type: MediaType, reduce_to: int | None) -> RGBPixels:
    if reduce_to is None or media_type is MediaType.JPEG:
        return pixels
    factor = min(pixels.shape[0], pixels.shape[1]) // (2 * reduce_to)
    if factor < 2:
        return pixels
    reduced = Image.fromarray(pixels).reduce(factor)
    return np.ascontiguousarray(np.asarray(reduced), dtype=np.uint8)


def decode_image(source: Source, options: DecodeOptions | None = None) -> DecodedImage:
    """Decode ``source`` (bytes or a path) to RGB pixels within ``options``' limits."""
    with decoding(source, options) as image:
        return image


@contextlib.contextmanager
def decoding(source: Source, options: DecodeOptions | None = None) -> Iterator[DecodedImage]:
    """``decode_image`` for a ``with`` block: the picture's share of ``options.budget`` is held
    until the block ends, so that the work done with its pixels (hashing) counts too."""
    options = options or DecodeOptions()
    data = read_limited(source, options.max_bytes)
    if not data:
        raise CorruptMedia("empty input (0 bytes)")
    media_type = sniff(data[:SNIFF_BYTES])
    if media_type is None:
        raise UnsupportedMedia("not a supported image type (JPEG, PNG, GIF, BMP, TIFF, WebP, HEIF)")
    if media_type.is_video:
        raise UnsupportedMedia(
            f"a video ({media_type.value}), not an image: hash it with a video algorithm (vpdq)"
        )
    image = _open(data, media_type)
    _check_size(image, options)
    source_size = image.size
    with _reserved(image, options):
        loaded = _load(image, options)
        decoded_size = loaded.size
        image = _orient(loaded, options)
        turned = image.size != decoded_size  # a quarter turn by EXIF orientation swaps the sides
        try:
            pixels = to_rgb_array(image)
        except _DECODE_ERRORS as error:
            raise CorruptMedia(f"cannot convert {image.mode} pixels: {error}") from None
        finally:
            image.close()
        full_size = (source_size[1], source_size[0]) if turned else source_size
        pixels = _shrink(pixels, media_type, options.reduce_to)
        reduced = options.reduce_to is not None and full_size != (pixels.shape[1], pixels.shape[0])
        yield DecodedImage(pixels, media_type, source_size, full_size if reduced else None)


def _reserved(image: Image.Image, options: DecodeOptions) -> contextlib.AbstractContextManager[None]:
    if options.budget is None:
        return contextlib.nullcontext()
    return options.budget.reserve(decoding_cost(image.width, image.height, image.mode))

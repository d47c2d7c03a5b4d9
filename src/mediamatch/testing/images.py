"""Deterministic generated images and edits, so tests never need committed media.

``synthetic_photo`` builds a photo-like picture (smooth colour fields, shapes,
sensor-like noise) from a seed; different seeds give unrelated images.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance

from mediamatch.model import RGBPixels

Edit = Callable[[RGBPixels], RGBPixels]


def _smooth_field(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    field = np.zeros((height, width, 3))
    for _ in range(6):
        fx, fy = rng.uniform(0.3, 5.0, size=2)
        phase = rng.uniform(0, 2 * np.pi)
        colour = rng.uniform(-60, 60, size=3)
        field += np.sin(2 * np.pi * (fx * x + fy * y) + phase)[:, :, None] * colour
    return field + rng.uniform(60, 190, size=3)


def _draw_shapes(image: Image.Image, rng: np.random.Generator) -> None:
    draw = ImageDraw.Draw(image)
    width, height = image.size
    for _ in range(10):
        x0, x1 = sorted(rng.integers(0, width, size=2).tolist())
        y0, y1 = sorted(rng.integers(0, height, size=2).tolist())
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x0, y0, x1 + 2, y1 + 2), fill=colour)


def synthetic_photo(seed: int, width: int = 320, height: int = 240) -> RGBPixels:
    """A photo-like RGB image, identical for identical arguments."""
    rng = np.random.default_rng(seed)
    field = np.clip(_smooth_field(rng, height, width), 0, 255).astype(np.uint8)
    image = Image.fromarray(field)
    _draw_shapes(image, rng)
    noisy = np.asarray(image).astype(np.float64) + rng.normal(0, 4, size=(height, width, 3))
    return np.ascontiguousarray(np.clip(noisy, 0, 255).astype(np.uint8))


def flat_image(value: int = 128, width: int = 200, height: int = 150) -> RGBPixels:
    """A uniform grey image: no structure, so quality-aware hashes must call it low quality."""
    return np.full((height, width, 3), value, dtype=np.uint8)


def encode(pixels: RGBPixels, format: str = "PNG", **params: object) -> bytes:
    """Encode pixels with Pillow (``format`` as Pillow names it)."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=format, **params)
    return buffer.getvalue()


def jpeg_recompress(quality: int) -> Edit:
    def edit(pixels: RGBPixels) -> RGBPixels:
        with Image.open(io.BytesIO(encode(pixels, "JPEG", quality=quality))) as image:
            return np.ascontiguousarray(np.asarray(image.convert("RGB")))

    return edit


def resize(scale: float) -> Edit:
    def edit(pixels: RGBPixels) -> RGBPixels:
        height, width = pixels.shape[:2]
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        resized = Image.fromarray(pixels).resize(size, Image.Resampling.LANCZOS)
        return np.ascontiguousarray(np.asarray(resized))

    return edit


def brightness(factor: float) -> Edit:
    def edit(pixels: RGBPixels) -> RGBPixels:
        brighter = ImageEnhance.Brightness(Image.fromarray(pixels)).enhance(factor)
        return np.ascontiguousarray(np.asarray(brighter))

    return edit


SMALL_EDITS: dict[str, Edit] = {
    "jpeg-q70": jpeg_recompress(70),
    "resize-50%": resize(0.5),
    "resize-150%": resize(1.5),
    "brighter-10%": brightness(1.1),
}
"""Edits any perceptual hash is expected to survive at its default threshold."""

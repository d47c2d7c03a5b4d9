"""Deterministic generated sample images and edits: for tests, the demo and benign sample banks.

Nothing here is downloaded or committed media; every image is computed from a seed.

``synthetic_photo`` builds a photo-like picture (smooth colour fields, shapes,
sensor-like noise) from a seed; different seeds give unrelated images.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageEnhance

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


def _draw_shapes(canvas: np.ndarray, rng: np.random.Generator) -> None:
    """Filled ellipses and rectangles, drawn with numpy only so pixels never depend on Pillow."""
    height, width = canvas.shape[:2]
    y, x = np.mgrid[0:height, 0:width]
    for _ in range(10):
        x0, x1 = sorted(rng.integers(0, width, size=2).tolist())
        y0, y1 = sorted(rng.integers(0, height, size=2).tolist())
        colour = rng.integers(0, 256, size=3)
        if rng.random() < 0.5:
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            rx, ry = (x1 - x0) / 2 + 1, (y1 - y0) / 2 + 1
            mask = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1
        else:
            mask = (x >= x0) & (x <= x1 + 1) & (y >= y0) & (y <= y1 + 1)
        canvas[mask] = colour


def synthetic_photo(seed: int, width: int = 320, height: int = 240) -> RGBPixels:
    """A photo-like RGB image, identical for identical arguments (numpy only, no Pillow drawing)."""
    rng = np.random.default_rng(seed)
    canvas = np.clip(_smooth_field(rng, height, width), 0, 255)
    _draw_shapes(canvas, rng)
    noisy = canvas + rng.normal(0, 4, size=(height, width, 3))
    return np.ascontiguousarray(np.clip(noisy, 0, 255).astype(np.uint8))


def detailed_photo(seed: int, width: int = 480, height: int = 360, detail: int | None = None) -> RGBPixels:
    """``synthetic_photo(seed)`` with fine detail over it (many small shapes with hard edges, drawn
    from ``detail``, by default from ``seed``), as real photographs have at every scale: local
    features (``algorithms.keypoints``) find corners all over it, so edited copies of it can be
    verified. Two pictures of one seed with other ``detail`` share their layout (whole-picture
    hashes come near) but none of their detail: siblings of one template. Identical for
    identical arguments."""
    rng = np.random.default_rng((seed if detail is None else detail) + 1_000_003)
    canvas = synthetic_photo(seed, width, height).astype(np.int16)
    y, x = np.mgrid[0:height, 0:width]
    for _ in range(max(40, width * height // 2500)):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        size = rng.uniform(3, 12)
        shade = rng.integers(-90, 90)
        if rng.random() < 0.5:
            mask = (np.abs(x - cx) <= size) & (np.abs(y - cy) <= size * rng.uniform(0.4, 1.6))
        else:
            mask = (x - cx) ** 2 + (y - cy) ** 2 <= size**2
        canvas[mask] += shade
    return np.ascontiguousarray(np.clip(canvas, 0, 255).astype(np.uint8))


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

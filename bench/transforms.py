"""Seeded image edits for the robustness benchmark. Each takes and returns a Pillow RGB image.

Sizes are relative to the image, so a transform means the same on small and large photos.
"Crop N %" removes N % of the width and N % of the height, split between the two sides at a
seeded random ratio (off-centre), the way real crops are.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

Transform = Callable[[Image.Image, random.Random], Image.Image]


def jpeg(quality: int) -> Transform:
    def apply(image: Image.Image, rng: random.Random) -> Image.Image:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality)
        return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")

    return apply


def scale(factor: float) -> Transform:
    def apply(image: Image.Image, rng: random.Random) -> Image.Image:
        size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
        return image.resize(size, Image.Resampling.LANCZOS)

    return apply


def enhance(kind: type[ImageEnhance._Enhance], factor: float) -> Transform:
    return lambda image, rng: kind(image).enhance(factor)


def greyscale(image: Image.Image, rng: random.Random) -> Image.Image:
    return image.convert("L").convert("RGB")


def blur(image: Image.Image, rng: random.Random) -> Image.Image:
    return image.filter(ImageFilter.GaussianBlur(radius=max(image.size) / 400))


def noise(image: Image.Image, rng: random.Random) -> Image.Image:
    generator = np.random.default_rng(rng.randrange(2**32))
    noisy = np.asarray(image, dtype=np.float64) + generator.normal(0, 12, size=(image.height, image.width, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(8, size))


def watermark(image: Image.Image, rng: random.Random) -> Image.Image:
    """Semi-transparent text across the middle of the picture, as stock-photo sites stamp it."""
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    size = image.width // 12
    text = "SAMPLE (c) 2026"
    for row in range(3):
        y = image.height * (row + 1) // 4 - size // 2
        draw.text((image.width // 10, y), text, font=_font(size), fill=(255, 255, 255, 110))
    return Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB")


def stretch(factor: float) -> Transform:
    return lambda image, rng: image.resize(
        (round(image.width * factor), image.height), Image.Resampling.LANCZOS
    )


def mirror(image: Image.Image, rng: random.Random) -> Image.Image:
    return ImageOps.mirror(image)


def flip(image: Image.Image, rng: random.Random) -> Image.Image:
    return ImageOps.flip(image)


def crop(fraction: float) -> Transform:
    def apply(image: Image.Image, rng: random.Random) -> Image.Image:
        cut_x, cut_y = round(image.width * fraction), round(image.height * fraction)
        left, top = round(cut_x * rng.random()), round(cut_y * rng.random())
        return image.crop((left, top, image.width - (cut_x - left), image.height - (cut_y - top)))

    return apply


def caption_bar(image: Image.Image, rng: random.Random) -> Image.Image:
    """A white bar with black text added above the picture (15 % of its height)."""
    bar = round(image.height * 0.15)
    canvas = Image.new("RGB", (image.width, image.height + bar), (255, 255, 255))
    canvas.paste(image, (0, bar))
    ImageDraw.Draw(canvas).text(
        (image.width // 20, bar // 4), "when the benchmark runs", font=_font(bar // 2), fill=(0, 0, 0)
    )
    return canvas


TRANSFORMS: dict[str, Transform] = {
    "identity": lambda image, rng: image,
    "jpeg q30": jpeg(30),
    "jpeg q10": jpeg(10),
    "resize 50%": scale(0.5),
    "resize 25%": scale(0.25),
    "greyscale": greyscale,
    "brightness +40%": enhance(ImageEnhance.Brightness, 1.4),
    "contrast -40%": enhance(ImageEnhance.Contrast, 0.6),
    "blur": blur,
    "noise sigma 12": noise,
    "watermark text": watermark,
    "aspect 1.25x wide": stretch(1.25),
    "mirror (left-right flip)": mirror,
    "upside-down flip": flip,
    "crop 5%": crop(0.05),
    "crop 10%": crop(0.10),
    "caption bar": caption_bar,
}

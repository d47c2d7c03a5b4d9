"""Seeded image edits for the robustness benchmark. Each takes and returns a Pillow RGB image.

Sizes are relative to the image, so a transform means the same on small and large photos.
"Crop N %" removes N % of the width and N % of the height, split between the two sides at a
seeded random ratio (off-centre), the way real crops are; "centred" splits it evenly.
"Border N %" adds N % of the width and N % of the height, half on each side; "letterbox"
puts the picture in a frame of another shape with bars on two sides (N % of the result).
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


def crop(fraction: float, centred: bool = False) -> Transform:
    def apply(image: Image.Image, rng: random.Random) -> Image.Image:
        cut_x, cut_y = round(image.width * fraction), round(image.height * fraction)
        share_x, share_y = (0.5, 0.5) if centred else (rng.random(), rng.random())
        left, top = round(cut_x * share_x), round(cut_y * share_y)
        return image.crop((left, top, image.width - (cut_x - left), image.height - (cut_y - top)))

    return apply


def rotate_quarter(image: Image.Image, rng: random.Random) -> Image.Image:
    return image.transpose(Image.Transpose.ROTATE_90)


def rotate(degrees: float) -> Transform:
    """Turn by a small angle inside the same frame; the uncovered corners are black."""
    return lambda image, rng: image.rotate(degrees, Image.Resampling.BICUBIC, expand=False)


def border(fraction: float, colour: tuple[int, int, int] = (0, 0, 0)) -> Transform:
    def apply(image: Image.Image, rng: random.Random) -> Image.Image:
        pad_x, pad_y = round(image.width * fraction / 2), round(image.height * fraction / 2)
        canvas = Image.new("RGB", (image.width + 2 * pad_x, image.height + 2 * pad_y), colour)
        canvas.paste(image, (pad_x, pad_y))
        return canvas

    return apply


def padding(image: Image.Image, rng: random.Random) -> Image.Image:
    """Uneven grey padding on two adjacent sides (15 % of width and height), as some uploaders add."""
    pad_x, pad_y = round(image.width * 0.15), round(image.height * 0.15)
    canvas = Image.new("RGB", (image.width + pad_x, image.height + pad_y), (128, 128, 128))
    canvas.paste(image, (pad_x if rng.random() < 0.5 else 0, pad_y if rng.random() < 0.5 else 0))
    return canvas


def letterbox(bars: float) -> Transform:
    """Black bars above and below (or beside, for tall pictures) making ``bars`` of the result."""

    def apply(image: Image.Image, rng: random.Random) -> Image.Image:
        if image.width >= image.height:
            extra = round(image.height * bars / (1 - bars))
            canvas = Image.new("RGB", (image.width, image.height + extra), (0, 0, 0))
            canvas.paste(image, (0, extra // 2))
        else:
            extra = round(image.width * bars / (1 - bars))
            canvas = Image.new("RGB", (image.width + extra, image.height), (0, 0, 0))
            canvas.paste(image, (extra // 2, 0))
        return canvas

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


def meme_text(image: Image.Image, rng: random.Random) -> Image.Image:
    """White text with a black outline at the top and bottom of the picture, as meme generators draw."""
    result = image.copy()
    draw = ImageDraw.Draw(result)
    size = max(10, image.height // 9)
    font = _font(size)
    for text, y in (("ONE DOES NOT SIMPLY", image.height // 30), ("MATCH A MEME", image.height - 1.3 * size)):
        draw.text(
            (image.width // 12, y),
            text,
            font=font,
            fill=(255, 255, 255),
            stroke_width=max(1, size // 12),
            stroke_fill=(0, 0, 0),
        )
    return result


def gamma(value: float) -> Transform:
    table = [round(255 * (level / 255) ** value) for level in range(256)] * 3
    return lambda image, rng: image.point(table)


def colour_shift(image: Image.Image, rng: random.Random) -> Image.Image:
    """Warmer and more saturated: red up, blue down, saturation +30 %."""
    shifted = image.point(
        [min(255, v + 18) for v in range(256)] + list(range(256)) + [max(0, v - 18) for v in range(256)]
    )
    return ImageEnhance.Color(shifted).enhance(1.3)


def screenshot(image: Image.Image, rng: random.Random) -> Image.Image:
    """The picture shown in a larger window: a light background, a title bar, text lines, the picture
    at a seeded place, covering about 45 % of the screenshot's area."""
    width, height = round(image.width * 1.5), round(image.height * 1.5)
    canvas = Image.new("RGB", (width, height), (242, 242, 245))
    draw = ImageDraw.Draw(canvas)
    bar = max(8, height // 14)
    draw.rectangle((0, 0, width, bar), fill=(52, 58, 70))
    draw.text((bar // 2, bar // 5), "Photos - viewer", font=_font(bar // 2), fill=(230, 230, 230))
    left = rng.randrange(width // 40, width - image.width - width // 40)
    top = rng.randrange(bar + height // 20, height - image.height - height // 40)
    canvas.paste(image, (left, top))
    text_size = max(8, height // 40)
    for line in range(3):
        y = min(height - text_size, top + image.height + text_size // 2 + line * text_size)
        draw.text((left, y), "comment " * (3 + line), font=_font(text_size - 2), fill=(90, 90, 90))
    return canvas


def then(first: Transform, second: Transform) -> Transform:
    return lambda image, rng: second(first(image, rng), rng)


TRANSFORMS: dict[str, Transform] = {
    "identity": lambda image, rng: image,
    "jpeg q30": jpeg(30),
    "jpeg q10": jpeg(10),
    "resize 50%": scale(0.5),
    "resize 20%": scale(0.2),
    "greyscale": greyscale,
    "brightness +40%": enhance(ImageEnhance.Brightness, 1.4),
    "contrast -40%": enhance(ImageEnhance.Contrast, 0.6),
    "gamma 0.6": gamma(0.6),
    "colour shift": colour_shift,
    "blur": blur,
    "noise sigma 12": noise,
    "watermark text": watermark,
    "meme text": meme_text,
    "aspect 1.25x wide": stretch(1.25),
    "mirror (left-right flip)": mirror,
    "upside-down flip": flip,
    "rotate 90": rotate_quarter,
    "rotate +3": rotate(3),
    "rotate -3": rotate(-3),
    "rotate +8": rotate(8),
    "rotate -8": rotate(-8),
    "border 10% black": border(0.10),
    "border 20% white": border(0.20, (255, 255, 255)),
    "padding 15% grey": padding,
    "letterbox 10%": letterbox(0.10),
    "letterbox 20%": letterbox(0.20),
    "caption bar": caption_bar,
    "screenshot": screenshot,
    "crop 5%": crop(0.05),
    "crop 10%": crop(0.10),
    "crop 10% centred": crop(0.10, centred=True),
    "crop 20%": crop(0.20),
    "crop 20% centred": crop(0.20, centred=True),
    "crop 30%": crop(0.30),
    "mirror + jpeg q30": then(mirror, jpeg(30)),
    "border 10% + jpeg q30": then(border(0.10), jpeg(30)),
    "screenshot + resize 50%": then(screenshot, scale(0.5)),
    "mirror + crop 10%": then(mirror, crop(0.10)),
    "rotate 90 + caption bar": then(rotate_quarter, caption_bar),
}
"""Every benchmark transform, by the name the table shows. The first is the no-op."""

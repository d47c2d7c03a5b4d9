"""The extended edit suite of issues 15 and 24: everything ``transforms.TRANSFORMS`` covers (issue 9),
plus chained edits, occlusions, text overlays, small rotations, perspective, screenshot and feed
embeddings, overlays, the cheap evasions and copies inside larger pictures.

Each edit takes and returns a Pillow RGB image and a seeded ``random.Random``; sizes are relative to
the picture. ``EXTENDED`` maps a family name to its edit; ``chain`` draws random everyday edits and
applies them in order, as people chain them.
"""

from __future__ import annotations

import colorsys
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from transforms import (
    TRANSFORMS,
    Transform,
    _font,
    border,
    caption_bar,
    crop,
    flip,
    jpeg,
    mirror,
    rotate,
    rotate_quarter,
    scale,
)


def negative(image: Image.Image, rng: random.Random) -> Image.Image:
    return ImageOps.invert(image)


def hue_rotate(degrees: float) -> Transform:
    def apply(image: Image.Image, rng: random.Random) -> Image.Image:
        hsv = np.asarray(image.convert("HSV"), dtype=np.int16)
        hsv[..., 0] = (hsv[..., 0] + round(degrees / 360 * 256)) % 256
        return Image.fromarray(hsv.astype(np.uint8), "HSV").convert("RGB")

    return apply


def aspect_crop(ratio: float) -> Transform:
    """Cut the picture to ``ratio`` (width / height) on one axis only, at a seeded place."""

    def apply(image: Image.Image, rng: random.Random) -> Image.Image:
        width, height = image.size
        if width / height > ratio:
            kept = round(height * ratio)
            left = rng.randrange(0, width - kept + 1)
            return image.crop((left, 0, left + kept, height))
        kept = round(width / ratio)
        top = rng.randrange(0, height - kept + 1)
        return image.crop((0, top, width, top + kept))

    return apply


def _emoji(size: int, rng: random.Random) -> Image.Image:
    """A round yellow face with eyes and a mouth, on a transparent square: a sticker."""
    sticker = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(sticker)
    hue = rng.random()
    colour = tuple(round(255 * c) for c in colorsys.hsv_to_rgb(hue, 0.8, 1.0))
    draw.ellipse(
        (0, 0, size - 1, size - 1), fill=(*colour, 255), outline=(40, 40, 40, 255), width=max(1, size // 30)
    )
    eye = size // 8
    for x in (size // 3, 2 * size // 3):
        draw.ellipse((x - eye // 2, size // 3, x + eye // 2, size // 3 + eye), fill=(30, 30, 30, 255))
    draw.arc(
        (size // 4, size // 3, 3 * size // 4, 4 * size // 5),
        20,
        160,
        fill=(30, 30, 30, 255),
        width=max(1, size // 20),
    )
    return sticker


def occlude(area: float, kind: str = "sticker") -> Transform:
    """Cover ``area`` of the picture with one sticker, emoji or opaque shape at a seeded place."""

    def apply(image: Image.Image, rng: random.Random) -> Image.Image:
        side = max(4, round((area * image.width * image.height) ** 0.5))
        left, top = (
            rng.randrange(0, max(1, image.width - side)),
            rng.randrange(0, max(1, image.height - side)),
        )
        result = image.convert("RGBA")
        if kind == "sticker":
            result.alpha_composite(_emoji(side, rng), (left, top))
        else:
            ImageDraw.Draw(result).rectangle(
                (left, top, left + side, top + side), fill=(rng.randrange(256), 0, 90)
            )
        return result.convert("RGB")

    return apply


def top_bottom_text(image: Image.Image, rng: random.Random) -> Image.Image:
    result = image.copy()
    draw = ImageDraw.Draw(result)
    size = max(10, image.height // 8)
    for text, y in (("WHEN THE HASH", image.height // 40), ("STILL MATCHES", image.height - 1.25 * size)):
        draw.text(
            (image.width // 14, y),
            text,
            font=_font(size),
            fill=(255, 255, 255),
            stroke_width=max(1, size // 10),
            stroke_fill=(0, 0, 0),
        )
    return result


def modern_meme(image: Image.Image, rng: random.Random) -> Image.Image:
    """A white band of two text lines above the picture (20 % of the result's height)."""
    band = round(image.height * 0.25)
    canvas = Image.new("RGB", (image.width, image.height + band), (255, 255, 255))
    canvas.paste(image, (0, band))
    draw = ImageDraw.Draw(canvas)
    for line, text in enumerate(("me explaining perceptual", "hashes to my cat")):
        draw.text(
            (image.width // 25, band // 8 + line * band // 2.5), text, font=_font(band // 3), fill=(0, 0, 0)
        )
    return canvas


def perspective(strength: float) -> Transform:
    """A keystone view: the top edge pulled in by ``strength`` of the width on each side."""

    def apply(image: Image.Image, rng: random.Random) -> Image.Image:
        width, height = image.size
        inset = strength * width
        quad = (-inset, 0, -0.0, height, width, height, width + inset, 0)
        return image.transform(image.size, Image.Transform.QUAD, quad, Image.Resampling.BICUBIC)

    return apply


def skew(shear: float) -> Transform:
    return lambda image, rng: image.transform(
        image.size,
        Image.Transform.AFFINE,
        (1, shear, -shear * image.height / 2, 0, 1, 0),
        Image.Resampling.BICUBIC,
    )


def stripes(image: Image.Image, rng: random.Random) -> Image.Image:
    """Semi-transparent diagonal white stripes over the whole picture."""
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    step = max(8, image.width // 10)
    for x in range(-image.height, image.width, step):
        draw.line((x, image.height, x + image.height, 0), fill=(255, 255, 255, 90), width=max(2, step // 4))
    return Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB")


def phone_screenshot(image: Image.Image, rng: random.Random) -> Image.Image:
    """The picture across the width of a 9:19.5 phone screen with a status bar, app bar and text."""
    width = image.width
    height = round(width * 19.5 / 9)
    screen = Image.new("RGB", (width, height), (250, 250, 250))
    draw = ImageDraw.Draw(screen)
    bar = height // 30
    draw.rectangle((0, 0, width, bar), fill=(20, 20, 20))
    draw.rectangle((0, bar, width, 3 * bar), fill=(60, 90, 160))
    draw.text((bar, bar + bar // 3), "Messages", font=_font(bar), fill=(255, 255, 255))
    top = min(height - image.height, 3 * bar + rng.randrange(bar, 4 * bar))
    screen.paste(image, (0, top))
    for line in range(4):
        y = top + image.height + bar // 2 + line * bar
        if y + bar < height:
            draw.text(
                (bar // 2, y),
                "nice picture, where was this " * 2,
                font=_font(bar * 2 // 3),
                fill=(60, 60, 60),
            )
    return screen


def feed_post(image: Image.Image, rng: random.Random) -> Image.Image:
    """A social-feed post: avatar and name above, the picture inset with margins, buttons below."""
    margin = image.width // 20
    head, foot = image.height // 6, image.height // 7
    canvas = Image.new("RGB", (image.width + 2 * margin, image.height + head + foot), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    draw.ellipse((margin, head // 5, margin + head * 3 // 5, head * 4 // 5), fill=(120, 160, 200))
    draw.text((margin + head, head // 3), "someone posted", font=_font(head // 3), fill=(20, 20, 20))
    canvas.paste(image, (margin, head))
    for n, text in enumerate(("Like", "Comment", "Share")):
        draw.text(
            (margin + n * image.width // 3, head + image.height + foot // 3),
            text,
            font=_font(foot // 3),
            fill=(90, 90, 90),
        )
    return canvas


def _other_photo(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A smooth unrelated background of ``size`` (seeded): a stand-in for another photograph."""
    generator = np.random.default_rng(rng.randrange(2**32))
    small = generator.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
    return Image.fromarray(small).resize(size, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(3))


def collage_tile(image: Image.Image, rng: random.Random) -> Image.Image:
    """The picture as one tile of a 2x2 collage of equal tiles (a quarter of the area)."""
    width, height = image.size
    canvas = Image.new("RGB", (2 * width, 2 * height), (255, 255, 255))
    place = rng.randrange(4)
    for tile in range(4):
        x, y = (tile % 2) * width, (tile // 2) * height
        canvas.paste(image if tile == place else _other_photo((width, height), rng), (x, y))
    return canvas


def picture_in_picture(image: Image.Image, rng: random.Random) -> Image.Image:
    """The picture at half its width pasted onto a larger unrelated photo (a quarter of the area)."""
    background = _other_photo(image.size, rng)
    small = image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)
    background.paste(small, (rng.randrange(0, image.width // 2), rng.randrange(0, image.height // 2)))
    return background


def story(image: Image.Image, rng: random.Random) -> Image.Image:
    """A 9:16 story: the picture across the width over a blurred, enlarged copy of itself."""
    width = image.width
    height = round(width * 16 / 9)
    blurred = image.resize((height * image.width // image.height, height)).filter(
        ImageFilter.GaussianBlur(width // 25)
    )
    left = (blurred.width - width) // 2
    canvas = blurred.crop((left, 0, left + width, height))
    canvas.paste(image, (0, (height - image.height) // 2))
    return canvas


def double_frame(image: Image.Image, rng: random.Random) -> Image.Image:
    """A thin dark frame inside a wide light one."""
    return border(0.25, (235, 235, 225))(border(0.03, (20, 20, 20))(image, rng), rng)


EVERYDAY: dict[str, Transform] = {
    "flip": mirror,
    "quarter turn": rotate_quarter,
    "crop 10%": crop(0.10),
    "border 10%": border(0.10),
    "caption": caption_bar,
    "recompress": jpeg(40),
    "rescale": scale(0.6),
    "colour change": hue_rotate(30),
}
"""The edits chains are drawn from."""


def chain(length: int) -> Transform:
    def apply(image: Image.Image, rng: random.Random) -> Image.Image:
        for name in rng.sample(sorted(EVERYDAY), length):
            image = EVERYDAY[name](image, rng)
        return image

    return apply


EXTENDED: dict[str, Transform] = {
    **TRANSFORMS,
    "chain of 2 everyday edits": chain(2),
    "chain of 3 everyday edits": chain(3),
    "mirror + crop 10% + jpeg": lambda image, rng: jpeg(50)(crop(0.10)(mirror(image, rng), rng), rng),
    "quarter turn + crop 5%": lambda image, rng: crop(0.05)(rotate_quarter(image, rng), rng),
    "double frame": double_frame,
    "sticker 5%": occlude(0.05),
    "sticker 10%": occlude(0.10),
    "shape 15%": occlude(0.15, "shape"),
    "meme top/bottom text": top_bottom_text,
    "modern meme band": modern_meme,
    "rotate +1": rotate(1),
    "rotate +2": rotate(2),
    "rotate +5": rotate(5),
    "rotate -10": rotate(-10),
    "perspective 8%": perspective(0.08),
    "skew 0.1": skew(0.1),
    "phone screenshot": phone_screenshot,
    "feed post": feed_post,
    "diagonal stripes": stripes,
    "colour negative": negative,
    "hue rotation 90": hue_rotate(90),
    "crop to 16:9": aspect_crop(16 / 9),
    "crop to 1:1": aspect_crop(1.0),
    "collage tile 2x2": collage_tile,
    "picture in picture 25%": picture_in_picture,
    "story 9:16": story,
    "flip upside down + jpeg": lambda image, rng: jpeg(50)(flip(image, rng), rng),
}
"""Every edit family of the precision and recall benchmark, by the name its table shows."""

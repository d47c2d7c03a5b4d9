"""Layout-dominated pictures: forms and charts are, photographs are not, through recompression."""

from __future__ import annotations

import io
import random

import numpy as np
from PIL import Image, ImageDraw

from mediamatch.engine.layout import is_layout_dominated, layout_figures, reduced_copy
from mediamatch.model import RGBPixels
from mediamatch.samples import detailed_photo, synthetic_photo


def form(seed: int, width: int = 800, height: int = 1000) -> RGBPixels:
    """A page of one form template (title, labelled fields, rules) filled with other text per seed."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 100, 100), fill=(40, 30, 60))
    draw.text((120, 55), "ACME OFFICE - APPLICATION FORM", fill="black")
    rng = random.Random(seed)
    for row in range(14):
        top = 150 + row * 55
        draw.text((50, top), f"Field {row}", fill=(90, 90, 90))
        draw.line((50, top + 35, width - 50, top + 35), fill="black", width=1)
        value = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(rng.randint(5, 40)))
        draw.text((60, top + 15), value, fill=(20, 40, 140))
    return np.asarray(image)


def chart(seed: int, width: int = 640, height: int = 480) -> RGBPixels:
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.line((60, 40, 60, height - 60), fill="black", width=2)
    draw.line((60, height - 60, width - 30, height - 60), fill="black", width=2)
    rng = random.Random(seed)
    for bar in range(8):
        left = 80 + bar * 65
        draw.rectangle((left, rng.randint(80, height - 80), left + 40, height - 61), fill=(31, 119, 180))
    draw.text((width // 2 - 60, 15), "Monthly totals", fill="black")
    return np.asarray(image)


def jpeg(pixels: RGBPixels, quality: int) -> RGBPixels:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


def test_forms_and_charts_are_layout_dominated_as_files_and_after_recompression() -> None:
    for pixels in (form(1), form(2), chart(3), chart(4)):
        assert is_layout_dominated(pixels)
        assert is_layout_dominated(jpeg(pixels, 80))


def test_photographs_are_not() -> None:
    for seed in range(4):
        assert not is_layout_dominated(detailed_photo(seed, 640, 480))
        assert not is_layout_dominated(jpeg(synthetic_photo(seed, 640, 480), 60))


def test_the_figures_are_taken_on_a_small_copy_and_read_as_documented() -> None:
    small = reduced_copy(form(1))
    assert max(small.shape[:2]) == 256
    figures = layout_figures(small)
    assert figures.top_share > 0.9  # white paper, black rules and one ink
    assert figures.common_colours < 40
    assert figures.soft_share < 0.5
    tiny = np.zeros((20, 30, 3), np.uint8)
    assert reduced_copy(tiny).shape == (20, 30, 3)  # never enlarged


def test_a_page_in_light_grey_type_is_a_layout_though_its_steps_are_soft() -> None:
    """Faint strokes make soft steps as shading does; they go up and down, shading runs one way."""
    image = Image.new("RGB", (800, 1000), "white")
    draw = ImageDraw.Draw(image)
    rng = random.Random(5)
    for row in range(40):
        text = "".join(rng.choice("abcdefghij klmnopqrstuvwxyz 0123456789") for _ in range(70))
        draw.text((40, 30 + row * 24), text, fill=(170, 170, 170))
    page = jpeg(np.asarray(image), 85)
    figures = layout_figures(reduced_copy(page))
    assert figures.soft_share >= 0.5  # the blurred test alone would call it shading
    assert figures.ramp_share < 0.05
    assert figures.dominated

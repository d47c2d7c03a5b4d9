"""Content boxes: the picture inside a bordered, letterboxed, captioned or screenshotted picture."""

from __future__ import annotations

import numpy as np
import pytest

from mediamatch.engine.content_box import Box, content_boxes
from mediamatch.model import RGBPixels
from mediamatch.samples import flat_image, jpeg_recompress, synthetic_photo

PHOTO = synthetic_photo(11, 400, 300)


def pasted(
    photo: RGBPixels, size: tuple[int, int], at: tuple[int, int], colour: tuple[int, int, int]
) -> RGBPixels:
    canvas = np.empty((*size, 3), dtype=np.uint8)
    canvas[:] = colour
    top, left = at
    canvas[top : top + photo.shape[0], left : left + photo.shape[1]] = photo
    return canvas


def assert_near(box: Box, expected: Box, canvas: RGBPixels) -> None:
    """Within 1.5 % of the canvas's size on every side (the analysis works on a reduced copy)."""
    rows, cols = canvas.shape[:2]
    assert abs(box.top - expected.top) <= 0.015 * rows
    assert abs(box.bottom - expected.bottom) <= 0.015 * rows
    assert abs(box.left - expected.left) <= 0.015 * cols
    assert abs(box.right - expected.right) <= 0.015 * cols


@pytest.mark.parametrize(
    ("size", "at", "colour"),
    [
        ((360, 480), (30, 40), (0, 0, 0)),  # 10 % black border
        ((420, 560), (60, 80), (255, 255, 255)),  # 20 % white border
        ((400, 400), (50, 0), (0, 0, 0)),  # letterbox bars above and below
        ((345, 400), (45, 0), (250, 250, 250)),  # a bar on one side (padding, caption background)
        ((700, 900), (210, 333), (236, 238, 242)),  # a screenshot-sized canvas
    ],
)
def test_finds_the_pasted_picture(
    size: tuple[int, int], at: tuple[int, int], colour: tuple[int, int, int]
) -> None:
    canvas = pasted(PHOTO, size, at, colour)
    (box,) = content_boxes(canvas)
    assert_near(box, Box(at[0], at[1], at[0] + 300, at[1] + 400), canvas)


def test_survives_jpeg_compression_and_a_title_bar() -> None:
    canvas = pasted(PHOTO, (600, 800), (150, 200), (240, 240, 240))
    canvas[:40] = (50, 60, 70)  # a window's title bar: another flat colour touching the edge
    squeezed = jpeg_recompress(30)(canvas)
    margins, pasted_box = content_boxes(squeezed)
    assert abs(margins.top - 40) <= 9  # the title bar, trimmed as a margin
    assert_near(pasted_box, Box(150, 200, 450, 600), canvas)


def test_a_collage_gives_each_picture_largest_first() -> None:
    canvas = pasted(PHOTO, (400, 1000), (50, 40), (20, 20, 20))
    small = synthetic_photo(12, 300, 200)
    canvas[100:300, 600:900] = small
    boxes = content_boxes(canvas)
    assert len(boxes) == 2
    assert_near(boxes[0], Box(50, 40, 350, 440), canvas)
    assert_near(boxes[1], Box(100, 600, 300, 900), canvas)
    assert content_boxes(canvas, limit=1) == boxes[:1]


def test_a_plain_photo_or_a_flat_image_gives_no_box() -> None:
    assert content_boxes(PHOTO) == []
    assert content_boxes(flat_image()) == []
    assert content_boxes(PHOTO[:5, :5]) == []


def test_box_crop_copies_the_region() -> None:
    box = Box(10, 20, 50, 70)
    cropped = box.crop(PHOTO)
    assert cropped.shape == (40, 50, 3)
    assert cropped.flags.c_contiguous
    assert np.array_equal(cropped, PHOTO[10:50, 20:70])
    assert box.area == 2000


def test_a_picture_with_a_pale_edge_on_a_pale_background_is_found() -> None:
    """A studio backdrop (or a sky) a dozen levels from the window's colour: the first flood crosses
    into it through the blended line at its edge, the strict one stops there."""
    photo = PHOTO.copy()
    fade = np.linspace(0.0, 1.0, 120)[:, None, None]
    sky = np.array([254, 254, 254]) * (1 - fade) + photo[:120].astype(np.float64) * fade
    photo[:120] = np.rint(sky).astype(np.uint8)
    canvas = pasted(photo, (600, 800), (150, 200), (242, 242, 245))
    canvas[:40] = (52, 58, 70)  # the window's title bar
    boxes = content_boxes(jpeg_recompress(85)(canvas))
    assert any(
        all(abs(a - b) <= 0.015 * 800 for a, b in zip(_sides(box), (150, 200, 450, 600), strict=True))
        for box in boxes
    ), boxes


def _sides(box: Box) -> tuple[int, int, int, int]:
    return box.top, box.left, box.bottom, box.right

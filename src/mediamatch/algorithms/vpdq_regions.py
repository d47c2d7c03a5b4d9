"""The picture regions vPDQ hashes beside the whole frame, so edited copies still match.

vPDQ hashes the whole frame, so letterbox or pillarbox bars and a large overlaid logo
change most of a frame's PDQ bits. Besides the whole frame we hash the frame's
*content* (the frame with uniform bars cut off, when it has any), the four halves of
the content (top, bottom, left, right) and its four quadrants. A logo spoils the parts
it covers and leaves the others intact; two frames match on parts when at least
``vpdq.MIN_PARTS`` of the same parts match. All region images are the content scaled (box filter) to
``REGION_SIZE`` pixels square: PDQ reduces every image to 64x64 anyway, so this costs
little precision and makes the regions cheap.
"""

from __future__ import annotations

import enum

import numpy as np
import numpy.typing as npt
from PIL import Image

from mediamatch.algorithms.base import RGBPixels

REGION_SIZE = 128
BAR_RANGE = 24
"""A border row or column is part of a bar when its luminance varies by at most this much."""
BAR_COLOUR_TOLERANCE = 24
"""... and its mean stays within this much of the outermost line's mean (one bar colour)."""
MAX_BAR_SHARE = 0.4
"""At most this share of the frame is cut from each side."""


class Region(enum.IntEnum):
    """What part of the frame a hash covers; the value is stored with each frame hash."""

    FULL = 0
    CONTENT = 1
    TOP = 2
    BOTTOM = 3
    LEFT = 4
    RIGHT = 5
    TOP_LEFT = 6
    TOP_RIGHT = 7
    BOTTOM_LEFT = 8
    BOTTOM_RIGHT = 9

    @property
    def group(self) -> int:
        """Hashes match only within a group: the whole picture (full or content) or the same part."""
        return 0 if self in (Region.FULL, Region.CONTENT) else int(self)


def _bar_depth(lines: npt.NDArray[np.uint8]) -> int:
    """How many leading lines (rows of ``lines``) are uniform and of the first line's colour."""
    ranges = np.ptp(lines, axis=1)
    means = lines.mean(axis=1)
    limit = int(len(lines) * MAX_BAR_SHARE)
    depth = 0
    while (
        depth < limit
        and ranges[depth] <= BAR_RANGE
        and abs(float(means[depth]) - float(means[0])) <= BAR_COLOUR_TOLERANCE
    ):
        depth += 1
    return depth


def content_box(pixels: RGBPixels) -> tuple[int, int, int, int]:
    """``(top, bottom, left, right)`` bounds (exclusive ends) of the picture inside any bars.

    Large frames are examined on every ``step``-th row and column (bars are wide), so
    the bounds are exact to ``step`` pixels.
    """
    rows, cols = pixels.shape[0], pixels.shape[1]
    step = max(1, min(rows, cols) // 240)
    grey = pixels[::step, ::step, 1]  # green carries most of the luminance; enough to find flat bars
    top = _bar_depth(grey) * step
    bottom = rows - _bar_depth(grey[::-1]) * step
    left = _bar_depth(grey.T) * step
    right = cols - _bar_depth(grey.T[::-1]) * step
    if bottom - top < rows // 4 or right - left < cols // 4:
        return 0, rows, 0, cols  # a flat frame: nothing to crop
    return top, bottom, left, right


def region_images(pixels: RGBPixels) -> dict[Region, RGBPixels]:
    """The content (only when bars were cut), its halves and quadrants, from one square scaled copy."""
    top, bottom, left, right = content_box(pixels)
    cropped = (top, bottom, left, right) != (0, pixels.shape[0], 0, pixels.shape[1])
    picture = Image.fromarray(pixels[top:bottom, left:right])
    square = np.asarray(picture.resize((REGION_SIZE, REGION_SIZE), Image.Resampling.BOX), dtype=np.uint8)
    half = REGION_SIZE // 2
    images = {
        Region.TOP: square[:half],
        Region.BOTTOM: square[half:],
        Region.LEFT: square[:, :half],
        Region.RIGHT: square[:, half:],
        Region.TOP_LEFT: square[:half, :half],
        Region.TOP_RIGHT: square[:half, half:],
        Region.BOTTOM_LEFT: square[half:, :half],
        Region.BOTTOM_RIGHT: square[half:, half:],
    }
    if cropped:
        images[Region.CONTENT] = square
    return {region: np.ascontiguousarray(image) for region, image in images.items()}

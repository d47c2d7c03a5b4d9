"""Finding the picture inside a picture: uniform borders, letterboxing, screenshots and collages.

``content_boxes`` looks for background: regions of near-constant colour that touch the
image's edge (a black border, letterbox bars, padding, a caption bar's white, a
screenshot's window background). It floods from every edge pixel through neighbours
whose colour stays within ``COLOUR_TOLERANCE`` of the seed and within ``STEP_TOLERANCE``
of the previous pixel, so it stops at the step where a photo begins; a second, strict flood
stops at pictures whose pale edge the first one crosses. What is left is foreground; each
sizeable connected foreground region framed by straight edges becomes a ``Box``.

All work is on a copy reduced to at most ``ANALYSIS_SIDE`` pixels a side (area average,
which also averages away JPEG noise), then mapped back to the caller's coordinates.
The tolerances are stated in grey levels at that scale and were chosen from what the
edits do (a flat border stays within a few levels even after JPEG quality 10, a photo's
edge rarely stays within 6 levels of flat for long), not fitted to any benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit
from PIL import Image

from mediamatch.model import RGBPixels

ANALYSIS_SIDE = 256
COLOUR_TOLERANCE = 16
"""Largest per-channel difference (grey levels) between a background pixel and its seed."""
STEP_TOLERANCE = 6
"""Largest per-channel difference between neighbouring background pixels."""
STRICT_COLOUR_TOLERANCE = 6
STRICT_STEP_TOLERANCE = 2
"""A second, strict flood: the background of a screen or document (a window, a page) is drawn
flat and stays within a level or two of itself at the analysis scale even after JPEG, while a
photographed near-white (a sky, a studio backdrop, paper) drifts by more. The first flood
crosses such a picture's pale edge into it; the strict one stops there, so the picture's own
rectangle is found too."""
MIN_BOX_SHARE = 0.04
"""A box must cover at least this share of the image's area (smaller ones are text, icons)."""
MAX_BOX_SHARE = 0.95
"""A box covering more than this share of the image is the image itself: nothing to remove."""
MIN_FILL = 0.5
"""Foreground pixels must fill at least this share of their box (a photo is solid, a text line is not)."""
SNAP_CELLS = 2
"""A box side this close to the image's edge (in analysis pixels) is taken to be at the edge:
flooding from the edge may eat a line of a photo that touches it."""
FRAME_SHARE = 0.8
"""Share of a line just inside a box's inner side that must be foreground, for a straight edge."""
EDGE_LINES = 3
UNIFORM_SHARE = 0.95
"""Share of an edge line's pixels that must be near its median colour for it to start a margin."""
MARGIN_SHARE = 0.2
"""Share of a line's pixels near the margin colour for the margin to go on: caption text may cover
most of a line, but the margin only extends to a later line if that one is uniform again."""
MARGIN_CHUNK = 16
"""Lines of a margin examined at a time."""


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in pixel coordinates: rows ``top:bottom``, columns ``left:right`` (ends exclusive)."""

    top: int
    left: int
    bottom: int
    right: int

    @property
    def area(self) -> int:
        return max(0, self.bottom - self.top) * max(0, self.right - self.left)

    def crop(self, pixels: RGBPixels) -> RGBPixels:
        """The box's pixels as a C-contiguous copy."""
        return np.ascontiguousarray(pixels[self.top : self.bottom, self.left : self.right])


@njit(cache=True, nogil=True)
def _within(small: npt.NDArray[np.int16], a: int, b: int, tolerance: int) -> bool:
    """Whether flat pixels ``a`` and ``b`` differ by at most ``tolerance`` in every channel."""
    for channel in range(3):  # noqa: SIM110 - a plain loop, which numba compiles
        if abs(small[a, channel] - small[b, channel]) > tolerance:
            return False
    return True


@njit(cache=True, nogil=True)
def _edge_pixel(index: int, rows: int, cols: int) -> int:
    """The ``index``-th pixel (flat index) of the image's edge: top row, bottom row, left, right."""
    if index < cols:
        return index
    if index < 2 * cols:
        return (rows - 1) * cols + index - cols
    if index < 2 * cols + rows:
        return (index - 2 * cols) * cols
    return (index - 2 * cols - rows) * cols + cols - 1


@njit(cache=True, nogil=True)
def _neighbour(here: int, step: int, rows: int, cols: int) -> int:
    """The 4-connected neighbour ``step`` (0-3) of a flat index, or -1 past the image's edge."""
    y, x = here // cols, here % cols
    if step == 0:
        return here + 1 if x + 1 < cols else -1
    if step == 1:
        return here - 1 if x > 0 else -1
    if step == 2:
        return here + cols if y + 1 < rows else -1
    return here - cols if y > 0 else -1


@njit(cache=True, nogil=True)
def _background(
    small: npt.NDArray[np.int16], cols: int, colour_tol: int, step_tol: int
) -> npt.NDArray[np.bool_]:
    """Pixels (flat index) reached by flooding from the edge through near-constant colour."""
    total = small.shape[0]
    rows = total // cols
    mask = np.zeros(total, dtype=np.bool_)
    stack = np.empty(total, dtype=np.int64)
    for index in range(2 * (rows + cols)):
        seed = _edge_pixel(index, rows, cols)
        if mask[seed]:
            continue
        mask[seed] = True
        stack[0] = seed
        size = 1
        while size > 0:
            size -= 1
            here = stack[size]
            for step in range(4):
                there = _neighbour(here, step, rows, cols)
                if there < 0 or mask[there] or not _within(small, there, here, step_tol):
                    continue
                if _within(small, there, seed, colour_tol):
                    mask[there] = True
                    stack[size] = there
                    size += 1
    return mask


@njit(cache=True, nogil=True)
def _components(foreground: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """Per 4-connected foreground region: pixel count, top, left, bottom, right (exclusive)."""
    rows, cols = foreground.shape
    seen = np.zeros((rows, cols), dtype=np.bool_)
    stack = np.empty(rows * cols, dtype=np.int64)
    found = np.empty((rows * cols // 4 + 1, 5), dtype=np.int64)
    count = 0
    for sy in range(rows):
        for sx in range(cols):
            if not foreground[sy, sx] or seen[sy, sx]:
                continue
            seen[sy, sx] = True
            stack[0] = sy * cols + sx
            size = 1
            pixels, top, left, bottom, right = 0, sy, sx, sy, sx
            while size > 0:
                size -= 1
                y, x = stack[size] // cols, stack[size] % cols
                pixels += 1
                top, bottom, left, right = min(top, y), max(bottom, y), min(left, x), max(right, x)
                for qy, qx in ((y, x + 1), (y + 1, x), (y, x - 1), (y - 1, x)):
                    if 0 <= qy < rows and 0 <= qx < cols and foreground[qy, qx] and not seen[qy, qx]:
                        seen[qy, qx] = True
                        stack[size] = qy * cols + qx
                        size += 1
            if count < found.shape[0]:
                found[count] = (pixels, top, left, bottom + 1, right + 1)
                count += 1
    return found[:count]


def analysis_copy(pixels: RGBPixels) -> RGBPixels:
    """The picture area-averaged by a whole factor to at most about ``ANALYSIS_SIDE`` a side (itself
    when already that small): what ``content_boxes`` looks at. A caller that reduces the picture
    anyway may make it from its own smaller copy instead."""
    factor = -(-max(pixels.shape[0], pixels.shape[1]) // ANALYSIS_SIDE)
    return pixels if factor <= 1 else np.asarray(Image.fromarray(pixels).reduce(factor))


def _framed(background: npt.NDArray[np.bool_], top: int, left: int, bottom: int, right: int) -> bool:
    """Whether the box's sides that are not the image's edge are straight edges of foreground.

    A picture pasted on a background fills the box's first line inside each such side (one
    of the first ``EDGE_LINES``, to allow for a blurred or dark edge); a flat patch of a
    photo (sky, shadow) that touches the image's edge leaves a ragged remainder, refused here.
    With three or four inner sides one may be ragged: a picture whose sky meets a background
    of nearly its colour along one edge still has three straight ones.
    """
    rows, cols = background.shape
    inside = ~background[top:bottom, left:right]
    sides = []
    if top > 0:
        sides.append(inside[:EDGE_LINES].mean(axis=1))
    if bottom < rows:
        sides.append(inside[-EDGE_LINES:].mean(axis=1))
    if left > 0:
        sides.append(inside[:, :EDGE_LINES].mean(axis=0))
    if right < cols:
        sides.append(inside[:, -EDGE_LINES:].mean(axis=0))
    straight = sum(bool(side.max() >= FRAME_SHARE) for side in sides)
    return straight >= max(1, len(sides) - 1) if len(sides) > 2 else straight == len(sides) > 0


def _tighten(small: npt.NDArray[np.int16], background: npt.NDArray[np.bool_], sides: list[int]) -> list[int]:
    """Move each inner side inward past lines that are background-coloured on the whole.

    Compression rings beside a picture's edge, so the flood (which needs smooth steps)
    stops a line or two short; a line whose median colour is within ``COLOUR_TOLERANCE``
    of the background just outside it is still background. At most ``EDGE_LINES`` lines.
    """
    rows, cols = background.shape
    top, left, bottom, right = sides

    def is_background(line: npt.NDArray[np.int16], outside: npt.NDArray[np.int16]) -> bool:
        colour = np.median(outside, axis=0)
        return bool(np.abs(np.median(line, axis=0) - colour).max() <= COLOUR_TOLERANCE)

    for _ in range(EDGE_LINES):
        if top > 0 and bottom - top > 2 and is_background(small[top, left:right], small[top - 1, left:right]):
            top += 1
        if (
            bottom < rows
            and bottom - top > 2
            and is_background(small[bottom - 1, left:right], small[bottom, left:right])
        ):
            bottom -= 1
        if (
            left > 0
            and right - left > 2
            and is_background(small[top:bottom, left], small[top:bottom, left - 1])
        ):
            left += 1
        if (
            right < cols
            and right - left > 2
            and is_background(small[top:bottom, right - 1], small[top:bottom, right])
        ):
            right -= 1
    return [top, left, bottom, right]


def _margin_lines(lines: npt.NDArray[np.int16], limit: int) -> int:
    """How many of ``lines`` (outermost first, each ``(pixels, 3)``) form a uniform margin.

    The outermost line must be uniform (``UNIFORM_SHARE`` of its pixels within
    ``COLOUR_TOLERANCE`` of its median colour). The margin ends after the last uniform line
    met before the first line with less than ``MARGIN_SHARE`` of its pixels near that
    colour: lines of a caption's text (partly covered) may lie between uniform ones.
    """
    colour = np.median(lines[0], axis=0).astype(np.int16)
    if (np.abs(lines[0] - colour).max(axis=1) <= COLOUR_TOLERANCE).mean() < UNIFORM_SHARE:
        return 0  # the common case, decided on one line
    last_uniform = 0
    for start in range(0, limit, MARGIN_CHUNK):  # margins are usually thin: look a few lines at a time
        chunk = lines[start : min(limit, start + MARGIN_CHUNK)]
        near = (np.abs(chunk - colour).max(axis=2) <= COLOUR_TOLERANCE).mean(axis=1)
        below = np.flatnonzero(near < MARGIN_SHARE)
        end = int(below[0]) if below.size else len(near)
        uniform = np.flatnonzero(near[:end] >= UNIFORM_SHARE)
        if uniform.size:
            last_uniform = start + int(uniform[-1]) + 1
        if below.size:
            break
    return last_uniform


def _trimmed(small: npt.NDArray[np.int16]) -> list[int] | None:
    """Top, left, bottom, right after removing a uniform margin from each side; None if none.

    One margin a side: trimming again would eat into pictures whose own edges are plain
    (an object photographed on white); nested frames are left to the flood's boxes.
    """
    rows, cols = small.shape[0], small.shape[1]
    columns = np.ascontiguousarray(small.transpose(1, 0, 2))
    top = _margin_lines(small, rows // 2)
    bottom = rows - _margin_lines(small[::-1], rows // 2)
    left = _margin_lines(columns, cols // 2)
    right = cols - _margin_lines(columns[::-1], cols // 2)
    if (top, left, bottom, right) == (0, 0, rows, cols):
        return None
    return [top, left, bottom, right]


def content_boxes(pixels: RGBPixels, limit: int = 2, analysed: RGBPixels | None = None) -> list[Box]:
    """Up to ``limit`` boxes of foreground framed by background, largest first.

    Empty when the image has no background at its edge or its foreground is the whole
    image (within ``MAX_BOX_SHARE``). Boxes are in ``pixels`` coordinates and lie inside it.
    ``analysed`` is ``analysis_copy(pixels)`` or an equivalent copy, where the caller has one.
    """
    rows, cols = pixels.shape[0], pixels.shape[1]
    if rows < 8 or cols < 8 or limit <= 0:
        return []
    small = (analysis_copy(pixels) if analysed is None else analysed).astype(np.int16)
    height, width = small.shape[0], small.shape[1]
    flat = np.ascontiguousarray(small.reshape(height * width, 3))
    found: list[tuple[int, list[int]]] = []
    trimmed = _trimmed(small)
    if trimmed is not None:
        found.append((height * width + 1, trimmed))  # ranks first: margins are the common case
    background = _background(flat, width, COLOUR_TOLERANCE, STEP_TOLERANCE).reshape(height, width)
    found += _framed_components(small, background)
    strict = _background(flat, width, STRICT_COLOUR_TOLERANCE, STRICT_STEP_TOLERANCE)
    found += _framed_components(small, strict.reshape(height, width))
    return _distinct_boxes(found, (height, width), (rows, cols), limit)


def _framed_components(
    small: npt.NDArray[np.int16], background: npt.NDArray[np.bool_]
) -> list[tuple[int, list[int]]]:
    """(pixel count, box) of each sizeable, solid foreground region framed by ``background``."""
    height, width = background.shape
    found = []
    for count, top, left, bottom, right in _components(~background).tolist():
        area = (bottom - top) * (right - left)
        if not MIN_BOX_SHARE * height * width <= area <= MAX_BOX_SHARE * height * width:
            continue
        top, left = (0 if v <= SNAP_CELLS else v for v in (top, left))
        bottom = height if bottom >= height - SNAP_CELLS else bottom
        right = width if right >= width - SNAP_CELLS else right
        if count < MIN_FILL * area or not _framed(background, top, left, bottom, right):
            continue
        found.append((count, _tighten(small, background, [top, left, bottom, right])))
    return found


def _distinct_boxes(
    found: list[tuple[int, list[int]]], small: tuple[int, int], full: tuple[int, int], limit: int
) -> list[Box]:
    """The largest-ranked boxes in full-size pixels, dropping near-duplicates and out-of-range sizes."""
    (height, width), (rows, cols) = small, full
    row_scale, col_scale = rows / height, cols / width
    boxes: list[Box] = []
    for _, (top, left, bottom, right) in sorted(found, key=lambda item: -item[0]):
        area = (bottom - top) * (right - left)
        if not MIN_BOX_SHARE * height * width <= area <= MAX_BOX_SHARE * height * width:
            continue
        box = Box(
            round(top * row_scale),
            round(left * col_scale),
            min(rows, round(bottom * row_scale)),
            min(cols, round(right * col_scale)),
        )
        tolerance = 0.02 * max(rows, cols)
        if any(
            max(abs(a - b) for a, b in zip(_sides(box), _sides(seen), strict=True)) <= tolerance
            for seen in boxes
        ):
            continue
        boxes.append(box)
    return boxes[:limit]


def _sides(box: Box) -> tuple[int, int, int, int]:
    return box.top, box.left, box.bottom, box.right

"""Layout-dominated pictures: documents, forms, charts, diagrams, icons and app screens.

Pictures made from a template (pages of one form, charts of one dashboard, screens of one app)
share their layout and differ in their content: text, values, glyphs. Every whole-picture hash
sees the layout, so two siblings of one template come within PDQ distance 0 to 16 of each other,
as close as an edited copy; and the keypoint verification of ``engine.verification`` cannot tell
them apart either, because an edited copy of such a picture confirms no more of the bank
picture's keypoints than a sibling does (measured: ``docs/precision.md``). For such a query no
perceptual hash decides: what it meets is a lead for review, not a match (``FileMatches.held``).
Digests still match: an equal file is the same file.

What marks a picture as layout-dominated is what templates are drawn with: a few flat colours
over most of the picture, and sharp edges between them rather than shading. Photographs shade;
the few the rule takes for layouts are objects shot on a plain white or black backdrop.

Calibration (the thresholds below), by ``bench/layout_calibration.py`` on the hard-negative corpus
of ``bench/negatives.py`` (60 pictures of each class, seed 3) and the 367 corpus photographs;
called layout-dominated, as stored and after a JPEG recompression at quality 40: diagrams 100 %
and 92 %, documents 100 and 95, icons 93 and 18, charts 90 and 42, near-flat pictures 78 and 80,
periodic patterns 58 and 50, app screenshots 57 and 33, web pages 18 and 17, memes 0 and 0,
photographs 1 and 0. A rule that took more of the recompressed ones (no blur, steps of 2 levels
left out, no ramps) took 3 % of the photographs and 9 % of them in greyscale: too many copies lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from mediamatch.model import RGBPixels

SIDE = 256
"""Figures are taken on a copy whose long side is this many pixels (area-averaged)."""
LEVELS = 16
"""Colours are counted with each channel quantised to this many levels."""
TOP_COLOURS = 3
MIN_TOP_SHARE = 0.7
"""Layout-dominated: the ``TOP_COLOURS`` commonest colours cover at least this share ..."""
COMMON_SHARE = 0.001
MAX_COMMON_COLOURS = 40
"""... at most this many colours cover ``COMMON_SHARE`` of the picture or more ..."""
NOISE_STEP = 1.0
SOFT_STEP = 8.0
MAX_SOFT_SHARE = 0.5
"""... and fewer than this share of the steps between neighbouring pixels of the copy's grey
(in levels of 255, after a 3 x 3 box blur, which leaves shading as it is and takes most of the
noise that recompression makes in flat fills; steps of ``NOISE_STEP`` or less left out) are soft
ones of at most ``SOFT_STEP``: edges, not shading; or fewer than ``MAX_RAMP_SHARE`` of the steps
(unblurred, of more than ``NOISE_STEP``) are ramps: a soft step followed, along the row or the
column, by a soft step the same way, as shading makes and thin or faint strokes (light text,
hairlines) and recompression noise do not."""
MAX_RAMP_SHARE = 0.05


@dataclass(frozen=True, slots=True)
class LayoutFigures:
    """What the rule looks at, for one picture."""

    top_share: float
    """Share of the picture covered by its ``TOP_COLOURS`` commonest colours."""
    common_colours: int
    """How many colours cover at least ``COMMON_SHARE`` of it."""
    soft_share: float
    """Share of soft steps among the steps between neighbouring pixels (blurred)."""
    ramp_share: float
    """Share of ramps among the steps between neighbouring pixels (unblurred)."""

    @property
    def dominated(self) -> bool:
        return (
            self.top_share >= MIN_TOP_SHARE
            and self.common_colours <= MAX_COMMON_COLOURS
            and (self.soft_share < MAX_SOFT_SHARE or self.ramp_share < MAX_RAMP_SHARE)
        )


def reduced_copy(pixels: RGBPixels) -> np.ndarray:
    """The area-averaged copy the figures are taken on (never enlarged)."""
    height, width = int(pixels.shape[0]), int(pixels.shape[1])
    factor = min(1.0, SIDE / max(width, height, 1))
    if factor >= 1.0:
        return np.asarray(pixels)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return np.asarray(Image.fromarray(np.asarray(pixels)).resize(size, Image.Resampling.BOX))


def layout_figures(reduced: np.ndarray) -> LayoutFigures:
    """The figures of a picture already reduced by ``reduced_copy`` (H x W x 3 uint8)."""
    quantised = reduced.astype(np.int32) * LEVELS // 256
    codes = (quantised[..., 0] * LEVELS + quantised[..., 1]) * LEVELS + quantised[..., 2]
    counts = np.bincount(codes.ravel(), minlength=LEVELS**3)
    total = max(1, int(codes.size))
    top_share = float(np.sort(counts)[::-1][:TOP_COLOURS].sum() / total)
    common = int((counts >= COMMON_SHARE * total).sum())
    blurred = np.asarray(Image.fromarray(np.ascontiguousarray(reduced)).filter(ImageFilter.BoxBlur(1)))
    grey = blurred.astype(np.float32).mean(axis=2)
    steps = np.concatenate([np.abs(np.diff(grey, axis=1)).ravel(), np.abs(np.diff(grey, axis=0)).ravel()])
    moving = steps > NOISE_STEP
    soft = float(((steps <= SOFT_STEP) & moving).sum() / max(1, int(moving.sum())))
    return LayoutFigures(top_share, common, soft, _ramp_share(reduced.astype(np.float32).mean(axis=2)))


def _ramp_share(grey: np.ndarray) -> float:
    ramps = moving = 0
    for steps in (np.diff(grey, axis=1), np.diff(grey, axis=0).T):
        first, then = steps[:, :-1], steps[:, 1:]
        soft_first = (np.abs(first) > NOISE_STEP) & (np.abs(first) <= SOFT_STEP)
        soft_then = (np.abs(then) > NOISE_STEP) & (np.abs(then) <= SOFT_STEP)
        ramps += int((soft_first & soft_then & (np.sign(first) == np.sign(then))).sum())
        moving += int((np.abs(first) > NOISE_STEP).sum())
    return ramps / max(1, moving)


def is_layout_dominated(pixels: RGBPixels) -> bool:
    """Whether no perceptual hash may decide for this picture (the module's rule)."""
    return layout_figures(reduced_copy(pixels)).dominated

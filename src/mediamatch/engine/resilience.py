"""The resilience stage: several hashes per picture, so flips, borders, screenshots and crops still match.

Two halves, both pure functions of decoded pixels that every front end shares (file
matching, the service, the scanner, video frames):

- query side, ``query_variants``: the picture's own hash, its dihedral variants (mirror
  images and quarter turns; free for algorithms that derive them from one transform, such
  as PDQ), and the hashes of the content boxes that ``content_box.content_boxes`` finds
  (the picture with uniform borders, letterbox bars or a caption bar removed, or the
  picture embedded in a screenshot or collage), each again with its dihedral variants.
  Works against any bank, including banks imported as hash lists.
- bank side, ``region_hashes``: hashes of fixed sub-regions of a bank image (``REGIONS``),
  stored with its entry when the bank is built from images, so a query that is a crop of
  the bank image meets a stored hash of nearly the same region. Needs the bank image.

A pair's distance is the smallest over every query variant and every stored hash of the
entry, so each extra hash raises the chance that unrelated pictures meet: thresholds for
a stage configuration must be calibrated with that configuration (``bench/robustness.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from mediamatch.algorithms import Dihedral, HashResult, ImageHashAlgorithm
from mediamatch.engine.content_box import Box, analysis_copy, content_boxes
from mediamatch.model import RGBPixels

ORIGINAL = "original"
STAGE_THRESHOLDS: Mapping[str, int] = {"gradgrid144": 119}
"""gradgrid144's threshold with the stage: its default, 139, keeps false matches at one per
million for one query hash against one stored hash; with up to two content boxes and four
crop windows against the stored hash and a stored region, a pair is compared up to 14
times, and ``bench/robustness.py`` puts the one-per-million point for that at 119 to 120
(two runs; we ship the lower). PDQ's default, 31, is far below its own such point (about
78), so it keeps its default."""


@dataclass(frozen=True, slots=True)
class Resilience:
    """Which parts of the stage run. ``Resilience.off()`` gives plain matching.

    ``dihedral_skip`` names algorithms left without dihedral variants: by default
    gradgrid144, which recomputes its grid for each of the eight (PDQ derives them from
    one DCT, almost free) and, matched beside PDQ, adds no flipped or turned picture that
    PDQ's variants do not already find; each variant also spends false-match budget.
    """

    dihedral: bool = True
    content_boxes: bool = True
    crop_windows: bool = True
    max_boxes: int = 2
    dihedral_skip: frozenset[str] = frozenset({"gradgrid144"})
    thresholds: Mapping[str, int] = field(default_factory=lambda: dict(STAGE_THRESHOLDS))
    """Default thresholds while the stage runs, for algorithms whose plain default would let
    the extra comparisons exceed one false match per million pairs; a bank's own threshold
    still wins."""

    @classmethod
    def off(cls) -> Resilience:
        return cls(dihedral=False, content_boxes=False, crop_windows=False)

    @property
    def enabled(self) -> bool:
        return self.dihedral or self.content_boxes or self.crop_windows


@dataclass(frozen=True, slots=True)
class QueryVariant:
    """One query hash: ``label`` says how it was derived (``original``, ``flipy``, ``box1/rotate90``,
    ``window4``)."""

    label: str
    result: HashResult


def _variants_of(
    pixels: RGBPixels, algorithm: ImageHashAlgorithm, prefix: str, dihedral: bool
) -> list[QueryVariant]:
    if not (dihedral and algorithm.has_dihedral):
        return [QueryVariant(prefix or ORIGINAL, algorithm.hash_pixels(pixels))]
    variants = []
    for turn, result in algorithm.hash_dihedral(pixels).items():
        name = turn.value if turn is not Dihedral.ORIGINAL else ""
        label = "/".join(part for part in (prefix, name) if part) or ORIGINAL
        variants.append(QueryVariant(label, result))
    return variants


def query_variants(
    pixels: RGBPixels,
    algorithms: Sequence[ImageHashAlgorithm],
    options: Resilience | None = None,
) -> dict[str, list[QueryVariant]]:
    """Query hashes of one decoded picture, by algorithm name.

    Each list starts with the plain hash (label ``original``, identical to
    ``algorithm.hash_pixels(pixels)``); with the stage off it is the only one. Dihedral
    variants are added only for algorithms that declare ``has_dihedral``. Content boxes
    are found once and hashed by every algorithm.
    """
    chosen = options or Resilience()
    names = {algorithm.name for algorithm in algorithms}
    windows = chosen.crop_windows and bool(names & REGION_ALGORITHMS)
    box_copy, factor, analysed = pixels, 1, pixels
    if chosen.content_boxes or windows:
        box_copy, factor = _reduced(pixels, BOX_SIDE)
        analysed = analysis_copy(box_copy)  # one reduction of the full picture serves every copy
    boxes = content_boxes(pixels, chosen.max_boxes, analysed) if chosen.content_boxes else []
    reduced = [_inward(box, factor).crop(box_copy) for box in boxes] if names & AVERAGING else []
    full = [box.crop(pixels) for box in boxes] if names - AVERAGING else []
    found: dict[str, list[QueryVariant]] = {}
    for algorithm in algorithms:
        turns = chosen.dihedral and algorithm.name not in chosen.dihedral_skip
        variants = _variants_of(pixels, algorithm, "", turns)
        for number, picture in enumerate(reduced if algorithm.name in AVERAGING else full, start=1):
            variants += _variants_of(picture, algorithm, f"box{number}", turns)
        if windows and algorithm.name in REGION_ALGORITHMS:
            large_enough = max(analysed.shape[0], analysed.shape[1]) >= WINDOW_SIDE
            variants += crop_windows(analysed if large_enough else box_copy, algorithm)
        found[algorithm.name] = variants
    return found


BOX_SIDE = 512
"""For ``AVERAGING`` algorithms, content boxes are hashed from a copy reduced by a whole factor to
at least this many pixels a side: a quarter of the work for a photo of 1,000 pixels a side."""
AVERAGING = frozenset({"gradgrid144"})
"""Algorithms that area-average a picture to a small grid first (gradgrid144: 96x96), so a box cut
from a reduced copy hashes nearly as from the full picture. PDQ's filters depend on the size, so
its boxes are cut from the full picture, keeping its hashes (and its false-match rate) as they were."""


def _reduced(pixels: RGBPixels, side: int) -> tuple[RGBPixels, int]:
    """The picture area-averaged by a whole factor to at least ``side`` pixels a side, and the factor."""
    factor = max(1, max(pixels.shape[0], pixels.shape[1]) // side)
    return (pixels if factor == 1 else np.asarray(Image.fromarray(pixels).reduce(factor))), factor


def _inward(box: Box, factor: int) -> Box:
    """``box`` in a copy reduced by ``factor``, its sides rounded inward (no copied pixel blends the
    box with what surrounds it), at least one pixel a side."""
    top, left = -(-box.top // factor), -(-box.left // factor)
    bottom, right = box.bottom // factor, box.right // factor
    return Box(top, left, max(bottom, top + 1), max(right, left + 1))


REGIONS: Mapping[str, tuple[float, float, float, float]] = {"centre80": (0.1, 0.1, 0.9, 0.9)}
"""Sub-regions stored with a bank image: (top, left, bottom, right) as shares of its height and width.

One region, the centre 80 % of each side, so that the bank grows by one hash an entry
per algorithm. Reasoning, not fitting: a crop that removes up to 20 % of each side,
split anyhow between the two sides, leaves a window whose edges lie within 10 % of the
centre region's, the same offset an uncropped hash meets with a 10 % crop, which
gradgrid144 tolerates by design (blurred gradients pooled in overlapping 6x6 cells). PDQ
tolerates only a few per cent, so for PDQ the region helps centred crops only.
"""


REGION_ALGORITHMS = frozenset({"gradgrid144"})
"""Algorithms whose region hashes are stored when a bank is built from images. gradgrid144
only: its region is what makes 20 % crops match, while a PDQ region would help centred
crops alone and take the bank past ten times plain PDQ's size (PDQ 32 bytes, gradgrid144
144 bytes, its region 144 bytes: 320 bytes an entry)."""


WINDOW_SHARE = 8 / 9
"""Side of a crop window as a share of the query's side. A crop that removes 10 % of a side
leaves 0.9 of it, and the stored centre region (0.8) is then 0.8 / 0.9 = 8/9 of the query,
somewhere in a free play of 1/9 of the query's side. Lesser crops leave the region a little
smaller than a window, within gradgrid144's tolerance."""
WINDOW_PLACES = (0.25, 0.75)
"""Where windows start, as shares of the free play: two points at a quarter and three quarters
leave a worst-case miss of a quarter of it (1/36 of the query's side, under 3 %), the same
as three points at its ends and middle, with 4 windows a query instead of 9."""
WINDOW_SIDE = 192
"""Windows are cut from a copy reduced by a whole factor to at least this many pixels a side
(twice the 96x96 that gradgrid144 averages to anyway): four windows at full size would cost
four full hashes."""


def crop_windows(pixels: RGBPixels, algorithm: ImageHashAlgorithm) -> list[QueryVariant]:
    """Hashes of 2x2 windows of ``WINDOW_SHARE`` of the picture (labels ``window0``-``window3``).

    Made to meet a stored centre region of the picture the query was cropped from; they are
    compared with every stored hash, and against the whole picture's hash they also catch
    small rotations (the window leaves out the black corners a turn adds) and thin frames."""
    small, _ = _reduced(pixels, WINDOW_SIDE)
    rows, cols = small.shape[0], small.shape[1]
    height, width = round(rows * WINDOW_SHARE), round(cols * WINDOW_SHARE)
    windows: list[QueryVariant] = []
    for y in WINDOW_PLACES:
        for x in WINDOW_PLACES:
            top, left = round(y * (rows - height)), round(x * (cols - width))
            box = Box(top, left, top + height, left + width)
            result = algorithm.hash_pixels(box.crop(small))
            windows.append(QueryVariant(f"window{len(windows)}", result))
    return windows


def region_box(pixels: RGBPixels, region: tuple[float, float, float, float]) -> Box:
    """The pixel box of a region given as shares of the image's height and width."""
    rows, cols = pixels.shape[0], pixels.shape[1]
    top, left, bottom, right = region
    return Box(round(top * rows), round(left * cols), round(bottom * rows), round(right * cols))


def region_hashes(
    pixels: RGBPixels,
    algorithm: ImageHashAlgorithm,
    regions: Mapping[str, tuple[float, float, float, float]] = REGIONS,
) -> dict[str, HashResult]:
    """Hashes of each region of a bank image, to store beside the entry's own hash."""
    return {
        name: algorithm.hash_pixels(region_box(pixels, region).crop(pixels))
        for name, region in regions.items()
    }

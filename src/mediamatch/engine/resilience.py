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
  stored with its entry when the bank is built from images. Needs the bank image.
- crop windows, ``crop_windows``: query hashes placed wherever the stored region can lie
  in a crop of the bank image (``WINDOWS``), compared with stored regions only.

A pair's distance is the smallest over every query variant and every stored hash it is
compared with, so each extra hash raises the chance that unrelated pictures meet: thresholds for
a stage configuration must be calibrated with that configuration (``bench/robustness.py``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from mediamatch.algorithms import Dihedral, HashResult, ImageHashAlgorithm
from mediamatch.engine.content_box import Box, analysis_copy, content_boxes
from mediamatch.model import RGBPixels

ORIGINAL = "original"
NEGATIVE = "negative"
STAGE_THRESHOLDS: Mapping[str, int] = {"gradgrid144": 103}
"""gradgrid144's threshold with the stage: its default, 139, keeps false matches at one per
million for one query hash against one stored hash. With the stage a pair is compared up to
56 times (the query's own hash and up to two content boxes against the stored hash and the
stored region, and 50 crop windows against the region), and ``bench/robustness.py`` puts the
one-per-million point for that at 103 to 104; we ship the lower. PDQ's default, 31, is far
below its own such point (about 78), so it keeps its default."""


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
    negatives: bool = True
    """The colour negative's hash (label ``negative``) for algorithms that derive it; a match
    through it must be verified (``engine.verification``)."""
    tiles: bool = True
    """Hashes of the picture's four quarters (labels ``tile1`` to ``tile4``), with the algorithms of
    ``TILE_ALGORITHMS``: a picture shown as one tile of a collage. Must be verified."""
    small_turns: tuple[float, ...] = (-8.0, -4.0, 4.0, 8.0)
    """Hashes of the picture turned by these degrees (labels ``turn-8`` to ``turn+8``), with the
    algorithms of ``TILE_ALGORITHMS``: a picture turned up to about 10 degrees comes within 2 of
    one of them (or of the picture itself). Must be verified."""
    max_boxes: int = 2
    dihedral_skip: frozenset[str] = frozenset({"gradgrid144"})
    thresholds: Mapping[str, int] = field(default_factory=lambda: dict(STAGE_THRESHOLDS))
    """Default thresholds while the stage runs, for algorithms whose plain default would let
    the extra comparisons exceed one false match per million pairs; a bank's own threshold
    still wins."""

    @classmethod
    def off(cls) -> Resilience:
        return cls(
            dihedral=False,
            content_boxes=False,
            crop_windows=False,
            negatives=False,
            tiles=False,
            small_turns=(),
        )

    @property
    def enabled(self) -> bool:
        return (
            self.dihedral
            or self.content_boxes
            or self.crop_windows
            or self.negatives
            or self.tiles
            or bool(self.small_turns)
        )


@dataclass(frozen=True, slots=True)
class QueryVariant:
    """One query hash: ``label`` says how it was derived (``original``, ``flipy``, ``box1/rotate90``,
    ``window80/4``)."""

    label: str
    result: HashResult

    @property
    def regions_only(self) -> bool:
        """True for crop windows: they are sized to meet a stored region hash and are compared
        with those only (against a whole picture's hash they would only add false matches).
        Read from the label, so variants kept in a case database keep the rule."""
        return self.label.startswith(WINDOW_PREFIX)


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
    """Query hashes of one decoded picture, by algorithm name (``query_views`` without the parts)."""
    return query_views(pixels, algorithms, options)[0]


def query_views(
    pixels: RGBPixels,
    algorithms: Sequence[ImageHashAlgorithm],
    options: Resilience | None = None,
) -> tuple[dict[str, list[QueryVariant]], dict[str, Box]]:
    """Query hashes of one decoded picture, by algorithm name, and the parts of the picture that
    some of them were made from (``box1``, ``tile3``: by the first part of a variant's label), for
    verification to look at the same part.

    Each list starts with the plain hash (label ``original``, identical to
    ``algorithm.hash_pixels(pixels)``); with the stage off it is the only one. Dihedral
    variants are added only for algorithms that declare ``has_dihedral``. Content boxes
    are found once and hashed by every algorithm.
    """
    chosen = options or Resilience()
    names = {algorithm.name for algorithm in algorithms}
    box_copy, factor, analysed = pixels, 1, pixels
    if chosen.content_boxes or chosen.small_turns:  # one reduction of the full picture serves every copy
        box_copy, factor = _reduced(pixels, BOX_SIDE)
    if chosen.content_boxes:
        analysed = analysis_copy(box_copy)
    boxes = content_boxes(pixels, chosen.max_boxes, analysed) if chosen.content_boxes else []
    parts = {f"box{number}": box for number, box in enumerate(boxes, start=1)}
    tiles = _tiles(pixels) if chosen.tiles and names & TILE_ALGORITHMS else {}
    parts.update(tiles)
    reduced = [_inward(box, factor).crop(box_copy) for box in boxes] if names & AVERAGING else []
    full = [box.crop(pixels) for box in boxes] if names - AVERAGING else []
    found: dict[str, list[QueryVariant]] = {}
    for algorithm in algorithms:
        turns = chosen.dihedral and algorithm.name not in chosen.dihedral_skip
        windows = chosen.crop_windows and algorithm.name in REGION_ALGORITHMS
        window_variants: list[QueryVariant] = []
        if windows and not (turns and algorithm.has_dihedral):
            plain, results = algorithm.hash_pixels_and_windows(pixels, LAYOUTS)  # one pass over the picture
            variants, window_variants = [QueryVariant(ORIGINAL, plain)], _labelled(results)
        else:
            variants = _variants_of(pixels, algorithm, "", turns)
            if windows:
                window_variants = crop_windows(box_copy, algorithm)
        if windows and chosen.dihedral:  # a mirrored crop: the windows of the mirror image
            mirrored = np.ascontiguousarray(_reduced(pixels, BOX_SIDE)[0][:, ::-1])
            window_variants += _labelled(algorithm.hash_windows(mirrored, LAYOUTS), MIRRORED_SUFFIX)
        if chosen.negatives and algorithm.has_negative:
            variants.append(QueryVariant(NEGATIVE, algorithm.negative(variants[0].result)))
        for number, picture in enumerate(reduced if algorithm.name in AVERAGING else full, start=1):
            variants += _variants_of(picture, algorithm, f"box{number}", turns)
        if algorithm.name in TILE_ALGORITHMS and algorithm.is_usable(
            variants[0].result
        ):  # not of flat pictures
            variants += [
                QueryVariant(name, algorithm.hash_pixels(box.crop(pixels))) for name, box in tiles.items()
            ]
            variants += [
                QueryVariant(f"{TURN_PREFIX}{degrees:+g}", algorithm.hash_pixels(_turned(box_copy, degrees)))
                for degrees in chosen.small_turns
            ]
        found[algorithm.name] = variants + window_variants
    return found, parts


TILE_ALGORITHMS = frozenset({"pdq"})
"""Algorithms that hash the stage's tiles and small turns (PDQ: its hash of a quarter costs about a
quarter of the picture's; each turned copy is hashed from the reduced copy)."""
TILE_PREFIX = "tile"
TURN_PREFIX = "turn"


def _tiles(pixels: RGBPixels) -> dict[str, Box]:
    """The picture's four quarters, left to right and top to bottom."""
    rows, cols = pixels.shape[0], pixels.shape[1]
    middle_row, middle_col = rows // 2, cols // 2
    quarters = [
        Box(0, 0, middle_row, middle_col),
        Box(0, middle_col, middle_row, cols),
        Box(middle_row, 0, rows, middle_col),
        Box(middle_row, middle_col, rows, cols),
    ]
    return {f"{TILE_PREFIX}{number}": box for number, box in enumerate(quarters, start=1) if box.area > 0}


def _turned(pixels: RGBPixels, degrees: float) -> RGBPixels:
    """The picture turned by ``degrees`` (anticlockwise) about its centre within its own frame,
    uncovered corners black: a picture turned within its frame, turned back."""
    rows, cols = pixels.shape[0], pixels.shape[1]
    matrix = cv2.getRotationMatrix2D(((cols - 1) / 2, (rows - 1) / 2), degrees, 1.0)
    return np.ascontiguousarray(cv2.warpAffine(np.ascontiguousarray(pixels), matrix, (cols, rows)))


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


REGION = (0.2, 0.2, 0.8, 0.8)
REGIONS: Mapping[str, tuple[float, float, float, float]] = {"centre60": REGION}
"""Sub-regions stored with a bank image: (top, left, bottom, right) as shares of its height and width.

One region, the centre 60 % of each side, so that the bank grows by one hash an entry per
algorithm. Reasoning, not fitting: a crop that keeps at least 80 % of each side, wherever
it falls, still contains the whole of the centre 60 %, so the query holds every pixel of
the stored region; ``crop_windows`` then looks for it. A larger region (80 %) is contained
only in crops placed near the centre."""


REGION_ALGORITHMS = frozenset({"gradgrid144"})
"""Algorithms whose region hashes are stored when a bank is built from images. gradgrid144
only: it tolerates the few per cent by which a window misses the region, where PDQ would
need many more windows; a PDQ region would also take the bank past ten times plain PDQ's
size (PDQ 32 bytes, gradgrid144 144 bytes, its region 144 bytes: 320 bytes an entry)."""


WINDOW_PREFIX = "window"
WINDOW_KEPT = (0.8, 0.85, 0.9)
"""Crops the windows are sized for, as the share of each side a crop keeps: the stored region
is then ``0.6 / kept`` of the query's side (0.75, 0.71, 0.67). gradgrid144 tolerates about
3 % of scale, so steps of 0.05 in the kept share leave no crop between 80 % and 90 % beyond
reach; crops that keep more than 90 % match the whole picture's hash."""
WINDOW_STEP = 1 / 16
"""Spacing of window corners, as a share of the query's side, over every place the region
can take: the worst miss is half a step (3 % of a side), which gradgrid144 tolerates;
measured on real photos, steps of 1/8 found half the 20 % crops and steps of 1/16 nearly all."""


def _places(low: float, high: float) -> list[float]:
    count = max(1, math.ceil((high - low) / WINDOW_STEP - 1e-9) + 1)
    return [low + (high - low) * n / (count - 1) for n in range(count)] if count > 1 else [low]


def window_plan(
    region: tuple[float, float, float, float] = REGION, kept_shares: Sequence[float] = WINDOW_KEPT
) -> list[tuple[float, float, list[tuple[float, float]]]]:
    """(kept share, window share, corners) per crop size: every corner, as shares of the query's
    height and width, at which the stored centre ``region`` can lie in a crop keeping
    ``kept`` of each side and still containing it, spaced ``WINDOW_STEP`` apart. The region
    spans the same shares on both axes (its top and bottom are read)."""
    start, _, stop, _ = region
    plan = []
    for kept in kept_shares:
        lowest_cut, highest_cut = max(0.0, stop - kept), min(1 - kept, start)
        low, high = (start - highest_cut) / kept, (start - lowest_cut) / kept
        places = _places(low, high)
        plan.append((kept, (stop - start) / kept, [(top, left) for top in places for left in places]))
    return plan


WINDOWS = window_plan()


LAYOUTS = [(share, corners) for _, share, corners in WINDOWS]


MIRRORED_SUFFIX = "/mirrored"


def _labelled(results: Sequence[Sequence[HashResult]], suffix: str = "") -> list[QueryVariant]:
    """Window hashes per layout of ``WINDOWS`` as variants labelled ``window<kept %>/<n>`` (and
    ``suffix``: ``/mirrored`` for the windows of the mirror image)."""
    windows: list[QueryVariant] = []
    for (kept, _, _), layout in zip(WINDOWS, results, strict=True):
        prefix = f"{WINDOW_PREFIX}{round(kept * 100)}/"
        windows += [QueryVariant(f"{prefix}{n}{suffix}", result) for n, result in enumerate(layout)]
    return windows


def crop_windows(pixels: RGBPixels, algorithm: ImageHashAlgorithm) -> list[QueryVariant]:
    """Hashes of the windows of ``WINDOWS``, labelled ``window<kept %>/<n>`` (``window80/0``).

    Made to meet the stored centre region of the picture a query was cropped from, and
    compared with stored regions only (``QueryVariant.regions_only``). A picture larger than
    about ``BOX_SIDE`` is first reduced."""
    return _labelled(algorithm.hash_windows(_reduced(pixels, BOX_SIDE)[0], LAYOUTS))


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

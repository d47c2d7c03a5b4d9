"""Local features for verifying candidate matches: ORB keypoints and a geometric check.

A perceptual hash summarises a whole picture, so pictures that share a layout (pages of one
site, screens of one app, charts of one library, periodic patterns) come within its threshold
of each other. Local features tell them apart: a copy of a bank picture holds the bank
picture's distinctive corners *in the same arrangement*, up to one geometric transform, over
most of the picture; pages of one template share only the template's corners.

- ``bank_keypoints`` keeps at most ``BANK_KEYPOINTS`` distinctive keypoints of a bank picture,
  spread over it (``to_bytes`` stores them in ``ENTRY_BYTES`` bytes at most);
- ``query_keypoints`` keeps up to ``QUERY_KEYPOINTS`` of an uploaded picture, in one *view*
  (``View``: as it is, mirrored, or as its colour negative, since ORB's descriptors are neither
  mirror- nor polarity-invariant);
- ``verify`` matches the two sets (mutual ratio test), fits one affine transform by RANSAC and
  says how many bank keypoints it explains and how much of the bank picture they cover.

Everything works on a grey copy reduced by area to ``SIDE`` pixels on its long side, so the
figures (pixels of reprojection error, patch sizes) do not depend on the upload's size.
Deterministic for the same pixels and the same OpenCV build.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

import cv2
import numpy as np

from mediamatch.errors import InvalidHash
from mediamatch.model import RGBPixels

SIDE = 512
"""Long side, in pixels, of the grey copy that features are found on."""
MIN_SIDE = 48
"""Pictures whose short side is smaller than this (after reduction) get no keypoints."""
BANK_KEYPOINTS = 96
"""Most keypoints stored for a bank picture: 36 bytes each (``to_bytes``), 3,460 bytes at most."""
QUERY_KEYPOINTS = 1500
DETECTED = 1000
"""Keypoints ORB is asked for on a bank picture before the distinctive ones are chosen."""
SELF_SIMILAR_BITS = 40
"""A bank keypoint is dropped when another keypoint of the same picture, elsewhere, has a
descriptor within this many bits: on periodic patterns, text in one font and repeated
interface elements such keypoints would be matched by any picture sharing the element."""
GRID = 4
"""Cover is counted over a GRID x GRID division of the bank picture."""
FORMAT = 1
EDGE = 16
"""ORB's border, in pixels: no keypoint is found closer than this to a picture's edge."""
_MATCHER = cv2.BFMatcher(cv2.NORM_HAMMING)
ENTRY_BYTES = 4 + 36 * BANK_KEYPOINTS


class View(enum.Enum):
    """How a query picture is looked at before its keypoints are found."""

    PLAIN = "plain"
    MIRRORED = "mirrored"
    NEGATIVE = "negative"


@dataclass(frozen=True, slots=True)
class Keypoints:
    """Keypoint positions (``xy``: N x 2 float32, shares of the picture's width and height, in
    [0, 1]) and their 256-bit ORB descriptors (``descriptors``: N x 32 uint8), with the reduced
    picture's ``size`` (width, height) that positions were measured in."""

    xy: np.ndarray
    descriptors: np.ndarray
    size: tuple[int, int]

    def __len__(self) -> int:
        return int(self.xy.shape[0])

    @classmethod
    def empty(cls, size: tuple[int, int] = (0, 0)) -> Keypoints:
        return cls(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8), size)

    def to_bytes(self) -> bytes:
        """``FORMAT``, the reduced size and each keypoint as two uint16 shares of 65,535 and its
        descriptor: ``4 + 36 * N`` bytes (the size is kept only to its aspect)."""
        width, height = self.size
        aspect = min(65_535, round(width / max(1, height) * 4096))
        head = struct.pack("<BBH", FORMAT, len(self), aspect)
        places = np.round(np.clip(self.xy, 0, 1) * 65_535).astype("<u2")
        body = np.concatenate([places.view(np.uint8).reshape(-1, 4), self.descriptors], axis=1)
        return head + body.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Keypoints:
        """Inverse of ``to_bytes``; ``InvalidHash`` for anything it did not write."""
        if len(data) < 4 or (len(data) - 4) % 36:
            raise InvalidHash(f"keypoints: {len(data)} bytes is not a keypoint record")
        version, count, aspect = struct.unpack_from("<BBH", data)
        if version != FORMAT or len(data) != 4 + 36 * count or aspect == 0:
            raise InvalidHash("keypoints: unknown record format")
        body = np.frombuffer(data, np.uint8, offset=4).reshape(count, 36)
        xy = body[:, :4].copy().view("<u2").astype(np.float32) / 65_535
        width = SIDE if aspect >= 4096 else round(SIDE * aspect / 4096)
        height = SIDE if aspect <= 4096 else round(SIDE * 4096 / aspect)
        return cls(xy.reshape(count, 2), body[:, 4:].copy(), (width, height))


def grey_copy(pixels: RGBPixels, side: int = SIDE, enlarge: bool = False) -> np.ndarray:
    """A grey copy to find features on: luma, its long side reduced by area to ``side`` pixels
    (with ``enlarge``, a smaller picture is enlarged to it too, bilinearly)."""
    return resized(cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_RGB2GRAY), side, enlarge)


def resized(grey: np.ndarray, side: int, enlarge: bool = False) -> np.ndarray:
    """A grey picture with its long side brought to ``side`` (reduced by area; enlarged bilinearly
    only with ``enlarge``)."""
    height, width = grey.shape
    scale = side / max(height, width)
    if scale < 1 or (enlarge and scale > 1):
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    return np.ascontiguousarray(grey)


def _seen(grey: np.ndarray, view: View) -> np.ndarray:
    if view is View.MIRRORED:
        return np.ascontiguousarray(grey[:, ::-1])
    if view is View.NEGATIVE:
        return 255 - grey
    return grey


def _detect(grey: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    if min(grey.shape) < MIN_SIDE:
        return np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8)
    orb = cv2.ORB.create(nfeatures=limit, scaleFactor=1.2, nlevels=8, edgeThreshold=EDGE, fastThreshold=12)
    found, descriptors = orb.detectAndCompute(grey, None)
    if descriptors is None or not found:
        return np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8)
    xy = np.array([point.pt for point in found], np.float32)
    order = np.argsort([-point.response for point in found], kind="stable")
    return xy[order], descriptors[order]


def _shares(xy: np.ndarray, grey: np.ndarray) -> np.ndarray:
    height, width = grey.shape
    return (xy / np.array([width, height], np.float32)).astype(np.float32)


def query_keypoints(grey: np.ndarray, view: View = View.PLAIN) -> Keypoints:
    """Up to ``QUERY_KEYPOINTS`` keypoints of an uploaded picture's ``grey_copy`` seen in ``view``,
    strongest first; positions are in the view's own frame (a mirrored view's x runs the other way)."""
    seen = _seen(grey, view)
    xy, descriptors = _detect(seen, QUERY_KEYPOINTS)
    return Keypoints(_shares(xy, seen), descriptors, (seen.shape[1], seen.shape[0]))


def bank_keypoints(pixels: RGBPixels) -> Keypoints:
    """The distinctive keypoints of a bank picture, at most ``BANK_KEYPOINTS``, spread over it.

    Keypoints whose descriptor recurs elsewhere in the picture (``SELF_SIMILAR_BITS``) are dropped;
    of the rest, ``CENTRE_KEYPOINTS`` are taken from the centre and the others from the whole
    picture, each set strongest first from each cell of a grid in turn (``_spread``). A flat or
    purely periodic picture keeps few or none: it cannot be verified, and ``verify`` says so.
    """
    grey = grey_copy(pixels)
    xy, descriptors = _detect(grey, DETECTED)
    if not len(xy):
        return Keypoints.empty((grey.shape[1], grey.shape[0]))
    distinctive = np.ones(len(xy), bool)
    for found in _MATCHER.radiusMatch(descriptors, descriptors, maxDistance=SELF_SIMILAR_BITS + 0.5):
        for other in found:
            if np.hypot(*(xy[other.queryIdx] - xy[other.trainIdx])) > 8:
                distinctive[other.queryIdx] = False
                break
    shares = _shares(xy, grey)
    if distinctive.sum() < MIN_DISTINCTIVE:  # nothing to verify a copy by: record only what there is
        few = np.flatnonzero(distinctive)
        return Keypoints(shares[few], descriptors[few], (grey.shape[1], grey.shape[0]))
    chosen = _choose(shares, np.flatnonzero(distinctive), BANK_KEYPOINTS // 2)
    chosen += _choose(shares, np.setdiff1d(np.arange(len(shares)), chosen), BANK_KEYPOINTS - len(chosen))
    picked = np.array(sorted(chosen), dtype=np.int64)
    return Keypoints(shares[picked], descriptors[picked], (grey.shape[1], grey.shape[0]))


MIN_DISTINCTIVE = 24
"""A bank picture with fewer distinctive keypoints keeps only those, too few to be verified by."""


def _choose(shares: np.ndarray, candidates: np.ndarray, count: int) -> list[int]:
    """``count`` of ``candidates`` spread over the picture, a third of them in its centre."""
    inside = np.all((shares[candidates] >= CENTRE[0]) & (shares[candidates] <= CENTRE[1]), axis=1)
    chosen = _spread(shares, candidates[inside], CENTRE, count // 3)
    rest = np.setdiff1d(candidates, chosen)
    return chosen + _spread(shares, rest, (0.0, 1.0), count - len(chosen))


CENTRE = (0.2, 0.8)
"""A third of a bank picture's keypoints are chosen inside its centre 60 % (where the resilience
stage's stored region lies), so that a deep crop, which shows little more than that, still
shows enough of them to be verified."""


def _spread(shares: np.ndarray, candidates: np.ndarray, span: tuple[float, float], count: int) -> list[int]:
    """Up to ``count`` of ``candidates`` (indexes, strongest first), taken in turn from each cell of
    a ``GRID`` x ``GRID`` division of ``span`` (on both axes), so no busy corner crowds out the rest."""
    low, high = span
    cells = np.clip(((shares[candidates] - low) / (high - low) * GRID).astype(np.int64), 0, GRID - 1)
    cell_of = cells[:, 1] * GRID + cells[:, 0]
    queues = [candidates[cell_of == cell].tolist() for cell in range(GRID * GRID)]
    chosen: list[int] = []
    while len(chosen) < count and any(queues):
        for queue in queues:
            if queue and len(chosen) < count:
                chosen.append(queue.pop(0))
    return chosen


@dataclass(frozen=True, slots=True)
class Verification:
    """What ``verify`` found for one pair.

    ``inliers``: bank keypoints that one affine transform maps onto matching query keypoints, out
    of ``bank_keypoints``; ``visible``: bank keypoints that the transform places inside the query's
    frame (a crop shows only part of the bank picture); ``cover``: the share of the grid cells
    holding visible bank keypoints that hold an inlier; ``plausible``: whether the transform is
    one an edit makes. A copy explains most of what it shows of the bank picture; a sibling of one
    template explains the template's part only.
    """

    inliers: int
    bank_keypoints: int
    visible: int
    cover: float
    plausible: bool
    confirmed: int = 0
    """Visible bank keypoints for which the query has a keypoint with a like descriptor where the
    transform puts them, repeated ones (glyphs of one font, cells of a grid) included: a copy
    confirms nearly all it shows; a sibling of one template only the template's."""

    @classmethod
    def none(cls, bank: Keypoints) -> Verification:
        return cls(0, len(bank), 0, 0.0, False)


CONFIRM_BITS = 48
"""A bank keypoint is confirmed where the query has a keypoint this close in descriptor at the place
the transform puts it (no ratio test: the place is known)."""
RATIO = 0.8
"""Lowe's ratio test: a bank keypoint's best query match must be this much closer than its second."""
MAX_BITS = 64
REPROJECTION = 0.02
"""RANSAC's inlier distance, as a share of the query's long side (10 pixels at ``SIDE``)."""


def _plausible(transform: np.ndarray) -> bool:
    """An affine map from bank pixels to query pixels that an edit could make: not degenerate,
    not mirrored (mirrors are matched through their own view), stretched less than 3:1 and
    scaled between 1/8 and 8."""
    linear = transform[:, :2]
    if np.linalg.det(linear) <= 0:
        return False
    singular = np.linalg.svd(linear, compute_uv=False)
    return bool(singular[1] > 0 and singular[0] / singular[1] < 3 and singular[1] > 1 / 8 and singular[0] < 8)


def verify(bank: Keypoints, query: Keypoints) -> Verification:
    """Match ``bank`` against ``query`` and fit one affine transform to the matches."""
    if len(bank) == 0 or len(query) < 2:
        return Verification.none(bank)
    pairs = _MATCHER.knnMatch(bank.descriptors, query.descriptors, k=2)
    rows, targets = [], []
    for found in pairs:
        if (
            len(found) == 2
            and found[0].distance <= MAX_BITS
            and found[0].distance < RATIO * found[1].distance
        ):
            rows.append(found[0].queryIdx)
            targets.append(found[0].trainIdx)
    # One query keypoint explains one bank keypoint at most (periodic content maps many onto one).
    unique, counts = np.unique(targets, return_counts=True)
    single = set(unique[counts == 1].tolist())
    keep = np.zeros(len(bank), bool)
    chosen = np.zeros(len(bank), np.int64)
    for row, partner in zip(rows, targets, strict=True):
        if partner in single:
            keep[row], chosen[row] = True, partner
    if keep.sum() < 4:
        return Verification.none(bank)
    bank_size = np.array(bank.size, np.float32)
    query_size = np.array(query.size, np.float32)
    source = bank.xy[keep] * bank_size
    target = query.xy[chosen[keep]] * query_size
    transform, mask = cv2.estimateAffine2D(
        source,
        target,
        method=cv2.RANSAC,
        ransacReprojThreshold=REPROJECTION * float(query_size.max()),
        maxIters=2000,
        confidence=0.995,
        refineIters=10,
    )
    if transform is None or mask is None:
        return Verification.none(bank)
    inlying = mask.ravel().astype(bool)
    placed = (bank.xy * bank_size) @ transform[:, :2].T + transform[:, 2]
    # ORB finds nothing within EDGE pixels of a picture's border: such places show nothing to match
    inside = np.all((placed >= EDGE) & (placed <= query_size - EDGE), axis=1)
    cells = np.minimum((bank.xy * GRID).astype(np.int64), GRID - 1)
    shown = {(int(x), int(y)) for x, y in cells[inside]}
    held = {(int(x), int(y)) for x, y in cells[np.flatnonzero(keep)[inlying]]}
    radius = REPROJECTION * float(query_size.max())
    return Verification(
        int(inlying.sum()),
        len(bank),
        int(inside.sum()),
        len(held & shown) / max(1, len(shown)),
        _plausible(transform),
        _confirmed(bank, query, placed, inside, radius),
    )


def _confirmed(
    bank: Keypoints, query: Keypoints, placed: np.ndarray, inside: np.ndarray, radius: float
) -> int:
    """How many visible bank keypoints have a query keypoint within ``radius`` pixels of where the
    transform places them whose descriptor is within ``CONFIRM_BITS``."""
    wanted = np.flatnonzero(inside)
    if not len(wanted):
        return 0
    spots = query.xy * np.array(query.size, np.float32)
    near = np.linalg.norm(placed[wanted][:, None, :] - spots[None, :, :], axis=2) <= radius
    left = np.ascontiguousarray(bank.descriptors[wanted]).view(np.uint64)
    right = np.ascontiguousarray(query.descriptors).view(np.uint64)
    bits = np.bitwise_count(left[:, None, :] ^ right[None, :, :]).sum(axis=2)
    return int((near & (bits <= CONFIRM_BITS)).any(axis=1).sum())

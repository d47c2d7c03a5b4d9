"""Verification: what a candidate found by a hash must show before it is reported as a match.

A hash hit says two pictures *look alike as a whole*; pages of one template, screens of one app
and codes of one generator do, and so, through the resilience stage's crop windows, content boxes
and regions, do pictures that only share a texture. When a bank was built from images, each
picture's distinctive keypoints are stored with its entries (``algorithms.keypoints``), and a
candidate must show them: enough of the bank picture's keypoints found in the query in one
geometric arrangement (``keypoints.verify``), spread over most of the bank picture.

The rule, one for every front end (``Verdict`` names the outcomes):

- the entry has keypoints and the query can be looked at: the candidate is reported only if it
  is ``VERIFIED``, whatever path found it, within the wider ``CANDIDATE_THRESHOLDS``;
- otherwise (a hash list, a bank picture too flat or periodic to have distinctive keypoints, a
  query that is too small, or hashes sent without pixels) only the hash decides, at the bank's
  thresholds; for an entry built from an image only the algorithms of ``TRUSTED_ALONE`` may;
  and the paths that only verification can vouch for (``needs_verification``: stored regions,
  crop windows, colour negatives, tiles, small turns) report nothing.

Calibration: the thresholds below come from pairs of the hard-negative corpus that the
benchmark's tables do not use (pictures of one template and across classes) and from corpus
photos under the edit suite; see ``docs/precision.md``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping

import numpy as np

from mediamatch.algorithms.keypoints import (
    SIDE,
    Keypoints,
    View,
    grey_copy,
    query_keypoints,
    resized,
    verify,
)
from mediamatch.engine.content_box import Box
from mediamatch.engine.layout import layout_figures, reduced_copy
from mediamatch.engine.resilience import NEGATIVE, TILE_PREFIX, TURN_PREFIX, WINDOW_PREFIX
from mediamatch.errors import MediamatchError
from mediamatch.model import RGBPixels

MIN_BANK_KEYPOINTS = 24
"""A bank picture with fewer distinctive keypoints than this cannot be verified."""
MIN_QUERY_SIDE = 200
"""A query whose long side is shorter than this many pixels is not looked at (too little detail
survives to tell a copy from a sibling); the hash alone decides for it."""
MIN_INLIERS = 8
MIN_VISIBLE = 0.25
MIN_INLIER_SHARE = 0.3
MIN_COVER = 0.6
MIN_CONFIRMED = 0.5
"""A verified candidate explains at least ``MIN_INLIERS`` bank keypoints with one transform that
places at least ``MIN_VISIBLE`` of the bank picture's keypoints inside the query; the inliers are
at least ``MIN_INLIER_SHARE`` of those visible ones and lie in at least ``MIN_COVER`` of the grid
cells they occupy; and at least ``MIN_CONFIRMED`` of the visible ones, repeated ones included, are
found where the transform puts them (``Verification.confirmed``), which siblings of one template
confirm only where the template lies. Unrelated pictures that share no template showed at most 5
inliers; a copy explains most of what it shows."""
CANDIDATE_THRESHOLDS: Mapping[str, int] = {"pdq": 70, "gradgrid144": 139}
"""How far a hash may be from an entry with keypoints for the pair to be verified: far wider than
the thresholds for hash-only decisions, since verification, not distance, decides."""


TRUSTED_ALONE = frozenset({"pdq"})
"""Algorithms whose hash alone may decide for an entry built from an image when verification cannot
(a flat, periodic or tiny picture on either side). gradgrid144 may not: on the hard negatives of
``bench/precision.py`` its hash calls unrelated periodic, near-flat and icon pictures copies far
more often than PDQ's at Meta's threshold, and a bank built from images always holds the PDQ hash
too. Entries imported as gradgrid144 hash lists are still decided by it (there is nothing else)."""


class Verdict(enum.Enum):
    VERIFIED = "verified"
    REFUTED = "refuted"
    UNVERIFIABLE = "unverifiable"


def needs_verification(label: str) -> bool:
    """Paths a hash alone must never report: stored regions (``~``), crop windows, colour negatives,
    tiles and small turns."""
    first = label.split("/")[0]
    return (
        "~" in label
        or label.startswith((WINDOW_PREFIX, TILE_PREFIX, TURN_PREFIX))
        or NEGATIVE in label.split("/")
        or first.startswith(TILE_PREFIX)
    )


NATIVE = 0
SCALES = (NATIVE, SIDE, 2 * SIDE)
"""Scales at which a query is looked at, in this order, as the long side in pixels: ``NATIVE``,
its own size (reduced to ``SIDE`` if larger), where a crop shows the bank picture's detail at the
bank picture's own scale; ``SIDE``, a smaller upload enlarged to the bank pictures' scale (a
downscaled copy); twice that, where a copy that fills only part of the query (a tile, an inset,
a story) shows enough detail. A scale that gives the same copy as an earlier one is skipped."""


class QueryPicture:
    """What verification looks at of one query: its grey copy at the largest of ``SCALES`` (its
    long side before that: ``source_side``), a small colour copy for ``layout_dominated`` and,
    made on first use and then kept, its keypoints in each view at each scale.

    Build with ``of`` (from decoded pixels) or ``later`` (from a loader called on first use, at
    most once: a scan reads evidence again only for files that have a candidate to look at).
    """

    def __init__(
        self,
        pixels: RGBPixels | None = None,
        *,
        parts: Mapping[str, Box] | None = None,
        load: Callable[[], RGBPixels | None] | None = None,
        made: dict[tuple[View, int, str], Keypoints] | None = None,
        source_side: int = 0,
    ) -> None:
        self._load = load
        self._grey: np.ndarray | None = None
        self._small: np.ndarray | None = None
        self._layout: dict[str, bool] = {}
        self._parts = dict(parts or {})
        self.source_side = source_side
        self.made: dict[tuple[View, int, str], Keypoints] = dict(made or {})
        if pixels is not None:
            self._take(pixels)

    @classmethod
    def of(cls, pixels: RGBPixels, parts: Mapping[str, Box] | None = None) -> QueryPicture:
        """From decoded pixels; ``parts``: the boxes some query hashes were made from, by name
        (``engine.resilience.query_views``), looked at on their own for candidates found through them."""
        return cls(pixels, parts=parts)

    @classmethod
    def later(cls, load: Callable[[], RGBPixels | None]) -> QueryPicture:
        """A picture read by ``load`` when first needed; None from it (or a domain error) leaves the
        query unusable, so the hash alone decides."""
        return cls(load=load)

    def _take(self, pixels: RGBPixels) -> None:
        self.source_side = int(max(pixels.shape[0], pixels.shape[1]))
        self._grey = grey_copy(pixels, SCALES[-1], enlarge=True)
        self._small = reduced_copy(pixels)

    def _loaded(self) -> None:
        load, self._load = self._load, None
        if load is not None:
            try:
                pixels = load()
            except MediamatchError:
                pixels = None
            if pixels is not None:
                self._take(pixels)

    @property
    def usable(self) -> bool:
        self._loaded()
        return self.source_side >= MIN_QUERY_SIDE

    def _part(self, name: str) -> tuple[np.ndarray, int] | None:
        """The grey copy of the whole picture (``name`` empty) or of one part, and the part's long
        side in the upload's own pixels."""
        if self._grey is None:
            return None
        if not name:
            return self._grey, self.source_side
        box = self._parts.get(name)
        if box is None:
            return None
        side = max(box.bottom - box.top, box.right - box.left)
        return self._cut(self._grey, box), side

    def _cut(self, copy: np.ndarray, box: Box) -> np.ndarray:
        """``box``, in the upload's own pixels, cut from ``copy``, a reduced copy of the whole picture."""
        factor = max(copy.shape[:2]) / max(1, self.source_side)
        top, left = round(box.top * factor), round(box.left * factor)
        bottom, right = max(top + 1, round(box.bottom * factor)), max(left + 1, round(box.right * factor))
        return np.ascontiguousarray(copy[top:bottom, left:right])

    def keypoints(self, view: View, scale: int = NATIVE, part: str = "") -> Keypoints:
        """Keypoints of the whole picture, or of the named ``part``, in ``view`` at ``scale``."""
        self._loaded()
        key = (view, scale, part)
        if key not in self.made:
            found = self._part(part)
            if found is None:
                self.made[key] = Keypoints.empty()
            else:
                grey, side = found
                wanted = min(side, SIDE) if scale == NATIVE else scale
                self.made[key] = query_keypoints(resized(grey, wanted, enlarge=scale != NATIVE), view)
        return self.made[key]

    def scales(self, part: str = "") -> tuple[int, ...]:
        """The scales of ``SCALES`` that give distinct copies of the picture or part."""
        found = self._part(part) if part else None
        side = found[1] if found is not None else self.source_side
        return tuple(scale for scale in SCALES if scale != SIDE or side < SIDE)

    def views_for(self, label: str) -> tuple[tuple[View, int, str], ...]:
        """Views to try, in order, for a candidate found through ``label``: the part it names (a box,
        a tile) if it names one, else the whole picture; the negative for colour negatives, else as
        it is and mirrored (ORB's descriptors are turn- but not mirror-invariant), at each of its
        ``scales``."""
        part = self._part_of(label)
        if NEGATIVE in label.split("/"):
            return ((View.NEGATIVE, NATIVE, part),)
        views = (View.PLAIN, View.MIRRORED)
        return tuple((view, scale, part) for scale in self.scales(part) for view in views)

    def layout_dominated(self, label: str) -> bool:
        """Whether the view a candidate was found through (``label``: the part it names, else the
        whole picture) is layout-dominated (``engine.layout``), where no perceptual hash decides;
        False when the picture cannot be read."""
        self._loaded()
        part = self._part_of(label)
        if part not in self._layout:
            small = self._small
            box = self._parts.get(part) if part else None
            if small is not None and box is not None:
                small = self._cut(small, box)
            self._layout[part] = small is not None and layout_figures(small).dominated
        return self._layout[part]

    def _part_of(self, label: str) -> str:
        first = label.split("/")[0].split("~")[0]
        return first if first in self._parts else ""


def passes(bank: Keypoints, query: Keypoints) -> bool:
    found = verify(bank, query)
    shown = found.visible >= MIN_VISIBLE * found.bank_keypoints
    explained = found.inliers >= max(MIN_INLIERS, MIN_INLIER_SHARE * found.visible)
    confirmed = found.confirmed >= MIN_CONFIRMED * found.visible
    return bool(found.plausible and shown and explained and confirmed and found.cover >= MIN_COVER)


def verdict(bank: Keypoints | None, query: QueryPicture | None, label: str) -> Verdict:
    """The outcome for one candidate: ``bank`` is the entry's stored keypoints (None if it has
    none), ``query`` the query's picture (None when only hashes were sent)."""
    if bank is None or len(bank) < MIN_BANK_KEYPOINTS or query is None or not query.usable:
        return Verdict.UNVERIFIABLE
    if any(passes(bank, query.keypoints(*view)) for view in query.views_for(label)):
        return Verdict.VERIFIED
    return Verdict.REFUTED

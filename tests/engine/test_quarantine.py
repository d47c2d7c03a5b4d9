"""Only entries that may match now produce matches, on every path of the matcher.

An entry may match when it is not disabled, not quarantined and its bank is enabled
(``store.store.matchable``). Each path is tried with four pictures of a bank built from
images: all four match at first; then one picture's entries are quarantined and another's
disabled, and only the other two match; reinstated and re-enabled, all four match again; with
the bank disabled, none does. Runs on SQLite always and on PostgreSQL when it is configured.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from mediamatch.algorithms import HashResult, default_registry
from mediamatch.engine import FileHasher
from mediamatch.engine.bank_images import add_images
from mediamatch.engine.matching import FileMatches, Matcher
from mediamatch.engine.resilience import Resilience, query_variants
from mediamatch.engine.verification import QueryPicture
from mediamatch.media.video import VideoOptions
from mediamatch.model import RGBPixels
from mediamatch.samples import detailed_photo, encode
from mediamatch.store import NewEntry, Store
from mediamatch.store.feedback import FeedbackStore
from tests.store.conftest import store
from tests.videosamples import encode_video, moving_frames

__all__ = ["store"]

REGISTRY = default_registry()
NAMES = [f"photo{seed}.png" for seed in range(4)]
PHOTOS = {name: detailed_photo(40 + seed, 480, 360) for seed, name in enumerate(NAMES)}
QUARANTINED, DISABLED = NAMES[0], NAMES[1]

Query = Callable[[Matcher, str], FileMatches]
"""Matches of the query made from one bank picture (by its name)."""


def centre_crop(pixels: RGBPixels, kept: float) -> RGBPixels:
    height, width = pixels.shape[:2]
    top, left = round(height * (1 - kept) / 2), round(width * (1 - kept) / 2)
    return np.ascontiguousarray(pixels[top : height - top, left : width - left])


def corner_crop(pixels: RGBPixels, kept: float) -> RGBPixels:
    """A crop keeping ``kept`` of each side, cut from the top-left corner (off centre)."""
    height, width = pixels.shape[:2]
    return np.ascontiguousarray(pixels[: round(height * kept), : round(width * kept)])


def mirrored(pixels: RGBPixels) -> RGBPixels:
    return np.ascontiguousarray(pixels[:, ::-1])


def bank_of_images(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "bank-images"
    folder.mkdir()
    for name, pixels in PHOTOS.items():
        (folder / name).write_bytes(encode(pixels, "PNG"))
    store.create_bank("KNOWN")
    report = add_images(store, REGISTRY, "KNOWN", [folder])
    assert report.errors == []
    assert report.regions > 0


def entry_ids(store: Store, external_id: str) -> list[int]:
    return [e.id for e in store.entries("KNOWN") if e.external_id == external_id]


def found_by(store: Store, query: Query, *, resilience: Resilience | None = None) -> dict[str, set[str]]:
    """Per query picture, the external ids it matched, through a matcher built now."""
    matcher = Matcher(store, REGISTRY, resilience=resilience)
    return {name: {m.external_id or "" for m in query(matcher, name).matches} for name in NAMES}


def assert_only_matchable_entries_match(
    store: Store, query: Query, variant: str, *, resilience: Resilience | None = None
) -> None:
    """The four states of the module docstring, and that the query really took the path
    ``variant`` names (a part of the matches' variant labels)."""
    matcher = Matcher(store, REGISTRY, resilience=resilience)
    labels = [m.variant for m in query(matcher, NAMES[2]).matches]
    assert any(variant in label for label in labels), (variant, labels)
    everything = {name: {name} for name in NAMES}
    assert found_by(store, query, resilience=resilience) == everything

    feedback = FeedbackStore(store)
    for entry_id in entry_ids(store, QUARANTINED):
        assert feedback.quarantine(entry_id, 2, datetime.now(UTC))
    for entry_id in entry_ids(store, DISABLED):
        store.set_entry_disabled_until(entry_id, datetime.now(UTC) + timedelta(days=1))
    held = found_by(store, query, resilience=resilience)
    assert held == {QUARANTINED: set(), DISABLED: set(), NAMES[2]: {NAMES[2]}, NAMES[3]: {NAMES[3]}}

    for entry_id in entry_ids(store, QUARANTINED):
        feedback.reinstate(entry_id)
    for entry_id in entry_ids(store, DISABLED):
        store.set_entry_disabled_until(entry_id, None)
    assert found_by(store, query, resilience=resilience) == everything

    store.update_bank("KNOWN", enabled=False)
    assert found_by(store, query, resilience=resilience) == {name: set() for name in NAMES}
    store.update_bank("KNOWN", enabled=True)


def file_query(tmp_path: Path, edit: Callable[[RGBPixels], RGBPixels]) -> Query:
    def query(matcher: Matcher, name: str) -> FileMatches:
        path = tmp_path / f"query-{name}"
        if not path.exists():
            path.write_bytes(encode(edit(PHOTOS[name]), "JPEG", quality=90))
        return matcher.match_file(path)

    return query


@pytest.mark.parametrize(
    ("edit", "variant"),
    [
        (lambda p: p, "original"),
        (lambda p: centre_crop(p, 0.6), "~centre"),
        (lambda p: corner_crop(p, 0.85), "window"),
        (mirrored, "flip"),
    ],
    ids=["whole-hash", "region", "crop-window", "resilience-variant"],
)
def test_every_file_path_matches_only_matchable_entries(
    store: Store, tmp_path: Path, edit: Callable[[RGBPixels], RGBPixels], variant: str
) -> None:
    bank_of_images(store, tmp_path)
    assert_only_matchable_entries_match(store, file_query(tmp_path, edit), variant)


def test_precomputed_hashes_and_their_variants_match_only_matchable_entries(
    store: Store, tmp_path: Path
) -> None:
    """Hashes computed elsewhere (a service client, a scan's case database), with and
    without the stage's query variants."""
    bank_of_images(store, tmp_path)
    pdq = REGISTRY.get("pdq")

    def plain(matcher: Matcher, name: str) -> FileMatches:
        return matcher.match_results(name, {"pdq": pdq.hash_pixels(PHOTOS[name])})

    def with_variants(matcher: Matcher, name: str) -> FileMatches:
        cropped = centre_crop(PHOTOS[name], 0.6)
        algorithms = [REGISTRY.get("pdq"), REGISTRY.get("gradgrid144")]
        variants = query_variants(cropped, algorithms)  # type: ignore[arg-type]
        results: dict[str, HashResult] = {n: found[0].result for n, found in variants.items()}
        return matcher.match_results(name, results, variants=variants, picture=QueryPicture.of(cropped))

    assert_only_matchable_entries_match(store, plain, "original", resilience=Resilience.off())
    assert_only_matchable_entries_match(store, with_variants, "~centre")


def test_video_frames_match_only_matchable_entries(store: Store, tmp_path: Path) -> None:
    """vPDQ entries go through the frame index; one clip per bank picture name."""
    store.create_bank("KNOWN")
    hasher = FileHasher([REGISTRY.get("vpdq")], video_options=VideoOptions(sample_interval=None))
    clips = {
        name: encode_video(moving_frames(24, seed=60 + i, size=(160, 120))) for i, name in enumerate(NAMES)
    }
    entries = []
    for name, data in clips.items():
        record = hasher.hash_data(name, data)
        assert record.error is None, record.error
        entries.append(NewEntry("vpdq", record.results["vpdq"].value.data, external_id=name))
    store.add_entries("KNOWN", entries)
    for name, data in clips.items():
        (tmp_path / f"{name}.mp4").write_bytes(data)

    def query(matcher: Matcher, name: str) -> FileMatches:
        return matcher.match_file(tmp_path / f"{name}.mp4")

    assert_only_matchable_entries_match(store, query, "original")

"""The resilience stage: query variants, region hashes, and the Matcher with the stage on and off."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from mediamatch.algorithms import GradGridAlgorithm, ImageHashAlgorithm, PdqAlgorithm, default_registry
from mediamatch.engine import FileHasher
from mediamatch.engine.bank_images import add_images, image_entries
from mediamatch.engine.content_box import content_boxes
from mediamatch.engine.matching import Matcher
from mediamatch.engine.resilience import (
    ORIGINAL,
    REGION_ALGORITHMS,
    REGIONS,
    STAGE_THRESHOLDS,
    WINDOWS,
    QueryVariant,
    Resilience,
    query_variants,
    region_box,
    region_hashes,
    window_plan,
)
from mediamatch.model import RGBPixels
from mediamatch.samples import detailed_photo, encode, synthetic_photo
from mediamatch.store import KEYPOINTS_REGION, NewEntry, Store

REGISTRY = default_registry()
PDQ, GRAD = PdqAlgorithm(), GradGridAlgorithm()
PHOTO = synthetic_photo(21, 480, 360)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'banks.sqlite3'}")


def bordered(pixels: RGBPixels, share: float = 0.1) -> RGBPixels:
    pad_y, pad_x = round(pixels.shape[0] * share / 2), round(pixels.shape[1] * share / 2)
    return np.ascontiguousarray(np.pad(pixels, ((pad_y, pad_y), (pad_x, pad_x), (0, 0))))


def test_the_first_variant_is_the_plain_hash_and_off_gives_only_it() -> None:
    found = query_variants(PHOTO, [PDQ, GRAD])
    assert found["pdq"][0].label == ORIGINAL
    assert found["pdq"][0].result == PDQ.hash_pixels(PHOTO)
    assert found["gradgrid144"][0].result == GRAD.hash_pixels(PHOTO)
    windows = [f"window{round(kept * 100)}/{n}" for kept, _, corners in WINDOWS for n in range(len(corners))]
    mirrored = [f"{label}/mirrored" for label in windows]
    assert [v.label for v in found["gradgrid144"]] == [ORIGINAL, *windows, *mirrored]
    windows += mirrored
    assert [v.regions_only for v in found["gradgrid144"]] == [False] + [True] * len(windows)
    off = query_variants(PHOTO, [PDQ, GRAD], Resilience.off())
    assert {name: [v.label for v in variants] for name, variants in off.items()} == {
        "pdq": [ORIGINAL],
        "gradgrid144": [ORIGINAL],
    }


def test_the_negative_variant_is_the_colour_negatives_own_hash() -> None:
    """PDQ derives the negative's hash from the picture's: it meets the hash of the inverted
    picture within a few bits (coefficients at the median may land either way)."""
    inverted = np.ascontiguousarray(255 - PHOTO)
    variant = next(v for v in query_variants(PHOTO, [PDQ])["pdq"] if v.label == "negative")
    assert PDQ.distance(variant.result.value, PDQ.hash_pixels(inverted).value) <= 8
    assert variant.result.quality == PDQ.hash_pixels(PHOTO).quality


def test_dihedral_variants_find_a_mirrored_copy() -> None:
    found = query_variants(np.ascontiguousarray(PHOTO[:, ::-1]), [PDQ, GRAD])
    labels = [v.label for v in found["pdq"]]
    # the eight turns and flips, the colour negative, four tiles and four small turns
    assert len(labels) == 17
    assert labels[9:] == ["tile1", "tile2", "tile3", "tile4", "turn-8", "turn-4", "turn+4", "turn+8"]
    assert labels[0] == ORIGINAL
    assert labels[8] == "negative"
    assert "flipy" in labels
    own = PDQ.hash_pixels(PHOTO).value
    nearest = min(found["pdq"], key=lambda v: PDQ.distance(v.result.value, own))
    assert nearest.label == "flipy"
    assert PDQ.distance(nearest.result.value, own) <= 16  # resampling is not quite mirror-symmetric
    assert PDQ.distance(found["pdq"][0].result.value, own) > PDQ.threshold
    turned = [v.label for v in found["gradgrid144"] if not v.label.startswith("window")]
    assert turned == [ORIGINAL]  # dihedral_skip by default
    every = query_variants(PHOTO, [GRAD], Resilience(dihedral_skip=frozenset(), crop_windows=False))
    assert len(every["gradgrid144"]) == 8


def test_a_bordered_copy_gets_a_box_variant_near_the_original() -> None:
    found = query_variants(bordered(PHOTO), [PDQ], Resilience(dihedral=False, tiles=False, small_turns=()))
    assert [v.label for v in found["pdq"]] == [ORIGINAL, "negative", "box1"]
    own = PDQ.hash_pixels(PHOTO).value
    assert PDQ.distance(found["pdq"][2].result.value, own) <= 16
    assert PDQ.distance(found["pdq"][0].result.value, own) > PDQ.threshold


def test_a_large_bordered_copy_hashes_gradgrid_boxes_from_a_reduced_copy_and_pdq_boxes_exactly() -> None:
    large = synthetic_photo(22, 1200, 900)
    canvas = bordered(large)
    found = query_variants(canvas, [PDQ, GRAD], Resilience(dihedral=False, crop_windows=False))
    pdq_box = next(v for v in found["pdq"] if v.label == "box1")
    grad_box = next(v for v in found["gradgrid144"] if v.label == "box1")
    (box,) = content_boxes(canvas, limit=1)
    assert pdq_box.result == PDQ.hash_pixels(box.crop(canvas))
    own = GRAD.hash_pixels(large).value
    from_full_size = GRAD.distance(GRAD.hash_pixels(box.crop(canvas)).value, own)
    assert GRAD.distance(grad_box.result.value, own) <= from_full_size + 10


def test_the_window_plan_covers_every_place_of_the_region_in_crops_of_up_to_20_percent() -> None:
    for kept, share, corners in window_plan():
        assert share == pytest.approx(0.6 / kept)
        places = sorted({top for top, _ in corners})
        assert sorted({left for _, left in corners}) == places
        assert len(corners) == len(places) ** 2
        # the region starts at (0.2 - cut) / kept of the query, for every cut that leaves it whole
        lowest, highest = (0.2 - min(0.2, 1 - kept)) / kept, (0.2 - max(0.0, 0.8 - kept)) / kept
        assert places[0] == pytest.approx(lowest)
        assert places[-1] == pytest.approx(highest)
        assert all(b - a <= 1 / 16 + 1e-9 for a, b in itertools.pairwise(places))
    assert [kept for kept, _, _ in window_plan(kept_shares=(0.8,))] == [0.8]


@pytest.mark.parametrize(("kept", "rows_kept", "cols_kept"), [(0.8, "top", "right"), (0.9, "bottom", "left")])
def test_crop_windows_find_the_stored_region_in_an_off_centre_crop(
    kept: float, rows_kept: str, cols_kept: str
) -> None:
    rows, cols = PHOTO.shape[:2]
    cut_rows, cut_cols = round(rows * (1 - kept)), round(cols * (1 - kept))
    crop = PHOTO[: rows - cut_rows] if rows_kept == "top" else PHOTO[cut_rows:]
    crop = np.ascontiguousarray(crop[:, cut_cols:] if cols_kept == "right" else crop[:, : cols - cut_cols])
    stored = region_hashes(PHOTO, GRAD)["centre60"].value
    windows = [v for v in query_variants(crop, [GRAD])["gradgrid144"] if v.regions_only]
    nearest = min(windows, key=lambda v: GRAD.distance(v.result.value, stored))
    assert nearest.label.startswith(f"window{round(kept * 100)}/")  # sized for this crop
    plain = GRAD.distance(GRAD.hash_pixels(crop).value, stored)
    assert GRAD.distance(nearest.result.value, stored) < min(plain / 2, 60)
    assert not any(v.regions_only for v in query_variants(crop, [PDQ])["pdq"])


def test_gradgrid_window_hashes_stay_close_to_hashes_of_the_windows_cut_out() -> None:
    corners = [(0.0, 0.0), (0.1, 0.25), (0.25, 0.25), (0.9, 0.9)]  # the last is moved inside
    layouts = [(0.75, corners), (2 / 3, corners[:2])]
    pooled = GRAD.hash_windows(PHOTO, layouts)
    cut = ImageHashAlgorithm.hash_windows(GRAD, PHOTO, layouts)  # the generic way: cut out and hash
    assert [len(found) for found in pooled] == [len(found) for found in cut] == [4, 2]
    for fast, exact in zip(pooled[0] + pooled[1], cut[0] + cut[1], strict=True):
        assert GRAD.distance(fast.value, exact.value) <= 40  # edges differ, far inside the threshold
        assert abs(fast.quality - exact.quality) <= 10
    assert GRAD.distance(pooled[0][2].value, pooled[0][3].value) == 0
    (whole,) = GRAD.hash_windows(PHOTO, [(1.0, [(0.0, 0.0)])])[0]  # resampled through a finer grid
    assert GRAD.distance(whole.value, GRAD.hash_pixels(PHOTO).value) <= 8
    with pytest.raises(ValueError, match="share"):
        GRAD.hash_windows(PHOTO, [(1.5, corners)])


def test_region_hashes_are_hashes_of_the_region() -> None:
    hashes = region_hashes(PHOTO, GRAD)
    assert set(hashes) == set(REGIONS)
    for name, region in REGIONS.items():
        assert hashes[name] == GRAD.hash_pixels(region_box(PHOTO, region).crop(PHOTO))
    assert region_box(PHOTO, (0.1, 0.1, 0.9, 0.9)).area == 288 * 384


def test_image_entries_store_regions_only_for_region_algorithms() -> None:
    entries = image_entries(PHOTO, [PDQ, GRAD], external_id="x")
    by_algorithm = {e.algorithm: e for e in entries}
    # the picture's keypoints ride with its first entry, once; hashes of regions with region algorithms
    assert [name for name, _ in by_algorithm["pdq"].regions] == [KEYPOINTS_REGION]
    assert "pdq" not in REGION_ALGORITHMS
    assert [name for name, _ in by_algorithm["gradgrid144"].regions] == list(REGIONS)
    assert len({e.picture for e in entries}) == 1
    assert entries[0].picture is not None
    assert image_entries(PHOTO, [GRAD], regions=False)[0].regions == ()


def write(folder: Path, name: str, pixels: RGBPixels) -> Path:
    path = folder / name
    path.write_bytes(encode(pixels, "PNG"))
    return path


def test_matcher_finds_a_mirrored_bordered_copy_only_with_the_stage(store: Store, tmp_path: Path) -> None:
    store.create_bank("KNOWN")
    store.add_entries("KNOWN", [NewEntry("pdq", PDQ.hash_pixels(PHOTO).value.data, external_id="p")])
    upload = write(tmp_path, "upload.png", bordered(np.ascontiguousarray(PHOTO[:, ::-1])))
    (match,) = Matcher(store, REGISTRY).match_file(upload).matches
    assert (match.external_id, match.variant) == ("p", "box1/flipy")
    assert match.distance <= PDQ.threshold
    assert Matcher(store, REGISTRY, resilience=Resilience.off()).match_file(upload).matches == []
    unrelated = write(tmp_path, "other.png", bordered(synthetic_photo(22, 480, 360)))
    assert Matcher(store, REGISTRY).match_file(unrelated).matches == []


def test_stored_regions_match_a_crop_closer_than_the_whole(store: Store, tmp_path: Path) -> None:
    """Through the region path, which needs verification: a picture with detail to verify by."""
    store.create_bank("IMAGES")
    (tmp_path / "bank").mkdir()
    picture = detailed_photo(21, 480, 360)
    write(tmp_path / "bank", "known.png", picture)
    report = add_images(store, REGISTRY, "IMAGES", [tmp_path / "bank"])
    # pdq and gradgrid144, and the file's md5 and sha1
    assert (report.files, report.added, report.regions, report.errors) == (1, 4, len(REGIONS), [])
    assert store.count_regions("IMAGES") == len(REGIONS)
    crop = write(tmp_path, "crop.png", region_box(picture, REGIONS["centre60"]).crop(picture))
    staged = {m.algorithm: m for m in Matcher(store, REGISTRY).match_file(crop).matches}
    assert staged["gradgrid144"].variant == "original~centre60"
    assert staged["gradgrid144"].distance <= 2
    plain = Matcher(store, REGISTRY, resilience=Resilience.off()).match_file(crop).matches
    assert all(m.variant == ORIGINAL and m.distance > 2 for m in plain)


def test_add_images_reports_bad_files_and_keeps_the_rest(store: Store, tmp_path: Path) -> None:
    store.create_bank("IMAGES")
    good = write(tmp_path, "good.png", PHOTO)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    report = add_images(store, REGISTRY, "IMAGES", [good, bad], regions=False)
    assert (report.files, report.added, report.regions) == (2, 4, 0)
    assert [(path, error.kind) for path, error in report.errors] == [(str(bad), "UnsupportedMedia")]


def test_file_hasher_gives_variants_only_with_the_stage(tmp_path: Path) -> None:
    upload = write(tmp_path, "upload.png", bordered(PHOTO))
    assert FileHasher([PDQ]).hash_file(upload).variants == {}
    staged = FileHasher([PDQ], resilience=Resilience()).hash_file(upload)
    assert staged.variants["pdq"][0].result == staged.results["pdq"]
    # 8 turns and flips, the negative, 8 of the box, 4 tiles, 4 small turns
    assert len(staged.variants["pdq"]) == 25
    assert staged.picture is not None
    assert FileHasher([PDQ]).hash_file(upload).picture is None


def test_the_stage_tightens_gradgrid_default_threshold_but_not_a_bank_own(store: Store) -> None:
    store.create_bank("DEFAULTS")
    store.create_bank("OWN", thresholds={"gradgrid144": 150})
    store.add_entries("DEFAULTS", [NewEntry("gradgrid144", GRAD.hash_pixels(PHOTO).value.data)])
    defaults, own = store.bank("DEFAULTS"), store.bank("OWN")
    staged = Matcher(store, REGISTRY)
    plain = Matcher(store, REGISTRY, resilience=Resilience.off())
    assert staged.threshold(defaults, "gradgrid144") == STAGE_THRESHOLDS["gradgrid144"] < GRAD.threshold
    assert plain.threshold(defaults, "gradgrid144") == GRAD.threshold
    assert staged.threshold(own, "gradgrid144") == plain.threshold(own, "gradgrid144") == 150
    assert staged.threshold(defaults, "pdq") == PDQ.threshold


@pytest.mark.parametrize("cut", [0.1, 0.2])
def test_an_off_centre_crop_matches_through_a_window_only_with_the_stage(
    store: Store, tmp_path: Path, cut: float
) -> None:
    store.create_bank("IMAGES")
    (tmp_path / "bank").mkdir()
    write(tmp_path / "bank", "known.png", PHOTO)
    add_images(store, REGISTRY, "IMAGES", [tmp_path / "bank"], algorithms=["gradgrid144"])
    rows, cols = PHOTO.shape[:2]
    crop = np.ascontiguousarray(PHOTO[round(rows * cut) :, : round(cols * (1 - cut))])
    (staged,) = Matcher(store, REGISTRY).match_file(write(tmp_path, "crop.png", crop)).matches
    assert staged.variant.startswith("window")
    assert staged.variant.endswith("~centre60")
    plain = Matcher(store, REGISTRY, resilience=Resilience.off()).match_file(tmp_path / "crop.png").matches
    assert all(m.distance > staged.distance for m in plain)


def test_crop_windows_meet_stored_regions_only(store: Store) -> None:
    """A window equal to an entry's own hash is no match: windows are sized for regions."""
    store.create_bank("HASHES")
    own = GRAD.hash_pixels(PHOTO)
    store.add_entries("HASHES", [NewEntry("gradgrid144", own.value.data, external_id="g")])
    matcher = Matcher(store, REGISTRY)
    assert matcher.hasher is not None
    assert matcher.hasher.resilience is not None
    assert not matcher.hasher.resilience.crop_windows  # no regions to meet
    unrelated = GRAD.hash_pixels(synthetic_photo(23, 480, 360))
    variants = {"gradgrid144": [QueryVariant(ORIGINAL, unrelated), QueryVariant("window80/0", own)]}
    assert matcher.match_results("q", {"gradgrid144": unrelated}, variants=variants).matches == []
    variants["gradgrid144"].append(QueryVariant("box1", own))
    (match,) = matcher.match_results("q", {"gradgrid144": unrelated}, variants=variants).matches
    assert (match.variant, match.distance) == ("box1", 0)

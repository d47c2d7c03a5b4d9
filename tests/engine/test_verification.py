"""Verification: a candidate on an entry with keypoints is reported only when the query shows them.

Bank built from images (keypoints stored with each picture), queries through the ``Matcher``:
an edited copy is verified; a sibling of one layout (the same picture with other detail, near
by every whole-picture hash) is refuted; with hashes alone the paths that need verification
report nothing and the rest decide by hash, as for a hash list.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediamatch.algorithms import default_registry
from mediamatch.engine.bank_images import add_images
from mediamatch.engine.matching import Matcher
from mediamatch.engine.resilience import query_variants
from mediamatch.engine.verification import QueryPicture, Verdict, needs_verification, verdict
from mediamatch.model import RGBPixels
from mediamatch.samples import detailed_photo, encode
from mediamatch.store import KEYPOINTS_REGION, NewEntry, Store
from tests.engine.test_layout import form

REGISTRY = default_registry()
ALGORITHMS = [REGISTRY.get("pdq"), REGISTRY.get("gradgrid144")]
BANK = {f"photo{seed}.png": detailed_photo(seed, 640, 480) for seed in (11, 12)}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    folder = tmp_path / "bank"
    folder.mkdir()
    for name, pixels in BANK.items():
        (folder / name).write_bytes(encode(pixels, "PNG"))
    opened = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    opened.create_bank("KNOWN")
    add_images(opened, REGISTRY, "KNOWN", [folder])
    return opened


def jpeg(pixels: RGBPixels, quality: int = 70) -> RGBPixels:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
    return np.ascontiguousarray(np.asarray(Image.open(buffer).convert("RGB")))


def matched(matcher: Matcher, pixels: RGBPixels, *, picture: bool = True) -> dict[str, bool]:
    """External ids matched, each with whether the match was verified."""
    variants = query_variants(pixels, ALGORITHMS)  # type: ignore[arg-type]
    results = {name: found[0].result for name, found in variants.items()}
    seen = QueryPicture.of(pixels) if picture else None
    found = matcher.match_results("query", results, variants=variants, picture=seen)
    verified: dict[str, bool] = {}
    for match in found.matches:
        verified[match.external_id or ""] = verified.get(match.external_id or "", False) or match.verified
    return verified


def test_entries_of_one_picture_share_its_keypoints(store: Store) -> None:
    entries = list(store.entries("KNOWN"))
    assert len(entries) == 8  # per picture: pdq, gradgrid144 and the file's md5 and sha1
    by_picture: dict[int | None, set[str]] = {}
    for entry in entries:
        by_picture.setdefault(entry.picture_id, set()).add(entry.algorithm)
    assert by_picture.pop(None) == {"md5", "sha1"}  # digests decide by themselves
    assert all(found == {"pdq", "gradgrid144"} for found in by_picture.values())
    records = store.keypoints([key for key in by_picture if key is not None])
    assert len(records) == 2
    assert all(len(raw) > 1000 for raw in records.values())
    assert store.count_regions("KNOWN") == 2  # gradgrid144's centre regions; keypoints are not hashes


def test_an_edited_copy_is_verified(store: Store) -> None:
    rotated = np.asarray(Image.fromarray(BANK["photo11.png"]).rotate(3, Image.Resampling.BILINEAR))
    cropped = np.ascontiguousarray(BANK["photo12.png"][40:440, 30:600])
    matcher = Matcher(store, REGISTRY)
    assert matched(matcher, jpeg(rotated)) == {"photo11.png": True}
    assert matched(matcher, jpeg(cropped)) == {"photo12.png": True}


def test_a_sibling_of_one_layout_is_refuted_though_its_hashes_come_near(store: Store) -> None:
    sibling = detailed_photo(11, 640, 480, detail=77)
    gradgrid = REGISTRY.get("gradgrid144")
    own = gradgrid.hash_pixels(BANK["photo11.png"]).value
    assert gradgrid.distance(gradgrid.hash_pixels(sibling).value, own) <= 103  # a hash alone calls it a copy
    matcher = Matcher(store, REGISTRY)
    assert matched(matcher, sibling) == {}
    # without the picture, gradgrid144 (the only hash that came near) may not decide alone for an
    # entry built from an image; a gradgrid144 hash list, which has nothing else, still would
    assert matched(matcher, sibling, picture=False) == {}
    store.create_bank("LISTED")
    store.add_entries(
        "LISTED",
        [NewEntry("gradgrid144", gradgrid.hash_pixels(BANK["photo11.png"]).value.data, external_id="listed")],
    )
    assert matched(Matcher(store, REGISTRY, ["LISTED"]), sibling, picture=False) == {"listed": False}


def test_without_the_picture_weak_paths_report_nothing_and_whole_hashes_decide(store: Store) -> None:
    matcher = Matcher(store, REGISTRY)
    copy = jpeg(BANK["photo12.png"])
    assert matched(matcher, copy, picture=False) == {"photo12.png": False}
    cropped = np.ascontiguousarray(BANK["photo12.png"][96:384, 128:512])  # met by the stored region
    assert matched(matcher, cropped) == {"photo12.png": True}
    assert matched(matcher, cropped, picture=False) == {}


def test_a_picture_too_small_to_look_at_leaves_the_decision_to_the_hash(store: Store) -> None:
    small = np.asarray(Image.fromarray(BANK["photo12.png"]).resize((160, 120), Image.Resampling.LANCZOS))
    assert not QueryPicture.of(small).usable
    assert matched(Matcher(store, REGISTRY), np.ascontiguousarray(small)) == {"photo12.png": False}


def test_weak_paths_are_named_and_an_entry_without_keypoints_is_unverifiable() -> None:
    assert needs_verification("window80/3~centre60")
    assert needs_verification("original~centre60")
    assert needs_verification("negative")
    assert not needs_verification("box1/flipx")
    picture = QueryPicture.of(BANK["photo11.png"])
    assert verdict(None, picture, "original") is Verdict.UNVERIFIABLE
    assert verdict(None, None, "original") is Verdict.UNVERIFIABLE
    assert KEYPOINTS_REGION == "keypoints"


def test_gradgrid_alone_never_decides_for_a_picture_with_too_few_keypoints(tmp_path: Path) -> None:
    """A smooth picture has no distinctive corners: its record is kept all the same, so its entries
    are known to come from a picture, and only PDQ's hash may decide for them."""
    yy, xx = np.mgrid[0:480, 0:640]
    smooth = np.stack([xx * 255 // 639, yy * 255 // 479, (xx + yy) * 255 // 1118], axis=2).astype(np.uint8)
    folder = tmp_path / "bank"
    folder.mkdir()
    (folder / "smooth.png").write_bytes(encode(np.ascontiguousarray(smooth), "PNG"))
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    store.create_bank("KNOWN")
    add_images(store, REGISTRY, "KNOWN", [folder])
    linked = [e for e in store.entries("KNOWN") if e.algorithm in ("pdq", "gradgrid144")]
    assert len(linked) == 2
    assert all(e.picture_id is not None for e in linked)
    (record,) = store.keypoints({linked[0].picture_id or 0}).values()
    matcher = Matcher(store, REGISTRY)
    holder = linked[0].picture_id or 0
    stored = matcher._keypoints({holder})[holder]
    assert stored is not None
    assert len(stored) < 24
    assert len(record) == 4 + 36 * len(stored)
    pixels = np.ascontiguousarray(smooth)
    picture = QueryPicture.of(pixels)
    assert verdict(stored, picture, "original") is Verdict.UNVERIFIABLE
    variants = query_variants(pixels, ALGORITHMS)  # type: ignore[arg-type]
    results = {name: found[0].result for name, found in variants.items()}
    found = matcher.match_results("query", results, variants=variants, picture=picture)
    assert {m.algorithm for m in found.matches} <= {"pdq"}


def _form(seed: int) -> RGBPixels:
    """A page of one form template, filled with other values per seed."""
    return np.ascontiguousarray(form(seed))


def test_on_a_layout_dominated_upload_no_perceptual_hash_decides_and_what_it_met_is_held(
    tmp_path: Path,
) -> None:
    """A form's exact copy and a sibling filled in otherwise are both only leads (``held``), for a
    bank built from the image and for a PDQ hash list alike; a photograph still matches."""
    folder = tmp_path / "bank"
    folder.mkdir()
    (folder / "form.png").write_bytes(encode(_form(1), "PNG"))
    (folder / "photo.png").write_bytes(encode(BANK["photo11.png"], "PNG"))
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    store.create_bank("KNOWN")
    add_images(store, REGISTRY, "KNOWN", [folder])
    pdq = REGISTRY.get("pdq")
    store.create_bank("LISTED")
    store.add_entries(
        "LISTED", [NewEntry("pdq", pdq.hash_pixels(_form(1)).value.data, external_id="listed form")]
    )
    matcher = Matcher(store, REGISTRY)

    def answer(pixels: RGBPixels) -> tuple[set[str], set[str]]:
        variants = query_variants(pixels, ALGORITHMS)  # type: ignore[arg-type]
        results = {name: found[0].result for name, found in variants.items()}
        found = matcher.match_results("q", results, variants=variants, picture=QueryPicture.of(pixels))
        return {m.external_id or "" for m in found.matches}, {m.external_id or "" for m in found.held}

    copy, sibling = jpeg(_form(1), 90), _form(2)
    assert pdq.distance(pdq.hash_pixels(sibling).value, pdq.hash_pixels(_form(1)).value) <= 31
    assert answer(copy) == (set(), {"form.png", "listed form"})
    matches, held = answer(sibling)
    assert matches == set()
    assert held <= {"form.png", "listed form"}
    assert answer(jpeg(BANK["photo11.png"])) == ({"photo.png"}, set())

"""Video matching on the sample videos: bank videos hashed at every frame, queries at 1 frame per second.

Every chair-* variant must match every other chair-* variant, every pattern-* variant the
other pattern-* variants, and nothing may cross between chair, pattern and doorknob videos.
Frames are scaled to 128x128 before hashing (vPDQ's downsample option) on both sides to
keep the suite fast; the matching rules do not depend on it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mediamatch.algorithms import default_registry
from mediamatch.engine import FileHasher
from mediamatch.engine.matching import FileMatches, Matcher
from mediamatch.media.video import VideoOptions
from mediamatch.store import NewEntry, Store

REGISTRY = default_registry()
SCALE = (128, 128)
BANK_OPTIONS = VideoOptions(sample_interval=None, scale_to=SCALE)
QUERY_OPTIONS = VideoOptions(scale_to=SCALE, sampling="time")  # as the matcher samples queries by default


def family(name: str) -> str:
    return name.split("-", 1)[0]


@pytest.fixture(scope="module")
def videos(reference_dir: Path) -> dict[str, Path]:
    found = {p.stem: p for p in sorted((reference_dir / "videos").glob("*.mp4"))}
    if not any(family(name) == "chair" for name in found):
        pytest.skip("the sample videos are not in the reference folder")
    return found


@pytest.fixture(scope="module")
def store(videos: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('videos') / 'banks.sqlite3'}")
    store.create_bank("VIDEOS")
    hasher = FileHasher([REGISTRY.get("vpdq")], video_options=BANK_OPTIONS)
    entries = []
    for name, path in videos.items():
        record = hasher.hash_file(path)
        assert record.error is None, record.error
        assert record.video is not None
        assert record.video.sampled_frames == record.video.decoded_frames
        entries.append(NewEntry("vpdq", record.results["vpdq"].value.data, external_id=name))
    assert store.add_entries("VIDEOS", entries) == len(videos)
    return store


@pytest.fixture(scope="module")
def found(store: Store, videos: dict[str, Path]) -> dict[str, FileMatches]:
    matcher = Matcher(store, REGISTRY, video_options=QUERY_OPTIONS)
    results = {name: matcher.match_file(path) for name, path in videos.items()}
    for name, result in results.items():
        shares = {m.external_id: (m.video.query_pct, m.video.bank_pct) for m in result.matches if m.video}
        print(f"{name}: {shares}")
    return results


def matched_names(result: FileMatches) -> set[str]:
    return {m.external_id for m in result.matches if m.external_id is not None}


@pytest.mark.parametrize("kind", ["chair", "pattern"])
def test_every_variant_matches_every_other_variant(
    found: dict[str, FileMatches], videos: dict[str, Path], kind: str
) -> None:
    variants = {name for name in videos if family(name) == kind}
    for name in variants:
        assert found[name].error is None
        assert matched_names(found[name]) == variants, name


def test_every_video_matches_itself(found: dict[str, FileMatches]) -> None:
    for name, result in found.items():
        assert name in matched_names(result), name


def test_no_video_matches_another_kind(found: dict[str, FileMatches]) -> None:
    for name, result in found.items():
        for other in matched_names(result):
            assert family(other) == family(name), (name, other)


def test_matches_give_both_shares_and_the_matched_time_ranges(found: dict[str, FileMatches]) -> None:
    match = next(m for m in found["chair-19-sd-bar"].matches if m.external_id == "chair-orig-22-sd-bar")
    assert match.video is not None
    assert match.algorithm == "vpdq"
    assert match.video.query_pct >= 80
    assert match.video.bank_pct >= 80
    assert match.distance == 100 - min(match.video.query_pct, match.video.bank_pct)
    (query_start, query_end), *_ = match.video.query_ranges
    assert query_start == 0.0
    assert query_end >= 17.0  # the 18.8 s query matched nearly to its end
    (bank_start, bank_end), *_ = match.video.bank_ranges
    assert bank_end - bank_start >= 17.0


def test_share_thresholds_are_set_per_bank(store: Store, videos: dict[str, Path]) -> None:
    strict = Matcher(store, REGISTRY, video_options=QUERY_OPTIONS)
    bank = strict.banks[store.bank("VIDEOS").id]
    assert strict.share_thresholds(bank, "vpdq") == (80, 80)
    store.update_bank("VIDEOS", thresholds={"vpdq.bank_pct": 99})
    try:
        matcher = Matcher(store, REGISTRY, video_options=QUERY_OPTIONS)
        names = matched_names(matcher.match_file(videos["chair-19-sd-bar"]))
        assert "chair-19-sd-bar" in names
        assert "chair-orig-22-sd-bar" not in names  # the 19 s clip covers only part of the 22 s video
    finally:
        store.update_bank("VIDEOS", thresholds={})


def test_file_digests_match_exactly_beside_vpdq(videos: dict[str, Path], tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'md5.sqlite3'}")
    store.create_bank("VIDEO_MD5")
    path = videos["doorknob-hd-no-bar"]
    digest = hashlib.md5(path.read_bytes(), usedforsecurity=False).digest()
    store.add_entries("VIDEO_MD5", [NewEntry("md5", digest, external_id="doorknob")])
    matcher = Matcher(store, REGISTRY)
    result = matcher.match_file(path)
    assert [(m.algorithm, m.external_id, m.distance) for m in result.matches] == [("md5", "doorknob", 0)]
    assert matcher.match_file(videos["pattern-hd-no-bar"]).matches == []

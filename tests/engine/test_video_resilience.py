"""The resilience stage on video frames: a mirrored or turned copy of a bank video still matches."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from mediamatch.algorithms import Dihedral, VpdqAlgorithm, default_registry
from mediamatch.engine import FileHasher
from mediamatch.engine.matching import Matcher
from mediamatch.engine.resilience import Resilience
from mediamatch.engine.video import hash_video
from mediamatch.media.video import VideoOptions
from mediamatch.model import RGBPixels
from mediamatch.store import NewEntry, Store
from tests.videosamples import encode_video, moving_frames

REGISTRY = default_registry()
FRAMES = moving_frames(40, seed=5, size=(192, 144))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('video-stage') / 'banks.sqlite3'}")
    store.create_bank("VIDEOS")
    hasher = FileHasher([REGISTRY.get("vpdq")], video_options=VideoOptions(sample_interval=None))
    record = hasher.hash_data("bank.mp4", encode_video(FRAMES))
    assert record.error is None
    store.add_entries("VIDEOS", [NewEntry("vpdq", record.results["vpdq"].value.data, external_id="clip")])
    return store


@pytest.mark.parametrize(
    ("edit", "name"),
    [(lambda f: f[:, ::-1], "mirrored"), (lambda f: f[::-1, :], "upside down")],
)
def test_a_mirrored_or_flipped_copy_matches_only_with_the_stage(
    store: Store, tmp_path: Path, edit: Callable[[RGBPixels], RGBPixels], name: str
) -> None:
    query = tmp_path / "query.mp4"
    query.write_bytes(encode_video([np.ascontiguousarray(edit(f)) for f in FRAMES]))
    plain = Matcher(store, REGISTRY, resilience=Resilience.off()).match_file(query)
    assert plain.matches == [], f"a {name} copy should not match without the stage"
    staged = Matcher(store, REGISTRY).match_file(query)
    assert [m.external_id for m in staged.matches] == ["clip"], name
    match = staged.matches[0]
    assert match.variant != "original"
    assert match.video is not None
    assert match.video.query_pct >= 80
    assert match.video.bank_pct >= 80


def test_the_original_of_turned_hashes_is_the_plain_hash() -> None:
    algorithm = VpdqAlgorithm()
    data = encode_video(FRAMES)
    plain, _, none = hash_video(data, [algorithm])
    assert none == {}
    staged, _, turned = hash_video(data, [algorithm], turns=list(Dihedral))
    assert staged["vpdq"] == plain["vpdq"]
    assert turned["vpdq"][Dihedral.ORIGINAL] == plain["vpdq"]
    assert set(turned["vpdq"]) == set(Dihedral)

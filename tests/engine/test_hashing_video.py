"""FileHasher with videos: each file gets the algorithms of its kind; the scanner's short API."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediamatch.algorithms import default_registry
from mediamatch.engine import FileHasher
from mediamatch.engine.video import vpdq_frames
from mediamatch.media.sniff import MediaType
from mediamatch.media.video import VideoOptions
from mediamatch.samples import encode, synthetic_photo
from tests.videosamples import encode_video, moving_frames

REGISTRY = default_registry()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    video = tmp_path / "clip.mkv"
    video.write_bytes(encode_video(moving_frames(25, size=(160, 120)), container="matroska"))
    image = tmp_path / "photo.png"
    image.write_bytes(encode(synthetic_photo(1), "PNG"))
    return {"video": video, "image": image}


def test_mixed_algorithms_hash_each_file_with_its_kind(files: dict[str, Path]) -> None:
    hasher = FileHasher([REGISTRY.get(n) for n in ("pdq", "vpdq", "md5")])
    image, video = hasher.hash_file(files["image"]), hasher.hash_file(files["video"])
    assert (image.error, list(image.results), image.video) == (None, ["pdq", "md5"], None)
    assert (video.error, list(video.results)) == (None, ["vpdq", "md5"])
    assert video.media_type is MediaType.MATROSKA
    assert video.size == (160, 120)
    assert video.video is not None
    assert (video.video.decoded_frames, video.video.sampled_frames) == (25, 3)
    in_memory = hasher.hash_data("clip", files["video"].read_bytes())
    assert in_memory.results == video.results


def test_a_file_of_the_other_kind_is_an_error_unless_skipped(files: dict[str, Path]) -> None:
    only_video = FileHasher([REGISTRY.get("vpdq"), REGISTRY.get("md5")])
    refused = only_video.hash_file(files["image"])
    assert refused.error is not None
    assert refused.error.kind == "UnsupportedMedia"
    assert list(refused.results) == ["md5"]
    skipping = FileHasher([REGISTRY.get("pdq")], skip_other_media=True)
    skipped = skipping.hash_file(files["video"])
    assert (skipped.error, skipped.results) == (None, {})


def test_vpdq_frames_gives_the_frame_hashes_and_statistics(files: dict[str, Path]) -> None:
    hashed = vpdq_frames(files["video"], VideoOptions(sample_interval=None))
    whole = [f for f in hashed.frames if f.region == 0]
    assert [f.number for f in whole] == list(range(25))
    assert hashed.stats.sampled_frames == 25
    assert hashed.stats.frame_rate == 10.0

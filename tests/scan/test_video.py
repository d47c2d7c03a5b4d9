"""Videos: MD5 and SHA-1 with a clear note until a ``vpdq`` video algorithm is registered, then its hash."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import ClassVar

from typer.testing import CliRunner

from mediamatch import cli
from mediamatch.algorithms import (
    AlgorithmRegistry,
    BitStringAlgorithm,
    HashResult,
    MediaKind,
    PdqAlgorithm,
    default_registry,
)
from mediamatch.engine.hashing import HashMode
from mediamatch.scan.filehash import ScanHasher
from mediamatch.scan.ignore import IgnoreSet
from mediamatch.scan.video import IN_ARCHIVE, NO_VIDEO_HASH, video_hasher
from tests.scan.conftest import zip_bytes

VIDEO = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(range(256)) * 8


class FakeVideoHash(BitStringAlgorithm):
    """Stands in for issue 7's vPDQ: 64 bits made from the file's length."""

    name: ClassVar[str] = "vpdq"
    version: ClassVar[int] = 1
    media_kind: ClassVar[MediaKind] = MediaKind.VIDEO
    hash_bits: ClassVar[int] = 64
    default_threshold: ClassVar[int] = 4

    def examples(self) -> list[str]:
        return ["0" * 16]

    def hash_video_file(self, path: Path) -> HashResult:
        return HashResult(self.from_bytes(path.stat().st_size.to_bytes(8, "big")), 100)


def test_without_a_video_algorithm_videos_get_digests_and_a_note(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "clip.bin").write_bytes(VIDEO)
    args = [
        "--db",
        f"sqlite:///{tmp_path / 'b.sqlite3'}",
        "scan",
        str(evidence),
        "--case",
        str(tmp_path / "c"),
    ]
    result = CliRunner().invoke(cli.app, [*args, "--no-progress"])
    assert result.exit_code == 0, result.output
    case = json.loads((tmp_path / "c" / "case.json").read_text())
    (clip,) = case["files"]
    assert (clip["kind"], clip["type"], clip["status"]) == ("video", "mp4", "hashed")
    assert clip["md5"] == hashlib.md5(VIDEO).hexdigest()
    assert clip["hashes"] == {}
    assert clip["note"] == NO_VIDEO_HASH
    assert case["case"]["video_note"] == NO_VIDEO_HASH
    assert clip["stack"] == 1  # exact duplicates of a video still stack


def test_a_registered_vpdq_hashes_videos_on_disk(tmp_path: Path) -> None:
    registry = default_registry(plugins=False)
    assert video_hasher(registry) is None
    registry.register(FakeVideoHash())
    assert isinstance(video_hasher(registry), FakeVideoHash)
    (tmp_path / "clip").write_bytes(VIDEO)
    (tmp_path / "clips.zip").write_bytes(zip_bytes({"clip.mp4": VIDEO}))
    hasher = ScanHasher(registry, HashMode.FAST, IgnoreSet())
    (on_disk,) = hasher.hash_path(str(tmp_path / "clip"))
    assert [h.algorithm for h in on_disk.hashes] == ["vpdq"]
    assert on_disk.hashes[0].text == f"{len(VIDEO):016x}"
    archive, member = hasher.hash_path(str(tmp_path / "clips.zip"))
    assert archive.kind.value == "archive"
    assert member.hashes == ()
    assert member.note == IN_ARCHIVE


class ImageNamedVpdq(PdqAlgorithm):
    name: ClassVar[str] = "vpdq"


def test_an_image_algorithm_named_vpdq_is_not_used_for_video() -> None:
    assert video_hasher(AlgorithmRegistry([ImageNamedVpdq()])) is None

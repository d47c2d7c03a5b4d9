"""Videos in a scan: vPDQ from the file on disk or from an archive member's bytes (never written
out), MD5 and SHA-1 with a note when no video algorithm is registered, and bank matches through
the resilience stage (a mirrored copy inside a zip)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from mediamatch import cli
from mediamatch.algorithms import AlgorithmRegistry, GradGridAlgorithm, PdqAlgorithm, default_registry
from mediamatch.engine import FileHasher
from mediamatch.engine.hashing import HashMode
from mediamatch.media.video import VideoOptions
from mediamatch.scan.filehash import ScanHasher
from mediamatch.scan.ignore import IgnoreSet
from mediamatch.scan.video import NO_VIDEO_HASH, video_hasher
from mediamatch.store import NewEntry, Store
from tests.scan.conftest import zip_bytes
from tests.videosamples import encode_video, moving_frames

FRAMES = moving_frames(30, seed=9, size=(192, 144))
VIDEO = encode_video(FRAMES)
MIRRORED = encode_video([np.ascontiguousarray(frame[:, ::-1]) for frame in FRAMES])


def test_without_a_video_algorithm_videos_get_digests_and_a_note(tmp_path: Path) -> None:
    registry = AlgorithmRegistry([PdqAlgorithm(), GradGridAlgorithm()])
    assert video_hasher(registry) is None
    (tmp_path / "clip.bin").write_bytes(VIDEO)
    (record,) = ScanHasher(registry, HashMode.FAST, IgnoreSet()).hash_path(str(tmp_path / "clip.bin"))
    assert (record.kind.value, record.type_name, record.status.value) == ("video", "mp4", "hashed")
    assert record.md5 == hashlib.md5(VIDEO).hexdigest()
    assert record.hashes == ()
    assert record.note == NO_VIDEO_HASH


def test_videos_on_disk_and_in_archives_get_the_same_vpdq(tmp_path: Path) -> None:
    (tmp_path / "renamed").write_bytes(VIDEO)
    (tmp_path / "clips.zip").write_bytes(zip_bytes({"inner/clip.mp4": VIDEO}))
    hasher = ScanHasher(default_registry(), HashMode.FAST, IgnoreSet())
    (on_disk,) = hasher.hash_path(str(tmp_path / "renamed"))
    archive, member = hasher.hash_path(str(tmp_path / "clips.zip"))
    assert archive.kind.value == "archive"
    assert on_disk.hash_text("vpdq") is not None
    assert member.hash_text("vpdq") == on_disk.hash_text("vpdq")
    assert {h.variant for h in on_disk.hashes} >= {"", "flipx", "flipy", "rotate90"}
    plain = ScanHasher(default_registry(), HashMode.FAST, IgnoreSet(), resilience=False)
    (without,) = plain.hash_path(str(tmp_path / "renamed"))
    assert [h.variant for h in without.hashes] == [""]


def test_a_mirrored_copy_in_a_zip_matches_a_bank_video(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'banks.sqlite3'}"
    store = Store(database)
    store.create_bank("VIDEOS")
    bank_hasher = FileHasher(
        [default_registry().get("vpdq")], video_options=VideoOptions(sample_interval=None)
    )
    hashed = bank_hasher.hash_data("bank.mp4", VIDEO).results["vpdq"].value.data
    store.add_entries("VIDEOS", [NewEntry("vpdq", hashed, external_id="known-clip")])
    store.close()
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "upload.zip").write_bytes(zip_bytes({"flipped.mp4": MIRRORED}))
    runner = CliRunner()
    for extra, expected in (([], ["known-clip"]), (["--no-resilience"], [])):
        case = tmp_path / f"case{len(extra)}"
        args = ["--db", database, "scan", str(evidence), "--case", str(case), "--no-progress", *extra]
        result = runner.invoke(cli.app, args)
        assert result.exit_code == 0, result.output
        files = json.loads((case / "case.json").read_text())["files"]
        (member,) = [f for f in files if f["path"].endswith("flipped.mp4")]
        assert [m["external_id"] for m in member["matches"]] == expected

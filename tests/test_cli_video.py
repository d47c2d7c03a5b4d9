"""Videos through the command line: hash, an HMA CSV bank list, import, match, export, bank settings."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from mediamatch import cli
from mediamatch.algorithms import VpdqAlgorithm
from mediamatch.samples import brightness
from tests.videosamples import encode_video, moving_frames

RUNNER = CliRunner()
VPDQ = VpdqAlgorithm()


def edited(frames: list[np.ndarray]) -> list[np.ndarray]:
    """Brighter and larger: a re-encoded, resized, recoloured copy."""
    brighter = [brightness(1.1)(f) for f in frames]
    return [np.asarray(Image.fromarray(f).resize((320, 240), Image.Resampling.BILINEAR)) for f in brighter]


@pytest.fixture
def clips(tmp_path: Path) -> dict[str, Path]:
    frames = moving_frames(40, seed=0, size=(240, 180))
    made = {
        "original.mp4": encode_video(frames, fps=10),
        "copy.mkv": encode_video(edited(frames), fps=10, container="matroska"),
        "other.mp4": encode_video(moving_frames(40, seed=3, size=(240, 180)), fps=10),
    }
    paths = {}
    for name, data in made.items():
        paths[name] = tmp_path / name
        paths[name].write_bytes(data)
    return paths


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("MEDIAMATCH_INDEX_CACHE", str(tmp_path / "index-cache"))
    return ["--db", f"sqlite:///{tmp_path / 'cli.sqlite3'}"]


def run(*args: str, code: int = 0) -> str:
    result = RUNNER.invoke(cli.app, list(args))
    assert result.exit_code == code, result.output
    return result.stdout


def test_hash_reports_video_hashes_and_decoding(clips: dict[str, Path]) -> None:
    record = json.loads(run("hash", "-a", "vpdq,md5", str(clips["original.mp4"])))
    assert record["media_type"] == "mp4"
    assert (record["width"], record["height"]) == (240, 180)
    assert record["video"]["decoded_frames"] == 40
    assert record["video"]["sampled_frames"] == 4
    frames = VPDQ.frames(VPDQ.parse(record["hashes"]["vpdq"]["hash"]))
    assert sorted({f.timestamp for f in frames}) == [0.0, 1.0, 2.0, 3.0]
    assert len(record["hashes"]["md5"]["hash"]) == 32
    every = json.loads(run("hash", "-a", "vpdq", "--every-frame", str(clips["original.mp4"])))
    assert every["video"]["sampled_frames"] == 40


def test_without_algorithms_a_video_gets_vpdq_and_an_image_pdq(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    Image.fromarray(moving_frames(1, seed=5, size=(240, 180))[0]).save(tmp_path / "still.png")
    records = [
        json.loads(line)
        for line in run("hash", str(clips["original.mp4"]), str(tmp_path / "still.png")).splitlines()
    ]
    assert [sorted(r["hashes"]) for r in records] == [["vpdq"], ["pdq"]]


def test_images_only_algorithms_refuse_a_video(clips: dict[str, Path]) -> None:
    record = json.loads(run("hash", "-a", "pdq", str(clips["original.mp4"]), code=1))
    assert record["error"]["kind"] == "UnsupportedMedia"
    assert "vpdq" in record["error"]["message"]


@pytest.mark.parametrize("output_format", ["jsonl", "csv", "text", "hma-csv"])
def test_every_hash_output_imports_back_losslessly(
    output_format: str, clips: dict[str, Path], db: list[str], tmp_path: Path
) -> None:
    Image.fromarray(moving_frames(1, seed=5, size=(240, 180))[0]).save(tmp_path / "still name.png")
    files = [str(clips["original.mp4"]), str(tmp_path / "still name.png"), str(tmp_path / "absent.png")]
    algorithms = "pdq,gradgrid144,vpdq,md5"
    written = RUNNER.invoke(cli.app, ["hash", "-a", algorithms, "-f", output_format, *files])
    assert written.exit_code == cli.EXIT_ITEM_FAILED  # the absent file, reported and skipped
    (tmp_path / "hashes.out").write_text(written.stdout)
    wanted = {
        (name, result["hash"], result["quality"], record["path"])
        for record in map(json.loads, run("hash", "-a", algorithms, *files[:2]).splitlines())
        for name, result in record["hashes"].items()
    }
    run(*db, "bank", "create", "BACK")
    imported = run(*db, "bank", "import", "BACK", str(tmp_path / "hashes.out"))
    assert f"{len(wanted)} entries added" in imported
    exported = run(*db, "bank", "export", "BACK", "-", "-f", "mediamatch-jsonl")
    found = {
        (name, result["hash"], result["quality"], record["path"])
        for record in map(json.loads, exported.splitlines())
        for name, result in record["hashes"].items()
    }
    assert found == wanted


def test_bank_of_videos_from_an_hma_csv_then_match_and_export(
    clips: dict[str, Path], db: list[str], tmp_path: Path
) -> None:
    listing = run("hash", "-a", "vpdq", "--every-frame", "-f", "hma-csv", str(clips["original.mp4"]))
    rows = list(csv.DictReader(io.StringIO(listing)))
    assert [(r["signal_type"], r["external_id"]) for r in rows] == [("vpdq", str(clips["original.mp4"]))]
    (tmp_path / "bank.csv").write_text(listing)
    run(*db, "bank", "create", "VIDEOS", "--threshold", "vpdq.query_pct=70")
    run(*db, "bank", "import", "VIDEOS", str(tmp_path / "bank.csv"))

    found = [
        json.loads(line)
        for line in run(*db, "match", str(clips["copy.mkv"]), str(clips["other.mp4"])).splitlines()
    ]
    assert [len(record["matches"]) for record in found] == [1, 0]
    match = found[0]["matches"][0]
    assert match["algorithm"] == "vpdq"
    assert match["external_id"] == str(clips["original.mp4"])
    assert match["video"]["query_pct"] >= 80
    assert match["video"]["bank_pct"] >= 80
    assert match["video"]["query_ranges"][0][0] == 0.0

    run(*db, "bank", "export", "VIDEOS", str(tmp_path / "out.txt"), "-f", "plain", "-a", "vpdq")
    exported = (tmp_path / "out.txt").read_text().strip()
    assert VPDQ.parse(exported) == VPDQ.parse(rows[0]["signal_value"])
    run(*db, "bank", "export", "VIDEOS", str(tmp_path / "out.csv"), "-f", "hma-csv")
    again = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text())))
    assert VPDQ.parse(again[0]["signal_value"]) == VPDQ.parse(rows[0]["signal_value"])


def test_unknown_video_setting_is_refused(db: list[str]) -> None:
    result = RUNNER.invoke(cli.app, [*db, "bank", "create", "VIDEOS", "--threshold", "vpdq.nope=3"])
    assert result.exit_code != 0
    assert "query_pct" in str(result.exception) + result.output


def test_add_images_takes_videos_with_their_classification(
    clips: dict[str, Path], db: list[str], tmp_path: Path
) -> None:
    """Issue 19 item 13: a folder of known pictures and videos goes into a bank in one command."""
    known = tmp_path / "known"
    known.mkdir()
    (known / "original.mp4").write_bytes(clips["original.mp4"].read_bytes())
    Image.fromarray(moving_frames(1, seed=5, size=(240, 180))[0]).save(known / "still.png")
    run(*db, "bank", "create", "KNOWN", "--threshold", "vpdq.query_pct=70")
    run(*db, "bank", "add-images", "KNOWN", str(known), "--classification", "A2")
    exported = run(*db, "bank", "export", "KNOWN", "-", "-f", "hma-csv")
    rows = {
        (r["signal_type"], r["external_id"], r["classification"])
        for r in csv.DictReader(io.StringIO(exported))
    }
    assert {("vpdq", "original.mp4", "A2"), ("md5", "original.mp4", "A2"), ("pdq", "still.png", "A2")} <= rows
    found = json.loads(run(*db, "match", str(clips["copy.mkv"])))
    assert [(m["algorithm"], m["external_id"], m["classification"]) for m in found["matches"]] == [
        ("vpdq", "original.mp4", "A2")
    ]

"""Images in a scan match through the resilience stage: a mirrored copy and a bordered copy of a
bank image are found, and ``--no-resilience`` gives plain matching."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from mediamatch import cli
from mediamatch.algorithms import PdqAlgorithm, default_registry
from mediamatch.engine.bank_images import add_images
from mediamatch.samples import encode, synthetic_photo
from mediamatch.store import NewEntry, Store

ORIGINAL = synthetic_photo(31, 480, 360)


def test_mirrored_and_bordered_copies_match_only_with_the_stage(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'banks.sqlite3'}"
    store = Store(database)
    store.create_bank("KNOWN")
    pdq = PdqAlgorithm().hash_pixels(ORIGINAL).value.data
    store.add_entries("KNOWN", [NewEntry("pdq", pdq, external_id="known-photo")])
    store.close()
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "mirrored.jpg").write_bytes(encode(np.ascontiguousarray(ORIGINAL[:, ::-1]), "JPEG"))
    bordered = np.pad(ORIGINAL, ((60, 60), (80, 80), (0, 0)), constant_values=0)
    (evidence / "bordered.png").write_bytes(encode(bordered, "PNG"))
    for extra, expected in (([], ["known-photo"]), (["--no-resilience"], [])):
        case = tmp_path / f"case{len(extra)}"
        args = ["--db", database, "scan", str(evidence), "--case", str(case), "--no-progress", *extra]
        result = CliRunner().invoke(cli.app, args)
        assert result.exit_code == 0, result.output
        files = json.loads((case / "case.json").read_text())["files"]
        assert len(files) == 2
        for item in files:
            assert [m["external_id"] for m in item["matches"]] == expected, (item["path"], extra)


def _window_rows(case: Path) -> int:
    with closing(sqlite3.connect(case / "case.sqlite")) as connection:
        (count,) = connection.execute("SELECT count(*) FROM hashes WHERE variant LIKE 'window%'").fetchone()
    return int(count)


def test_crop_windows_are_kept_only_when_the_banks_hold_regions(tmp_path: Path) -> None:
    """Windows only meet stored regions: a scan against hash lists leaves them out, and a scan
    against a bank built from images keeps them and finds a 20 % crop placed off-centre."""
    database = f"sqlite:///{tmp_path / 'banks.sqlite3'}"
    store = Store(database)
    store.create_bank("HASHES")
    pdq = PdqAlgorithm().hash_pixels(ORIGINAL).value.data
    store.add_entries("HASHES", [NewEntry("pdq", pdq, external_id="listed")])
    store.create_bank("IMAGES")
    (tmp_path / "bank").mkdir()
    (tmp_path / "bank" / "known.png").write_bytes(encode(ORIGINAL, "PNG"))
    add_images(store, default_registry(), "IMAGES", [tmp_path / "bank"], algorithms=["gradgrid144"])
    store.close()
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    rows, cols = ORIGINAL.shape[:2]
    cropped = np.ascontiguousarray(ORIGINAL[round(rows * 0.2) :, : round(cols * 0.8)])
    (evidence / "cropped.png").write_bytes(encode(cropped, "PNG"))
    found = {}
    for bank in ("HASHES", "IMAGES"):
        case = tmp_path / bank
        args = ["--db", database, "scan", str(evidence), "--case", str(case), "--no-progress", "--bank", bank]
        result = CliRunner().invoke(cli.app, args)
        assert result.exit_code == 0, result.output
        (item,) = json.loads((case / "case.json").read_text())["files"]
        found[bank] = (_window_rows(case), [m["external_id"] for m in item["matches"]])
    assert found["HASHES"] == (0, [])
    windows, matched = found["IMAGES"]
    assert windows > 0
    assert matched == ["known.png"]

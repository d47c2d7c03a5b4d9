"""Images in a scan match through the resilience stage: a mirrored copy and a bordered copy of a
bank image are found, and ``--no-resilience`` gives plain matching."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from mediamatch import cli
from mediamatch.algorithms import PdqAlgorithm
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

"""A quarantined entry never matches from the command line: ``match`` (index snapshots on) and
``scan`` on centre crops of pictures banked with ``bank add-images``, as a dispute leaves them.

Runs on SQLite always and on PostgreSQL when it is configured.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from mediamatch import cli
from mediamatch.samples import detailed_photo, encode
from mediamatch.store import Store
from mediamatch.store.feedback import FeedbackStore
from tests.store.conftest import store

__all__ = ["store"]

RUNNER = CliRunner()
NAMES = [f"photo{seed}.jpg" for seed in range(4)]


def run(url: str, *args: str) -> str:
    result = RUNNER.invoke(cli.app, ["--db", url, *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def centre_crops(tmp_path: Path) -> tuple[Path, Path]:
    """The bank's pictures, and their centre crops keeping 80 % of each side (met by crop windows
    and stored regions)."""
    pictures, crops = tmp_path / "pictures", tmp_path / "crops"
    pictures.mkdir()
    crops.mkdir()
    for seed, name in enumerate(NAMES):
        pixels = detailed_photo(70 + seed, 480, 360)
        (pictures / name).write_bytes(encode(pixels, "JPEG", quality=92))
        crop = np.ascontiguousarray(pixels[36:324, 48:432])
        (crops / name).write_bytes(encode(crop, "JPEG", quality=85))
    return pictures, crops


def matched_by_match(url: str, crops: Path, cache: Path) -> dict[str, set[str]]:
    lines = run(url, "match", str(crops), "--index-cache", str(cache)).splitlines()
    return {
        Path(found["path"]).name: {m["external_id"] for m in found["matches"]}
        for found in map(json.loads, lines)
    }


def matched_by_scan(url: str, crops: Path, case: Path) -> dict[str, set[str]]:
    run(url, "scan", str(crops), "--case", str(case), "--no-progress")
    files = json.loads((case / "case.json").read_text())["files"]
    return {Path(f["path"]).name: {m["external_id"] for m in f["matches"]} for f in files}


def test_quarantined_pictures_stop_matching_and_reinstated_ones_match_again(
    store: Store, tmp_path: Path
) -> None:
    url = store.url
    pictures, crops = centre_crops(tmp_path)
    run(url, "bank", "create", "KNOWN")
    run(url, "bank", "add-images", "KNOWN", str(pictures))
    everything = {name: {name} for name in NAMES}
    cache = tmp_path / "index-cache"
    assert matched_by_match(url, crops, cache) == everything

    held = [e.id for e in store.entries("KNOWN") if e.external_id in NAMES[:2]]
    feedback = FeedbackStore(store)
    for entry_id in held:
        assert feedback.quarantine(entry_id, 2, datetime.now(UTC))
    expected = {name: (set() if name in NAMES[:2] else {name}) for name in NAMES}
    assert matched_by_match(url, crops, cache) == expected
    assert matched_by_scan(url, crops, tmp_path / "case-held") == expected

    for entry_id in held:
        run(url, "bank", "quarantine", "reinstate", str(entry_id))
    assert matched_by_match(url, crops, cache) == everything
    assert matched_by_scan(url, crops, tmp_path / "case-reinstated") == everything

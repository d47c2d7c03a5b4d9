"""Writing a case's outputs into its folder: report.html, files.csv, case.json and vics.json."""

from __future__ import annotations

import os
from pathlib import Path

from mediamatch.scan.casedb import CaseDB
from mediamatch.scan.caseview import CaseView, load_view
from mediamatch.scan.exports import write_csv, write_json, write_vics
from mediamatch.scan.report import render_report
from mediamatch.scan.thumbnails import Thumbnail, make_thumbnails

OUTPUT_NAMES = ("report.html", "files.csv", "case.json", "vics.json")


def _thumbnails(view: CaseView, workers: int | None) -> dict[int, Thumbnail]:
    representatives = [
        (number, members[0]) for number, members in view.stacks().items() if members[0].kind == "image"
    ]
    made = make_thumbnails([(f.unit_path, f.path) for _, f in representatives], workers)
    return {number: thumb for (number, _), thumb in zip(representatives, made, strict=True) if thumb}


def write_outputs(case: CaseDB, *, workers: int | None = None) -> list[Path]:
    """Render every output from the case database; returns the paths written.

    Each file is written beside its target and renamed over it, so a crash never leaves
    half an output."""
    view = load_view(case)
    written = []
    for name in OUTPUT_NAMES:
        target = case.folder / name
        partial = target.with_name(f".{name}.partial")
        with partial.open("w", encoding="utf-8", newline="") as stream:
            if name == "report.html":
                stream.write(render_report(view, _thumbnails(view, workers)))
            elif name == "files.csv":
                write_csv(view, stream)
            elif name == "case.json":
                write_json(view, stream)
            else:
                write_vics(view, stream)
        os.replace(partial, target)
        written.append(target)
    return written

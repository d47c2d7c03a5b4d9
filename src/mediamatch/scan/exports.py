"""Machine-readable case outputs: CSV (one row per file), JSON (the whole case) and VICS 2.0 JSON.

Times are ISO 8601 in UTC. The VICS export has one ``Media`` object per distinct content
(MD5 and SHA-1) with every path it was found at in ``MediaFiles``; it uses the field
names ``engine.hashlists.vics_json`` reads, so ``mediamatch bank import`` accepts it.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from typing import IO, Any

from mediamatch.engine.hashlists.vics_json import CONTEXT
from mediamatch.scan.caseview import CaseView, FileView, MatchView

HASH_COLUMNS = ("pdq", "gradgrid144", "vpdq")
CSV_COLUMNS = (
    "path", "size", "modified", "changed", "accessed", "kind", "type", "status", "md5", "sha1",
    *(c for name in HASH_COLUMNS for c in (name, f"{name}_quality")),
    "width", "height", "stack", "representative", "near_duplicate", "classification", "matches",
    "error_kind", "error", "note",
)  # fmt: skip


def iso(moment: float | None) -> str | None:
    return None if moment is None else datetime.fromtimestamp(moment, UTC).isoformat()


def _match_text(match: MatchView) -> str:
    label = match.classification or "-"
    state = " suppressed" if match.suppressed else ""
    external = match.external_id or "-"
    return (
        f"{match.bank} entry {match.entry_id} ({external}) {label} {match.algorithm}={match.distance}{state}"
    )


def _csv_row(item: FileView) -> list[Any]:
    hashes = [v for name in HASH_COLUMNS for v in item.hashes.get(name, ("", ""))]
    return [
        item.path, item.size, iso(item.modified), iso(item.changed), iso(item.accessed), item.kind,
        item.type_name, item.status, item.md5, item.sha1, *hashes, item.width, item.height, item.stack,
        int(item.representative) if item.stack else "", int(item.near) if item.stack else "",
        item.classification, "; ".join(_match_text(m) for m in item.matches), item.error_kind,
        item.error_message, item.note,
    ]  # fmt: skip


def write_csv(view: CaseView, stream: IO[str]) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for item in view.files:
        writer.writerow(["" if value is None else value for value in _csv_row(item)])


def file_to_dict(item: FileView) -> dict[str, Any]:
    times = {"modified": iso(item.modified), "changed": iso(item.changed), "accessed": iso(item.accessed)}
    error = None if item.error_kind is None else {"kind": item.error_kind, "message": item.error_message}
    return {
        "path": item.path, "size": item.size, "times": times,
        "kind": item.kind, "type": item.type_name, "status": item.status, "md5": item.md5, "sha1": item.sha1,
        "hashes": {name: {"hash": text, "quality": q} for name, (text, q) in sorted(item.hashes.items())},
        "width": item.width, "height": item.height, "stack": item.stack,
        "representative": item.representative, "near_duplicate": item.near,
        "classification": item.classification,
        "matches": [_match_dict(m) for m in item.matches],
        "error": error, "note": item.note,
    }  # fmt: skip


def _match_dict(match: MatchView) -> dict[str, Any]:
    return {name: getattr(match, name) for name in MatchView.__slots__}


def case_to_dict(view: CaseView) -> dict[str, Any]:
    stacks = [
        {"stack": number, "representative": members[0].path, "near_duplicate": members[0].near,
         "members": [m.path for m in members]}
        for number, members in view.stacks().items()
    ]  # fmt: skip
    return {
        "case": view.settings,
        "summary": view.summary(),
        "files": [file_to_dict(f) for f in view.files],
        "stacks": stacks,
        "passed_over": [{"path": p, "reason": r} for p, r in view.passed_over],
    }


def write_json(view: CaseView, stream: IO[str]) -> None:
    json.dump(case_to_dict(view), stream, indent=1)
    stream.write("\n")


def _vics_category(files: list[FileView]) -> int:
    categories = [m.vics_category for f in files for m in f.counted_matches if m.vics_category is not None]
    severe = [c for c in categories if c > 0]
    return min(severe) if severe else 0


def _media_file(item: FileView) -> dict[str, Any]:
    folder, _, name = item.path.rpartition("/")
    found: dict[str, Any] = {"FileName": name, "FilePath": folder, "FileSize": item.size}
    for field, moment in (("Written", item.modified), ("Accessed", item.accessed)):
        if moment is not None:
            found[field] = iso(moment)
    return found


def _media(media_id: int, files: list[FileView]) -> dict[str, Any]:
    first = files[0]
    media: dict[str, Any] = {
        "MediaID": media_id, "Category": _vics_category(files), "MD5": (first.md5 or "").upper(),
        "SHA1": (first.sha1 or "").upper(), "MediaSize": first.size, "AlternativeHashes": [],
        "MediaFiles": [_media_file(f) for f in files],
    }  # fmt: skip
    pdq = first.hashes.get("pdq")
    if pdq is not None:
        media["AlternativeHashes"].append({"HashName": "PDQ", "HashValue": pdq[0]})
    return media


def write_vics(view: CaseView, stream: IO[str]) -> int:
    """Media objects for hashed and failed media files with digests; returns how many were written."""
    contents: dict[tuple[str, str], list[FileView]] = {}
    for item in view.files:
        if item.kind in ("image", "video") and item.status != "ignored" and item.md5 and item.sha1:
            contents.setdefault((item.md5, item.sha1), []).append(item)
    media = [_media(number, files) for number, files in enumerate(contents.values(), start=1)]
    json.dump({"odata.metadata": CONTEXT, "Media": media}, stream, indent=1)
    stream.write("\n")
    return len(media)

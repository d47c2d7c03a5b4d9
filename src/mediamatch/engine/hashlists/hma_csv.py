"""CSV with HMA's column names: ``signal_type`` and ``signal_value``, plus optional metadata.

Header row required. Columns: ``signal_type`` (HMA's signal type names: ``pdq``,
``video_md5`` and ``md5``, or any mediamatch algorithm name, such as ``vpdq`` whose value
is a whole video's frame hashes), ``signal_value``; optional
``classification`` (A1/A2/B1/B2), ``tags`` (separated by ``;``), ``source``,
``external_id``, ``note``, ``quality``. Export writes all of them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import IO

from mediamatch.algorithms import AlgorithmRegistry
from mediamatch.engine.hashlists.base import Parsed, Record, RowError, entry_new, error_at
from mediamatch.errors import MediamatchError
from mediamatch.store import Classification, Entry

COLUMNS = [
    "signal_type",
    "signal_value",
    "classification",
    "tags",
    "source",
    "external_id",
    "note",
    "quality",
]
SIGNAL_TYPE_ALIASES = {"video_md5": "md5", "photo_md5": "md5", "pdq_hash": "pdq"}
MAX_FIELD_CHARS = 256 * 1024 * 1024
"""A whole video's vPDQ hash is one field: far longer than the csv module's default limit."""


def _quality(text: str) -> int | None:
    if not text.strip():
        return None
    value = int(text)
    if not 0 <= value <= 100:
        raise ValueError(f"quality must be 0-100, not {value}")
    return value


def _record(row: dict[str, str], line: int, registry: AlgorithmRegistry) -> Record:
    kind = (row.get("signal_type") or "").strip().lower()
    algorithm = SIGNAL_TYPE_ALIASES.get(kind, kind)
    try:
        entry = entry_new(
            registry,
            algorithm,
            row.get("signal_value") or "",
            quality=_quality(row.get("quality") or ""),
            classification=Classification.parse(row.get("classification")),
            tags=tuple(t.strip() for t in (row.get("tags") or "").split(";") if t.strip()),
            source=(row.get("source") or None),
            external_id=(row.get("external_id") or None),
            note=(row.get("note") or None),
        )
    except (MediamatchError, ValueError) as error:
        return error_at(line, error)
    return Parsed(line, [entry])


def read(stream: IO[bytes], registry: AlgorithmRegistry, algorithm: str | None) -> Iterator[Record]:
    if csv.field_size_limit() < MAX_FIELD_CHARS:
        csv.field_size_limit(MAX_FIELD_CHARS)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    rows = csv.DictReader(text)
    try:
        header = rows.fieldnames or []
        missing = {"signal_type", "signal_value"} - set(header)
        if missing:
            yield RowError(1, f"CSV header lacks {', '.join(sorted(missing))} (found: {', '.join(header)})")
            return
        for row in rows:
            yield _record(row, rows.line_num, registry)
    except (csv.Error, UnicodeDecodeError) as error:
        yield RowError(rows.line_num, f"unreadable CSV: {error}")
    finally:
        text.detach()


def write(
    entries: Iterable[Entry], stream: IO[bytes], registry: AlgorithmRegistry, algorithm: str | None
) -> int:
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    written = 0
    for entry in entries:
        if algorithm is not None and entry.algorithm != algorithm:
            continue
        chosen = registry.get(entry.algorithm)
        classification = entry.classification.value if entry.classification else ""
        quality = "" if entry.quality is None else str(entry.quality)
        writer.writerow(
            [
                entry.algorithm,
                chosen.format(chosen.from_bytes(entry.hash)),
                classification,
                ";".join(entry.tags),
                entry.source or "",
                entry.external_id or "",
                entry.note or "",
                quality,
            ]
        )
        written += 1
    text.flush()
    text.detach()
    return written

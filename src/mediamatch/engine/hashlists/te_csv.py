"""ThreatExchange's CSV, as ``threatexchange dataset -P --csv`` writes it.

Header ``signal_type,signal_str,collab,category,tags``. Signal types ``pdq``, ``vpdq``,
``video_md5``, ``photo_md5`` and ``md5`` are imported (both MD5 kinds as ``md5``, the original name
kept as a ``te-signal-type:`` tag so export writes it back); others (``url``, ``raw_text``,
``trend_query``, ...) are not hashes of media and are skipped and counted. ``collab`` becomes the
entry's source, ``category`` a ``te-category:`` tag, and the space-separated ``tags`` tags.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import IO

from mediamatch.algorithms import AlgorithmRegistry
from mediamatch.engine.hashlists.base import Parsed, Record, RowError, entry_new, error_at
from mediamatch.errors import MediamatchError
from mediamatch.store import Entry

COLUMNS = ["signal_type", "signal_str", "collab", "category", "tags"]
SIGNAL_TYPES = {"pdq": "pdq", "vpdq": "vpdq", "video_md5": "md5", "photo_md5": "md5", "md5": "md5"}
SIGNAL_TYPE_TAG = "te-signal-type:"
CATEGORY_TAG = "te-category:"


def _record(row: dict[str, str], line: int, registry: AlgorithmRegistry, algorithm: str | None) -> Record:
    kind = (row.get("signal_type") or "").strip().lower()
    chosen = SIGNAL_TYPES.get(kind)
    if chosen is None or (algorithm is not None and chosen != algorithm):
        return Parsed(line, skipped=1)
    tags = [t for t in (row.get("tags") or "").split() if t]
    if (row.get("category") or "").strip():
        tags.append(CATEGORY_TAG + row["category"].strip())
    if kind != chosen:
        tags.append(SIGNAL_TYPE_TAG + kind)
    try:
        entry = entry_new(
            registry,
            chosen,
            row.get("signal_str") or "",
            tags=tuple(tags),
            source=(row.get("collab") or None),
        )
    except (MediamatchError, ValueError) as error:
        return error_at(line, error)
    return Parsed(line, [entry])


def read(stream: IO[bytes], registry: AlgorithmRegistry, algorithm: str | None) -> Iterator[Record]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    rows = csv.DictReader(text)
    try:
        missing = {"signal_type", "signal_str"} - set(rows.fieldnames or [])
        if missing:
            yield RowError(1, f"CSV header lacks {', '.join(sorted(missing))}")
            return
        for row in rows:
            yield _record(row, rows.line_num, registry, algorithm)
    except (csv.Error, UnicodeDecodeError) as error:
        yield RowError(rows.line_num, f"unreadable CSV: {error}")
    finally:
        text.detach()


def _signal_type(entry: Entry) -> str:
    named = [t.removeprefix(SIGNAL_TYPE_TAG) for t in entry.tags if t.startswith(SIGNAL_TYPE_TAG)]
    return named[0] if named else ("video_md5" if entry.algorithm == "md5" else entry.algorithm)


def write(
    entries: Iterable[Entry], stream: IO[bytes], registry: AlgorithmRegistry, algorithm: str | None
) -> int:
    """One row per PDQ, vPDQ and MD5 entry (other algorithms have no ThreatExchange signal type)."""
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    written = 0
    for entry in entries:
        if entry.algorithm not in ("pdq", "vpdq", "md5") or (
            algorithm is not None and entry.algorithm != algorithm
        ):
            continue
        chosen = registry.get(entry.algorithm)
        category = next((t.removeprefix(CATEGORY_TAG) for t in entry.tags if t.startswith(CATEGORY_TAG)), "")
        plain_tags = [t for t in entry.tags if not t.startswith((CATEGORY_TAG, SIGNAL_TYPE_TAG))]
        value = chosen.format(chosen.from_bytes(entry.hash))
        writer.writerow([_signal_type(entry), value, entry.source or "", category, " ".join(plain_tags)])
        written += 1
    text.detach()
    return written

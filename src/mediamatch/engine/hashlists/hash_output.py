"""What ``mediamatch hash`` writes, read back as hash lists: its JSON lines, its CSV and its text.

Each file's record becomes one entry per hash it carries, with the hash's quality and the file's
path as the entry's external id. A record of a file that could not be hashed carries no hash: it
is counted as skipped, not as a bad record. Media type and picture size are not entry fields and
are not kept. Export writes one record per entry in the same shape (the external id as the path),
so a bank exported this way reads back as it was.

- ``mediamatch-jsonl``: one JSON object per line with ``path`` and ``hashes`` (by algorithm:
  ``hash`` and ``quality``), or ``error``.
- ``mediamatch-csv``: header ``path,media_type,width,height``, then a ``NAME,NAME_quality`` pair
  of columns per algorithm, then ``error_kind,error``.
- ``mediamatch-text``: per line, ``NAME:HASH QUALITY`` fields (``-`` for no quality) separated by
  two spaces, then two spaces and the path; ``ERROR kind: message  path`` for a failed file.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from typing import IO, Any

from mediamatch.algorithms import AlgorithmRegistry
from mediamatch.engine.hashlists.base import Parsed, Record, RowError, entry_new, error_at
from mediamatch.errors import MediamatchError
from mediamatch.store import Entry, NewEntry

CSV_LEAD = ["path", "media_type", "width", "height"]
CSV_TAIL = ["error_kind", "error"]
TEXT_FIELD = re.compile(r"(?P<hash>[A-Za-z0-9_.-]+:\S+) (?P<quality>\d{1,3}|-)  ")
TEXT_ERROR = "ERROR "
NO_PATH = "-"
"""The text format's path of an entry without an external id."""


def _quality(value: object) -> int | None:
    if value is None or value == "" or value == "-":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"quality must be a whole number 0-100, not {value!r}")
    number = int(value)
    if not 0 <= number <= 100:
        raise ValueError(f"quality must be 0-100, not {number}")
    return number


def _entries(
    registry: AlgorithmRegistry, path: str, hashes: Iterable[tuple[str, str, object]], algorithm: str | None
) -> list[NewEntry]:
    """Entries of one file's hashes (``algorithm``, when given, keeps only its own)."""
    return [
        entry_new(registry, name, text, quality=_quality(quality), external_id=path or None)
        for name, text, quality in hashes
        if algorithm is None or name == algorithm
    ]


def _hashes_of_object(item: dict[str, Any]) -> list[tuple[str, str, object]]:
    hashes = item.get("hashes", {})
    if not isinstance(hashes, dict):
        raise ValueError("'hashes' must be an object of algorithm name to {hash, quality}")
    found = []
    for name, result in hashes.items():
        if not isinstance(result, dict) or not isinstance(result.get("hash"), str):
            raise ValueError(f"hash of {name!r} must be an object with a 'hash' text")
        found.append((str(name).lower(), result["hash"], result.get("quality")))
    return found


def read_jsonl(stream: IO[bytes], registry: AlgorithmRegistry, algorithm: str | None) -> Iterator[Record]:
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
            if not isinstance(item, dict) or not isinstance(item.get("path"), str):
                raise ValueError("each line must be a JSON object with a 'path' text")
            hashes = _hashes_of_object(item)
            if not hashes:
                yield Parsed(number, skipped=1)  # a file that could not be hashed
                continue
            yield Parsed(number, _entries(registry, item["path"], hashes, algorithm))
        except (MediamatchError, ValueError, RecursionError) as error:
            yield error_at(number, ValueError(str(error)) if isinstance(error, RecursionError) else error)


def _csv_algorithms(header: list[str]) -> list[str] | str:
    """The algorithm names of a hash CSV's header, or why the header is not one."""
    middle = header[len(CSV_LEAD) : len(header) - len(CSV_TAIL)]
    if header[: len(CSV_LEAD)] != CSV_LEAD or header[len(header) - len(CSV_TAIL) :] != CSV_TAIL:
        return f"header must start {','.join(CSV_LEAD)} and end {','.join(CSV_TAIL)}"
    names = middle[0::2]
    if len(middle) % 2 or any(q != f"{n}_quality" for n, q in zip(names, middle[1::2], strict=False)):
        return "header must name each algorithm as a pair of columns NAME,NAME_quality"
    return names


def read_csv(stream: IO[bytes], registry: AlgorithmRegistry, algorithm: str | None) -> Iterator[Record]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    rows = csv.reader(text)
    try:
        names = _csv_algorithms(next(rows, []))
        if isinstance(names, str):
            yield RowError(1, names)
            return
        for row in rows:
            if not row:
                continue
            if len(row) != len(CSV_LEAD) + 2 * len(names) + len(CSV_TAIL):
                yield RowError(rows.line_num, f"expected {len(CSV_LEAD) + 2 * len(names) + 2} columns")
                continue
            values = row[len(CSV_LEAD) : len(CSV_LEAD) + 2 * len(names)]
            hashes = [(n, h, q) for n, h, q in zip(names, values[0::2], values[1::2], strict=True) if h]
            if not hashes:
                yield Parsed(rows.line_num, skipped=1)
                continue
            try:
                yield Parsed(rows.line_num, _entries(registry, row[0], hashes, algorithm))
            except (MediamatchError, ValueError) as error:
                yield error_at(rows.line_num, error)
    except (csv.Error, UnicodeDecodeError) as error:
        yield RowError(rows.line_num, f"unreadable CSV: {error}")
    finally:
        text.detach()


def parse_text_line(line: str) -> tuple[list[tuple[str, str, str]], str] | None:
    """``(hashes as (name, hash text, quality), path)`` of one text line; None if it is not one."""
    position, hashes = 0, []
    while match := TEXT_FIELD.match(line, position):
        name, _, body = match["hash"].partition(":")
        hashes.append((name.lower(), body, match["quality"]))
        position = match.end()
    if not hashes or position >= len(line):
        return None
    return hashes, line[position:]


def read_text(stream: IO[bytes], registry: AlgorithmRegistry, algorithm: str | None) -> Iterator[Record]:
    for number, raw in enumerate(stream, start=1):
        try:
            line = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            yield RowError(number, "line is not UTF-8 text")
            continue
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith(TEXT_ERROR):
            yield Parsed(number, skipped=1)
            continue
        parsed = parse_text_line(line)
        if parsed is None:
            yield RowError(number, "expected 'NAME:HASH QUALITY  ...  PATH' (fields two spaces apart)")
            continue
        hashes, path = parsed
        try:
            yield Parsed(number, _entries(registry, "" if path == NO_PATH else path, hashes, algorithm))
        except (MediamatchError, ValueError) as error:
            yield error_at(number, error)


def _selected(entries: Iterable[Entry], algorithm: str | None) -> Iterator[Entry]:
    return (entry for entry in entries if algorithm is None or entry.algorithm == algorithm)


def _hash_text(registry: AlgorithmRegistry, entry: Entry) -> str:
    chosen = registry.get(entry.algorithm)
    return chosen.format(chosen.from_bytes(entry.hash))


def write_jsonl(
    entries: Iterable[Entry], stream: IO[bytes], registry: AlgorithmRegistry, algorithm: str | None
) -> int:
    written = 0
    for entry in _selected(entries, algorithm):
        result = {"hash": _hash_text(registry, entry), "quality": entry.quality}
        record = {"path": entry.external_id or "", "hashes": {entry.algorithm: result}}
        stream.write(json.dumps(record).encode() + b"\n")
        written += 1
    return written


def write_csv(
    entries: Iterable[Entry], stream: IO[bytes], registry: AlgorithmRegistry, algorithm: str | None
) -> int:
    """Columns for every algorithm of the registry (or the one asked for); one row per entry."""
    names = [algorithm] if algorithm else registry.names()
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow([*CSV_LEAD, *(column for n in names for column in (n, f"{n}_quality")), *CSV_TAIL])
    written = 0
    for entry in _selected(entries, algorithm):
        values = []
        for name in names:
            own = name == entry.algorithm
            quality = "" if not own or entry.quality is None else str(entry.quality)
            values += [_hash_text(registry, entry) if own else "", quality]
        writer.writerow([entry.external_id or "", "", "", "", *values, "", ""])
        written += 1
    text.detach()
    return written


def text_line(hashes: Iterable[tuple[str, str, int | None]], path: str) -> str:
    """One text line: ``NAME:HASH QUALITY`` fields and the path, two spaces apart."""
    fields = [f"{name}:{text} {'-' if quality is None else quality}" for name, text, quality in hashes]
    return "  ".join([*fields, path])


def write_text(
    entries: Iterable[Entry], stream: IO[bytes], registry: AlgorithmRegistry, algorithm: str | None
) -> int:
    written = 0
    for entry in _selected(entries, algorithm):
        line = text_line(
            [(entry.algorithm, _hash_text(registry, entry), entry.quality)], entry.external_id or NO_PATH
        )
        stream.write(line.encode() + b"\n")
        written += 1
    return written

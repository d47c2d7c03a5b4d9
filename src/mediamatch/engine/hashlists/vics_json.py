"""Project VIC VICS 2.0 JSON: a ``Media`` array (``value`` in OData exports) of hashed files.

Each media object gives entries for ``MD5``, ``SHA1`` and, among ``AlternativeHashes``,
``PDQ``; ``MediaID`` becomes the external id and ``Category`` a ``vics-category:N`` tag
(VICS categories are not the industry A1-B2 scale, so no classification is invented).
Other alternative hashes (PhotoDNA and the like) are skipped and counted.

The array is decoded one object at a time from a sliding buffer, so a file of millions
of media never sits in memory whole.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Iterator
from itertools import groupby
from typing import IO, Any

from mediamatch.algorithms import AlgorithmRegistry
from mediamatch.engine.hashlists.base import Parsed, Record, RowError, entry_new, error_at
from mediamatch.errors import MediamatchError
from mediamatch.store import Entry

CHUNK = 1 << 20
ARRAY_START = re.compile(r'"(Media|value)"\s*:\s*\[')
CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/JSON/$metadata#Media"
DIRECT_FIELDS = {"MD5": "md5", "SHA1": "sha1"}
ALTERNATIVE_NAMES = {"pdq": "pdq", "sha256": "sha256"}


class _Buffer:
    """Text read in chunks, with the line number of the read position."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.text_stream = io.TextIOWrapper(stream, encoding="utf-8-sig")
        self.text = ""
        self.position = 0
        self.line = 1
        self.exhausted = False

    def more(self) -> bool:
        if self.exhausted:
            return False
        chunk = self.text_stream.read(CHUNK)
        if not chunk:
            self.exhausted = True
            return False
        self.line += self.text.count("\n", 0, self.position)
        self.text = self.text[self.position :] + chunk
        self.position = 0
        return True

    def advance_to(self, position: int) -> None:
        self.line += self.text.count("\n", self.position, position)
        self.position = position

    def skip(self, characters: str) -> str | None:
        """Skip ``characters``; the next character, or None at the end of the input."""
        while True:
            while self.position < len(self.text) and self.text[self.position] in characters:
                self.advance_to(self.position + 1)
            if self.position < len(self.text):
                return self.text[self.position]
            if not self.more():
                return None


def _objects(buffer: _Buffer) -> Iterator[tuple[int, Any] | RowError]:
    while not (found := ARRAY_START.search(buffer.text, buffer.position)):
        if not buffer.more():
            yield RowError(buffer.line, 'no "Media" (or "value") array found')
            return
    buffer.advance_to(found.end())
    decoder = json.JSONDecoder()
    while (following := buffer.skip(" \t\r\n,")) not in (None, "]"):
        try:
            item, end = decoder.raw_decode(buffer.text, buffer.position)
        except json.JSONDecodeError as error:
            if buffer.more():
                continue
            yield RowError(buffer.line, f"malformed JSON: {error.msg}")
            return
        line = buffer.line
        buffer.advance_to(end)
        yield line, item
    if following is None:
        yield RowError(buffer.line, "the media array is not closed")


def _alternatives(item: dict[str, Any]) -> tuple[list[tuple[str, str]], int]:
    found, skipped = [], 0
    for alternative in item.get("AlternativeHashes") or []:
        name = str(alternative.get("HashName", "")).strip().lower() if isinstance(alternative, dict) else ""
        value = alternative.get("HashValue") if isinstance(alternative, dict) else None
        if name in ALTERNATIVE_NAMES and isinstance(value, str) and value.strip():
            found.append((ALTERNATIVE_NAMES[name], value))
        else:
            skipped += 1
    return found, skipped


def _record(line: int, item: Any, registry: AlgorithmRegistry) -> Record:
    if not isinstance(item, dict):
        return RowError(line, "media item is not a JSON object")
    hashes = [(algorithm, item[key]) for key, algorithm in DIRECT_FIELDS.items() if item.get(key)]
    alternatives, skipped = _alternatives(item)
    media_id = item.get("MediaID")
    common = {
        "external_id": None if media_id is None else str(media_id),
        "tags": () if item.get("Category") is None else (f"vics-category:{item['Category']}",),
        "source": "Project VIC",
    }
    try:
        entries = [entry_new(registry, a, str(v), **common) for a, v in hashes + alternatives]
    except MediamatchError as error:
        return error_at(line, error)
    if not entries:
        return RowError(line, "media item has no MD5, SHA1 or PDQ hash")
    return Parsed(line, entries, skipped=skipped)


def read(stream: IO[bytes], registry: AlgorithmRegistry, algorithm: str | None) -> Iterator[Record]:
    buffer = _Buffer(stream)
    try:
        for found in _objects(buffer):
            yield found if isinstance(found, RowError) else _record(*found, registry)
    except UnicodeDecodeError:
        yield RowError(buffer.line, "file is not UTF-8 text")
    finally:
        buffer.text_stream.detach()


def _category(group: list[Entry]) -> int:
    for entry in group:
        for tag in entry.tags:
            if tag.startswith("vics-category:") and tag.split(":", 1)[1].isdigit():
                return int(tag.split(":", 1)[1])
    return 0


def _media(media_id: str, group: list[Entry], registry: AlgorithmRegistry) -> dict[str, Any]:
    media: dict[str, Any] = {"MediaID": media_id, "Category": _category(group), "AlternativeHashes": []}
    for entry in group:
        chosen = registry.get(entry.algorithm)
        text = chosen.format(chosen.from_bytes(entry.hash))
        if entry.algorithm in ("md5", "sha1"):
            media[entry.algorithm.upper()] = text.upper()
        else:
            media["AlternativeHashes"].append({"HashName": entry.algorithm.upper(), "HashValue": text})
    return media


def write(
    entries: Iterable[Entry], stream: IO[bytes], registry: AlgorithmRegistry, algorithm: str | None
) -> int:
    """Entries sharing an external id (consecutive in id order) become one media object."""
    exportable = (
        e
        for e in entries
        if e.algorithm in ("md5", "sha1", *ALTERNATIVE_NAMES)
        and (algorithm is None or e.algorithm == algorithm)
    )
    stream.write(f'{{"odata.metadata": {json.dumps(CONTEXT)}, "Media": [\n'.encode())
    written = 0
    for index, (media_id, group) in enumerate(groupby(exportable, key=lambda e: e.external_id or str(e.id))):
        members = list(group)
        separator = ",\n" if index else ""
        stream.write((separator + json.dumps(_media(media_id, members, registry))).encode())
        written += len(members)
    stream.write(b"\n]}\n")
    return written

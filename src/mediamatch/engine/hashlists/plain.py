"""Plain hash lists: one hash per line.

With ``--algorithm`` every line is a hash of that algorithm; without it, each line names
its algorithm, as ``pdq:<hex>`` or as ThreatExchange's ``threatexchange dataset -P -S`` prints
it, ``pdq <hex>`` (``video_md5`` and ``photo_md5`` read as ``md5``). Blank lines and lines
starting with ``#`` are ignored.
Export writes canonical texts, self-describing unless one algorithm was asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO

from mediamatch.algorithms import AlgorithmRegistry
from mediamatch.engine.hashlists.base import Parsed, Record, RowError, error_at
from mediamatch.engine.hashlists.te_csv import SIGNAL_TYPES
from mediamatch.errors import MediamatchError
from mediamatch.store import Entry, NewEntry


def read(stream: IO[bytes], registry: AlgorithmRegistry, algorithm: str | None) -> Iterator[Record]:
    for number, raw in enumerate(stream, start=1):
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            yield RowError(number, "line is not UTF-8 text")
            continue
        if not text or text.startswith("#"):
            continue
        kind, space, rest = text.partition(" ")
        if not algorithm and space and ":" not in kind and rest.strip() and " " not in rest.strip():
            text = f"{SIGNAL_TYPES.get(kind.lower(), kind)}:{rest.strip()}"  # ThreatExchange's 'pdq <hex>'
        try:
            value = registry.get(algorithm).parse(text) if algorithm else registry.parse(text)
        except MediamatchError as error:
            yield error_at(number, error)
            continue
        yield Parsed(number, [NewEntry(value.algorithm, value.data)])


def write(
    entries: Iterable[Entry], stream: IO[bytes], registry: AlgorithmRegistry, algorithm: str | None
) -> int:
    written = 0
    for entry in entries:
        if algorithm is not None and entry.algorithm != algorithm:
            continue
        value = registry.get(entry.algorithm).from_bytes(entry.hash)
        text = registry.get(entry.algorithm).format(value) if algorithm else registry.format(value)
        stream.write(text.encode() + b"\n")
        written += 1
    return written

"""What every hash-list reader yields and every writer takes.

Readers stream: they yield one ``Parsed`` or ``RowError`` per record as they read, so
a file of millions of lines never sits in memory. Writers take the store's entries
in id order and stream them out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Protocol

from mediamatch.algorithms import AlgorithmRegistry
from mediamatch.errors import MediamatchError
from mediamatch.store import Entry, NewEntry


@dataclass(frozen=True, slots=True)
class Parsed:
    """One record: entries to add and external ids whose entries are to be deleted.

    ``updates``: the record is the current state of its external id, as in a producer's update
    stream (NCMEC's): the bank's entries of that id take its classification, source and tags, and
    those whose fingerprint it no longer lists are deleted."""

    line: int
    entries: list[NewEntry] = field(default_factory=list)
    deleted_external_ids: list[str] = field(default_factory=list)
    skipped: int = 0
    updates: bool = False


@dataclass(frozen=True, slots=True)
class RowError:
    """A record that cannot be used, with the line it starts on (1-based)."""

    line: int
    message: str


Record = Parsed | RowError


class Reader(Protocol):
    def __call__(
        self, stream: IO[bytes], registry: AlgorithmRegistry, algorithm: str | None
    ) -> Iterator[Record]: ...


class Writer(Protocol):
    def __call__(
        self, entries: Iterable[Entry], stream: IO[bytes], registry: AlgorithmRegistry, algorithm: str | None
    ) -> int: ...


def parse_hash(registry: AlgorithmRegistry, algorithm: str, text: str) -> bytes:
    """Raw bytes of ``text`` for ``algorithm``; raises the domain error that explains a bad value."""
    return registry.get(algorithm).parse(text).data


def entry_new(registry: AlgorithmRegistry, algorithm: str, text: str, **fields: object) -> NewEntry:
    return NewEntry(algorithm, parse_hash(registry, algorithm, text), **fields)  # type: ignore[arg-type]


def error_at(line: int, error: MediamatchError | ValueError) -> RowError:
    return RowError(line, str(error))

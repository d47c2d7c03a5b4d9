"""The worker side of a scan: each process builds one ``ScanHasher`` and hashes batches of units.

Workers ignore SIGINT: Ctrl-C is the parent's to handle (it stores finished work and
stops the pool), so workers never die half-way through a batch with a traceback.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass

from mediamatch.algorithms import default_registry
from mediamatch.engine.hashing import HashMode
from mediamatch.scan.filehash import Content, ContentKey, ScanHasher
from mediamatch.scan.ignore import IgnoreSet
from mediamatch.scan.records import FileRecord, Unit

_HASHER: ScanHasher | None = None


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    mode: HashMode
    ignore: IgnoreSet
    known: dict[ContentKey, Content]


def init_worker(config: WorkerConfig) -> None:
    """Process-pool initializer."""
    global _HASHER
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _HASHER = ScanHasher(default_registry(), config.mode, config.ignore, config.known)


def hash_batch(units: list[Unit]) -> list[tuple[int, list[FileRecord]]]:
    """Records for each unit, in the order given."""
    if _HASHER is None:
        raise RuntimeError("init_worker was not called in this process")
    return [(unit.id, _HASHER.hash_path(unit.path)) for unit in units]

"""The worker side of a scan: each process builds one ``ScanHasher`` and hashes batches of units.

Workers ignore SIGINT: Ctrl-C is the parent's to handle (it stores finished work and
stops the pool), so workers never die half-way through a batch with a traceback.
"""

from __future__ import annotations

import signal
from collections.abc import MutableMapping
from dataclasses import dataclass, replace

from mediamatch.algorithms import default_registry
from mediamatch.engine.hashing import HashMode
from mediamatch.samples import encode, synthetic_photo
from mediamatch.scan.filehash import Content, ContentKey, ScanHasher
from mediamatch.scan.ignore import IgnoreSet
from mediamatch.scan.kinds import FileKind
from mediamatch.scan.lifeline import die_with_parent
from mediamatch.scan.records import FileRecord, Status, Times, Unit

_HASHER: ScanHasher | None = None


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    mode: HashMode
    ignore: IgnoreSet
    shared: MutableMapping[ContentKey, Content] | None
    resilience: bool = True
    crop_windows: bool = True
    parent: int = 0
    """The scan's main process: a worker ends with it (``lifeline``); 0 for none."""


def ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def init_worker(config: WorkerConfig) -> None:
    """Process-pool initializer."""
    global _HASHER
    if config.parent:
        die_with_parent(config.parent)
    ignore_interrupts()
    _HASHER = ScanHasher(
        default_registry(), config.mode, config.ignore, config.shared, config.resilience, config.crop_windows
    )


def warm_up(mode: HashMode, resilience: bool = True, crop_windows: bool = True) -> None:
    """Hash one small generated image here, as the workers will, so that worker processes forked
    from this one inherit compiled hash kernels instead of each loading them."""
    hasher = ScanHasher(default_registry(), mode, IgnoreSet(), None, resilience, crop_windows)
    hasher.images.hash_data("warm-up", encode(synthetic_photo(0, 64, 48), "PNG"))


def hash_unit(hasher: ScanHasher, unit: Unit) -> list[FileRecord]:
    try:
        return hasher.hash_path(unit.path, unit.members)
    except Exception as error:  # a decoder bug on one hostile file must not end a long scan
        kind, message = type(error).__name__, str(error) or type(error).__name__
        record = FileRecord(unit.path, unit.size, Times(), FileKind.OTHER, status=Status.ERROR)
        return [replace(record, error_kind=kind, error_message=f"unexpected error: {message}")]


def hash_batch(units: list[Unit]) -> list[tuple[int, list[FileRecord]]]:
    """Records for each unit, in the order given; a unit that fails unexpectedly gets an error record."""
    if _HASHER is None:
        raise RuntimeError("init_worker was not called in this process")
    return [(unit.id, hash_unit(_HASHER, unit)) for unit in units]

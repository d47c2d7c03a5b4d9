"""Running a scan: plan, hash in worker processes, commit in batches, then stack and match.

``run_scan`` is what the CLI calls. A fresh case stores its settings and plan first;
``resume=True`` carries on a stored case with its stored settings (the roots, mode and
ignore lists it started with; an ignore list changed since is refused). Stacks and
matches are recomputed from all stored records at the end, so an interrupted and
resumed scan ends with exactly the result of an uninterrupted one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing.managers import SyncManager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from mediamatch import __version__
from mediamatch.algorithms import default_registry
from mediamatch.engine.hashing import HashMode
from mediamatch.engine.matching import consulted_banks
from mediamatch.errors import ScanError
from mediamatch.scan.casedb import CaseDB
from mediamatch.scan.casematch import match_case
from mediamatch.scan.caseview import FileView, load_view
from mediamatch.scan.evidence import walk
from mediamatch.scan.filehash import Content, ContentKey
from mediamatch.scan.ignore import IgnoreSet, load_ignore_lists
from mediamatch.scan.lifeline import die_with_parent
from mediamatch.scan.plan import plan_units
from mediamatch.scan.records import FileRecord, Hash, Unit
from mediamatch.scan.stacks import StackInput, build_stacks
from mediamatch.scan.video import NO_VIDEO_HASH, video_hasher
from mediamatch.scan.workers import WorkerConfig, hash_batch, ignore_interrupts, init_worker, warm_up

if TYPE_CHECKING:
    from mediamatch.store import Store

BATCH_UNITS = 16
BATCH_BYTES = 8 << 20
COMMIT_RECORDS = 500
COMMIT_SECONDS = 0.2
"""Finished work is committed at least this often: what a kill can lose."""


class ProgressSink(Protocol):
    """Where the runner reports progress (the CLI draws a bar; tests may record)."""

    def start(self, files: int, size: int, done_files: int, done_size: int) -> None: ...

    def advance(self, files: int, size: int) -> None: ...


class ScanInterrupted(ScanError):
    """Ctrl-C: finished work is stored; ``--resume`` carries on."""


@dataclass(frozen=True, slots=True)
class ScanSettings:
    roots: list[str]
    mode: HashMode = HashMode.FAST
    banks: list[str] = field(default_factory=list)
    ignore_lists: list[str] = field(default_factory=list)
    stack_threshold: int | None = None
    workers: int | None = None
    resilience: bool = True
    """Keep the resilience stage's query hashes and match through the stage (flips, borders, ...)."""
    crop_windows: bool = True
    """With the stage, also keep its crop windows where they can match: they only meet stored
    region hashes, so a scan keeps them only when the banks it consults hold some (not against
    hash lists, the usual forensic case). Decided when the scan starts, kept on resume."""


def _batches(units: Sequence[Unit]) -> Iterator[list[Unit]]:
    batch: list[Unit] = []
    size = 0
    for unit in units:
        batch.append(unit)
        size += unit.size
        if len(batch) >= BATCH_UNITS or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _holds_regions(store: Store | None, banks: list[str]) -> bool:
    """Whether the banks a match against ``banks`` consults hold region hashes."""
    return store is not None and any(store.count_regions(b.name) for b in consulted_banks(store, banks))


def _start(case: CaseDB, settings: ScanSettings, store: Store | None) -> ScanSettings:
    if case.get("planned") is not None or case.get("roots") is not None:
        raise ScanError(f"case {case.folder} already holds a scan: use --resume, or choose a new case folder")
    roots = [str(Path(root).absolute()) for root in settings.roots]
    threshold = settings.stack_threshold
    windows = settings.crop_windows and _holds_regions(store, settings.banks)
    case.put(
        {
            "roots": roots, "mode": settings.mode.value, "banks": settings.banks,
            "ignore_lists": [str(Path(p).absolute()) for p in settings.ignore_lists],
            "stack_threshold": default_registry().get("pdq").threshold if threshold is None else threshold,
            "resilience": settings.resilience, "crop_windows": windows,
            "tool_version": __version__, "started_at": time.time(),
        }
    )  # fmt: skip
    return _stored(case, settings.workers)


def _stored(case: CaseDB, workers: int | None) -> ScanSettings:
    if case.get("roots") is None:
        raise ScanError(f"case {case.folder} holds no scan to resume")
    return ScanSettings(
        case.get("roots"), HashMode(case.get("mode")), case.get("banks"), case.get("ignore_lists"),
        case.get("stack_threshold"), workers, case.get("resilience") is not False,
        case.get("crop_windows") is not False,
    )  # fmt: skip


def _ignore(case: CaseDB, settings: ScanSettings, loaded: IgnoreSet | None) -> IgnoreSet:
    ignore = loaded if loaded is not None else load_ignore_lists([Path(p) for p in settings.ignore_lists])
    digests = [digest for _, digest in ignore.sources]
    stored = case.get("ignore_digests")
    if stored is None:
        case.put({"ignore_digests": digests, "ignore_entries": len(ignore)})
    elif stored != digests:
        raise ScanError("an ignore list changed since the scan started: resuming would mix two lists")
    return ignore


def _plan(case: CaseDB, settings: ScanSettings) -> None:
    if case.get("planned"):
        return
    found = walk(settings.roots)
    passed = [(p, "symbolic link (not followed)") for p in found.symlinks]
    passed += [(p, "not a regular file") for p in found.special]
    passed += [(p, f"unreadable: {why}") for p, why in found.unreadable]
    case.save_plan(plan_units(found.files), passed)


class _Committer:
    """Buffers finished units and commits them in batches (by record count or time)."""

    def __init__(self, case: CaseDB, progress: ProgressSink, sizes: dict[int, int]) -> None:
        self.case, self.progress, self.sizes = case, progress, sizes
        self.buffer: list[tuple[int, list[FileRecord]]] = []
        self.records = 0
        self.last = time.monotonic()

    def take(self, results: list[tuple[int, list[FileRecord]]]) -> None:
        self.buffer += results
        self.records += sum(len(records) for _, records in results)
        if self.records >= COMMIT_RECORDS or time.monotonic() - self.last >= COMMIT_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.case.store_results(self.buffer)
            self.progress.advance(len(self.buffer), sum(self.sizes[unit] for unit, _ in self.buffer))
        self.buffer, self.records, self.last = [], 0, time.monotonic()


def _known_contents(case: CaseDB) -> dict[ContentKey, Content]:
    """Images hashed before an interruption, so a resumed scan does not decode their copies again."""
    hashes: dict[ContentKey, list[Hash]] = {}
    sizes: dict[ContentKey, tuple[int | None, int | None]] = {}
    for md5, sha1, size, width, height, algorithm, text, quality, variant in case.known_images():
        key = (bytes.fromhex(md5), bytes.fromhex(sha1), size)
        found = hashes.setdefault(key, [])
        if all((h.algorithm, h.variant) != (algorithm, variant) for h in found):
            found.append(Hash(algorithm, text, quality, variant))
        sizes[key] = (width, height)
    return {key: Content(tuple(found), *sizes[key], None) for key, found in hashes.items()}


Results = list[tuple[int, list[FileRecord]]]


def _dispatch(
    pool: ProcessPoolExecutor,
    units: list[Unit],
    committer: _Committer,
    workers: int,
    started: Callable[[], object],
) -> None:
    """Keep every worker busy with a few batches in flight (a kill loses no more than those).
    ``started`` runs once, when the first batches are out, while the workers hash them."""
    batches = _batches(units)
    running: set[Future[Results]] = set()

    def fill() -> None:
        while len(running) < 2 * workers and (batch := next(batches, None)) is not None:
            running.add(pool.submit(hash_batch, batch))

    try:
        fill()
        started()
        while running:
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                committer.take(future.result())
            fill()
    except KeyboardInterrupt:
        for future in running:
            future.cancel()
        committer.flush()
        raise ScanInterrupted("interrupted: finished files are stored; run again with --resume") from None
    committer.flush()


def _hash_units(
    case: CaseDB,
    settings: ScanSettings,
    ignore: IgnoreSet,
    progress: ProgressSink,
    started: Callable[[], object],
) -> None:
    """Hash pending units, largest first (the workers finish together; copies of one file, which
    share a size, land in one batch). Workers share decoded content through a manager process."""
    pending = sorted(case.pending_units(), key=lambda unit: (-unit.size, unit.id))
    done, total, done_bytes, total_bytes = case.progress()
    progress.start(total, total_bytes, done, done_bytes)
    if not pending:
        return
    committer = _Committer(case, progress, {unit.id: unit.size for unit in pending})
    workers = settings.workers or os.cpu_count() or 1
    warm_up(settings.mode, settings.resilience, settings.crop_windows)
    manager = SyncManager()
    manager.start(_manager_started, (os.getpid(),))
    try:
        shared = manager.dict(_known_contents(case))
        config = WorkerConfig(
            settings.mode, ignore, shared, settings.resilience, settings.crop_windows, parent=os.getpid()
        )
        with ProcessPoolExecutor(workers, initializer=init_worker, initargs=(config,)) as pool:
            _dispatch(pool, pending, committer, workers, started)
    finally:
        manager.shutdown()


def _stack_input(item: FileView) -> StackInput:
    text, quality = item.hashes.get("pdq") or (None, None)
    pixels = (item.width or 0) * (item.height or 0)
    return StackInput(item.id, item.path, item.md5 or "", item.sha1 or "", text, quality, pixels)


def _stack(case: CaseDB) -> None:
    view = load_view(case)
    media = [
        _stack_input(f)
        for f in view.files
        if f.kind in ("image", "video") and f.status == "hashed" and f.md5 and f.sha1
    ]
    rows = build_stacks(media, default_registry(), int(case.get("stack_threshold")))
    case.replace_stacks((r.file_id, r.stack, r.representative, r.near) for r in rows)


class _BankStore:
    """The bank store, opened once on first use and checked for the scan's banks."""

    def __init__(self, opener: Callable[[], Store] | None, banks: list[str]) -> None:
        self.opener, self.banks = opener, banks
        self.store: Store | None = None

    def open(self) -> Store | None:
        if self.store is None and self.opener is not None:
            store = self.opener()
            for name in self.banks:
                store.bank(name)  # a bank deleted since the scan started fails now, not at the end
            self.store = store
        return self.store


def _manager_started(parent: int) -> None:
    """The shared-contents server: ends with the scan, as the workers do, and ignores Ctrl-C."""
    die_with_parent(parent)
    ignore_interrupts()


def check_inputs(roots: list[str], ignore_lists: list[str]) -> IgnoreSet:
    """Refuse, before any case is made, evidence roots that do not exist or cannot be read and
    ignore lists that cannot be read or parsed (``ScanError`` naming the first); the lists read."""
    for root in roots:
        path = Path(root)
        if not os.path.lexists(path):
            raise ScanError(f"evidence path {root} does not exist")
        wanted = os.R_OK | (os.X_OK if path.is_dir() else 0)
        if not os.access(path, wanted):
            raise ScanError(f"evidence path {root} cannot be read")
    return load_ignore_lists([Path(p) for p in ignore_lists])


def run_scan(
    case: CaseDB,
    settings: ScanSettings,
    open_store: Callable[[], Store] | None,
    progress: ProgressSink,
    *,
    resume: bool,
    ignore: IgnoreSet | None = None,
) -> None:
    """Scan into ``case``; raises ScanInterrupted on Ctrl-C after storing finished work.

    ``ignore``: the ignore lists already read (``check_inputs``), so they are not read twice.

    ``open_store`` gives the bank store to match against (None: no matching). A fresh scan
    calls it at the start, to learn whether its banks hold region hashes (``crop_windows``); a
    resumed one once the workers are hashing, so that loading the store's database layer
    overlaps their work, and a failure there (an unreachable store, a bank deleted since) stops
    the scan with the finished files stored, ready for ``--resume``."""
    banks = _BankStore(open_store, settings.banks)
    settings = _stored(case, settings.workers) if resume else _start(case, settings, banks.open())
    ignore = _ignore(case, settings, ignore if not resume else None)
    video_note = None if video_hasher(default_registry()) else NO_VIDEO_HASH
    case.put({"video_note": video_note})
    _plan(case, settings)
    _hash_units(case, settings, ignore, progress, banks.open)
    _stack(case)
    if (store := banks.open()) is not None:
        view = load_view(case)
        rows = match_case(view.files, store, default_registry(), settings.banks, settings.resilience)
        case.replace_matches(rows)
    case.put({"complete": True})

"""Matching files against banks: one index per algorithm, per-bank thresholds, suppression banks.

``Matcher`` loads the active entries of the chosen banks (and of every enabled
suppression bank) into indexes when it is built, and ``apply_changes`` brings it up to date
with the store's change log (``store.changes``) while it answers; what a delta cannot carry (a
bank enabled or imported as a whole) it reports, and the caller builds a new matcher. A
query hash below its algorithm's quality floor is not matched (reported as low
quality). A hit counts for a bank when its distance is within that bank's threshold
for the algorithm (inclusive; the algorithm's default unless the bank overrides it).
When any suppression bank matches a file, the file's other matches are cancelled and
reported as suppressed: suppression banks hold known false positives.

With the resilience stage on (the default), a file is matched through every query
variant the stage makes (``engine.resilience``) and, for entries built from images,
through their stored region hashes too; an entry's distance is the smallest over all of
them, and ``BankMatch.variant`` says which pair gave it.

Entries built from images carry their picture's keypoints: a hit on one is a candidate,
reported only when ``engine.verification`` verifies it on the query's picture (then within
the wider candidate thresholds, and whatever path found it); without keypoints or without
the picture, the hash alone decides and the paths that need verification report nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mediamatch.algorithms import (
    AlgorithmRegistry,
    BitStringAlgorithm,
    FileHashAlgorithm,
    GradGridAlgorithm,
    HashAlgorithm,
    HashResult,
    HashValue,
    VideoComparison,
    VpdqAlgorithm,
)
from mediamatch.algorithms.gradgrid import LENGTH as GRADGRID_LENGTH
from mediamatch.algorithms.keypoints import Keypoints
from mediamatch.engine.hashing import FileHasher, HashMode, ItemError
from mediamatch.engine.locks import ReadWriteLock
from mediamatch.engine.resilience import ORIGINAL, QueryVariant, Resilience
from mediamatch.engine.verification import (
    CANDIDATE_THRESHOLDS,
    TRUSTED_ALONE,
    QueryPicture,
    Verdict,
    needs_verification,
    verdict,
)
from mediamatch.errors import IndexSnapshotError, InvalidHash
from mediamatch.index import (
    BruteForceIndex,
    EuclideanScanIndex,
    ExactIndex,
    HammingMultiIndex,
    HashIndex,
    VideoFrameIndex,
)
from mediamatch.media import DecodeOptions
from mediamatch.media.video import VideoOptions
from mediamatch.store import Bank, Classification, Entry

if TYPE_CHECKING:
    from mediamatch.store import Store
    from mediamatch.store.changes import StoreChanges

LOAD_BATCH = 50_000


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (made if missing) for the block: one process of a host
    builds a snapshot while the others wait to load it."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _keypoints_of(raw: bytes | None) -> Keypoints | None:
    """Stored keypoints, or None for none or an unreadable record (the hash alone decides then)."""
    if raw is None:
        return None
    try:
        return Keypoints.from_bytes(raw)
    except InvalidHash:
        return None


INDEX_RULES = 2
"""Which entries an index holds; part of every snapshot's name, so a snapshot made under older
rules is never reused. 2: stored hashes below their algorithm's quality floor are left out."""
ENTRY_CACHE_SIZE = 100_000


def consulted_banks(store: Store, names: Sequence[str], *, missing_ok: bool = False) -> list[Bank]:
    """The banks a match against ``names`` (every bank when empty) consults: those and every
    suppression bank, enabled ones only, each once. ``missing_ok``: leave out a named bank that
    no longer exists instead of raising ``BankNotFound``."""
    every = store.banks()
    known = {bank.name: bank for bank in every}
    missing = [name for name in names if name not in known]
    if missing and not missing_ok:
        store.bank(missing[0])  # raises BankNotFound, as for any unknown name
    chosen = [known[name] for name in names if name in known] if names else every
    suppression = [b for b in every if b.suppression]
    return list({b.id: b for b in [*chosen, *suppression] if b.enabled}.values())


@dataclass(frozen=True, slots=True)
class VideoMatch:
    """How a query video matched a bank video: shares in whole percent, time ranges in seconds.

    ``query_pct``: share of the query's usable sampled frames that matched a frame of the
    bank video; ``bank_pct``: share of the bank video's usable frames covered by matches.
    The ranges are ``(start, end)`` stretches of each video that matched.
    """

    query_pct: int
    bank_pct: int
    query_ranges: tuple[tuple[float, float], ...]
    bank_ranges: tuple[tuple[float, float], ...]

    @classmethod
    def of(cls, comparison: VideoComparison) -> VideoMatch:
        return cls(comparison.query_pct, comparison.bank_pct, comparison.query_ranges, comparison.bank_ranges)


@dataclass(frozen=True, slots=True)
class BankMatch:
    """One bank entry matched, with the distance in the algorithm's unit (and, for videos, the shares)."""

    bank: str
    entry_id: int
    algorithm: str
    distance: int
    classification: Classification | None
    external_id: str | None
    suppression: bool
    video: VideoMatch | None = None
    variant: str = ORIGINAL
    """How the match was made: ``original``, or a query variant (``flipy``, ``box1``), and
    ``~region`` when it met a stored region hash (``original~centre80``)."""
    verified: bool = False
    """True when the bank picture's keypoints were found in the query (``engine.verification``);
    False when the hash alone decided (hash lists, hashes sent without the picture)."""


@dataclass(frozen=True, slots=True)
class FileMatches:
    """``matches`` count; ``suppressed`` were cancelled by the ``suppressed_by`` hits; ``held``
    never count: entries a perceptual hash met (verified or not) through a view of the query that
    a layout dominates (``engine.layout``), where a sibling of one template cannot be told from a
    copy. They are leads for a reviewer, never grounds for a report."""

    path: str
    matches: list[BankMatch] = field(default_factory=list)
    suppressed: list[BankMatch] = field(default_factory=list)
    suppressed_by: list[BankMatch] = field(default_factory=list)
    low_quality: list[str] = field(default_factory=list)
    error: ItemError | None = None
    held: list[BankMatch] = field(default_factory=list)


def new_index(algorithm: HashAlgorithm) -> HashIndex:
    """The fastest exact index for an algorithm: multi-index Hamming, exact lookup, a compiled
    Euclidean scan, or the brute-force reference for plug-ins we know nothing about."""
    if isinstance(algorithm, BitStringAlgorithm) and algorithm.hash_bits % 64 == 0:
        return HammingMultiIndex(algorithm)
    if isinstance(algorithm, VpdqAlgorithm):
        return VideoFrameIndex(algorithm)
    if isinstance(algorithm, FileHashAlgorithm):
        return ExactIndex(algorithm)
    if isinstance(algorithm, GradGridAlgorithm):
        return EuclideanScanIndex(algorithm, GRADGRID_LENGTH)
    return BruteForceIndex(algorithm)


def _closest_videos(
    index: VideoFrameIndex, queries: Sequence[QueryVariant]
) -> dict[int, tuple[VideoComparison, str]]:
    """Per bank video, the closest comparison over the query variants (a mirrored upload meets
    the bank video through its mirrored variant) and the variant's label."""
    best: dict[int, tuple[VideoComparison, str]] = {}
    for query in queries:
        for entry_id, comparison in index.compare_all(query.result.value).items():
            if entry_id not in best or comparison.distance < best[entry_id][0].distance:
                best[entry_id] = (comparison, query.label)
    return best


@dataclass(frozen=True, slots=True)
class Hit:
    """An entry met by a query hash within the widest threshold searched, through ``label``."""

    entry_id: int
    algorithm: str
    distance: int
    label: str


class Matcher:
    """Indexes of the chosen banks, and the rules that turn index hits into bank matches."""

    def __init__(
        self,
        store: Store,
        registry: AlgorithmRegistry,
        bank_names: Sequence[str] = (),
        *,
        mode: HashMode = HashMode.EXACT,
        cache_dir: Path | None = None,
        video_options: VideoOptions | None = None,
        resilience: Resilience | None = None,
        decode_options: DecodeOptions | None = None,
        mapped: bool = False,
    ) -> None:
        """``cache_dir``: keep index snapshots there, and start from one made at an earlier revision
        of the same banks, with the change log applied, where the log allows; processes building
        the same snapshot take turns (a lock file), so one builds and the others load it.
        ``mapped``: map snapshots instead of reading them, so that the processes of a host share
        one copy of the whole-hash indexes (PDQ's; the others are read into each process).

        ``decode_options``: limits for decoding query images (default: ``DecodeOptions()``).

        ``video_options``: how query videos are decoded and sampled (default: one frame a second by
        presentation time, a flat frame replaced by a later one of its second: more usable frames
        than the reference's sampling, which bank hashes follow; the two match each other).
        ``resilience``: the stage's settings (default: on); ``Resilience.off()`` for plain matching.
        """
        self.store, self.registry = store, registry
        self.resilience = resilience or Resilience()
        self.bank_names = tuple(bank_names)
        self.revision = store.revision()
        """The store revision these indexes agree with (read before loading: a write during the
        load is applied again by ``apply_changes``, which is harmless)."""
        self.banks = self._choose_banks(bank_names)
        self.indexes: dict[str, HashIndex] = {}
        self.region_indexes: dict[tuple[str, str], HashIndex] = {}
        self._entry_cache: dict[int, Entry] = {}
        self._keypoint_cache: dict[int, Keypoints | None] = {}
        self._lock = ReadWriteLock()
        self._generation = 0
        """Bumped by every change applied: a cache fill that started before one is not kept."""
        now = datetime.now(UTC)
        self._checked_activation = now
        self._activation = store.next_activation(self.banks, now)
        catch_up: StoreChanges | None = None
        if cache_dir is None:
            self._load(now)
        else:
            snapshots, sidecar = self._snapshot_paths(cache_dir, now)
            cache_dir.mkdir(parents=True, exist_ok=True)
            with _locked(sidecar.with_suffix(".lock")):
                catch_up = self._load_cached(snapshots, sidecar, mapped)
                if catch_up is None:
                    self._load(now)
                    self._save_cached(snapshots, sidecar)
        if self.resilience.enabled:
            self._load_regions(now)
        # Crop windows only meet stored regions: without any, they would be hashed for nothing.
        stage = self.resilience
        if not self.region_indexes:
            stage = dataclasses.replace(stage, crop_windows=False)
        algorithms = [registry.get(name) for name in sorted(self.indexes)]
        self.hasher = (
            FileHasher(
                algorithms,
                mode=mode,
                video_options=video_options or VideoOptions(sampling="time"),
                skip_other_media=True,
                resilience=stage,
                decode_options=decode_options,
            )
            if algorithms
            else None
        )
        if catch_up is not None and not catch_up.empty:
            self.apply_changes(catch_up)  # entry changes since the snapshot (none of whole banks)

    def _choose_banks(self, names: Sequence[str]) -> dict[int, Bank]:
        return {b.id: b for b in consulted_banks(self.store, names)}

    def _floors(self) -> dict[str, int]:
        """A stored hash below its algorithm's quality floor never matches, as a query hash below
        it never does: a flat picture's hash is degenerate and meets other degenerate hashes."""
        names = self.registry.names()
        return {name: floor for name in names if (floor := self.registry.get(name).min_quality) > 0}

    def _load(self, now: datetime) -> None:
        batches: dict[str, tuple[list[int], list[bytes]]] = {}
        known = set(self.registry.names())
        for entry_id, algorithm, raw in self.store.active_hashes(self.banks, now, self._floors()):
            if algorithm not in known:
                continue
            ids, data = batches.setdefault(algorithm, ([], []))
            ids.append(entry_id)
            data.append(raw)
            if len(ids) >= LOAD_BATCH:
                self._flush(algorithm, batches.pop(algorithm))
        for algorithm, batch in batches.items():
            self._flush(algorithm, batch)
        for index in self.indexes.values():
            if isinstance(index, HammingMultiIndex | VideoFrameIndex):
                index.rebuild()

    def _load_regions(self, now: datetime) -> None:
        """Indexes of the stored region hashes, one per (algorithm, region): built from the store
        every time (not snapshotted), ids are the entries' ids."""
        batches: dict[tuple[str, str], tuple[list[int], list[HashValue]]] = {}
        for entry_id, name, region, raw in self.store.active_region_hashes(self.banks, now):
            if name not in self.indexes:
                continue
            ids, values = batches.setdefault((name, region), ([], []))
            ids.append(entry_id)
            values.append(self.registry.get(name).from_bytes(raw))
        for (name, region), (ids, values) in batches.items():
            index = self.region_indexes[(name, region)] = new_index(self.registry.get(name))
            index.add(ids, values)
            if isinstance(index, HammingMultiIndex):
                index.rebuild()

    def apply_changes(self, changes: StoreChanges) -> bool:
        """Make the indexes agree with the store for everything ``changes`` names, while searches
        go on (each change is applied between searches, never during one). Entries added,
        deleted, disabled, enabled, quarantined or reinstated, and entries whose disabling ran out,
        are applied one by one; bank settings are reread. Returns False when something needs a new
        matcher to be complete: a bank whose content changed as a whole (enabled, disabled,
        deleted, or a bulk import), or a hash of an algorithm or region this matcher has no index
        for. Even then every entry change has been applied, and a disabled or deleted bank
        matches no more (its entries stay in the indexes until the new matcher replaces this one).
        """
        now = datetime.now(UTC)
        banks = {b.id: b for b in consulted_banks(self.store, self.bank_names, missing_ok=True)}
        # A bank changed as a whole (enabled, disabled, deleted, a bulk import) needs a new matcher
        # to hold exactly its entries; meanwhile the bank list below already stops a disabled or
        # deleted bank from matching.
        complete = not changes.banks
        changed = set(changes.entry_ids)
        if self._activation is not None and self._activation <= now:
            changed |= set(self.store.activated_between(banks, self._checked_activation, now))
            self._activation = self.store.next_activation(banks, now)
        self._checked_activation = now
        current = [
            row for row in self.store.matchable_hashes_of(changed, now, self._floors()) if row[1] in banks
        ]
        regions = self.store.region_hashes_of([row[0] for row in current]) if self.resilience.enabled else []
        if any(a not in self.indexes for _, _, a, _ in current):
            complete = False
        if any((a, r) not in self.region_indexes for _, a, r, _ in regions if a in self.indexes):
            complete = False
        with self._lock.writing():
            self.banks = banks
            ids = sorted(changed)
            for index in [*self.indexes.values(), *self.region_indexes.values()]:
                index.remove(ids)
            for entry_id, _, name, raw in current:
                if name in self.indexes:
                    self.indexes[name].add([entry_id], [self.registry.get(name).from_bytes(raw)])
            for entry_id, name, region, raw in regions:
                if (name, region) in self.region_indexes:
                    index = self.region_indexes[(name, region)]
                    index.add([entry_id], [self.registry.get(name).from_bytes(raw)])
            self._generation += 1
            for entry_id in ids:
                self._entry_cache.pop(entry_id, None)
                self._keypoint_cache.pop(entry_id, None)
            self.revision = max(self.revision, changes.to)
        return complete

    def _snapshot_paths(self, cache_dir: Path, now: datetime) -> tuple[dict[str, Path], Path]:
        """Snapshot file per algorithm, and the record of the revision they hold, named by what
        decides their content apart from the revision (the store, banks, next activation, rules)."""
        algorithms = [a for a in self.store.algorithms(self.banks) if a in self.registry.names()]
        activation = self.store.next_activation(self.banks, now)
        identity = [self.store.url, repr(sorted(self.banks)), str(activation), f"rules-{INDEX_RULES}"]
        key = hashlib.sha256("|".join(identity).encode()).hexdigest()[:24]
        store = hashlib.sha256(self.store.url.encode()).hexdigest()[:8]
        paths = {
            a: cache_dir / f"{store}-{a}-v{self.registry.get(a).version}-{key}.mmindex" for a in algorithms
        }
        return paths, cache_dir / f"{store}-{key}.json"

    def _load_cached(self, paths: dict[str, Path], sidecar: Path, mapped: bool) -> StoreChanges | None:
        """Load the snapshots if they hold every algorithm at a revision from which the change log
        reaches this matcher's without a bank changed as a whole; the changes to apply, or None."""
        try:
            made = json.loads(sidecar.read_text())
            revision, algorithms = int(made["revision"]), sorted(made["algorithms"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if algorithms != sorted(paths) or not paths or revision > self.revision:
            return None
        changes = self.store.changes(revision, self.revision)
        if changes is None or changes.banks:
            return None
        try:
            for algorithm, path in paths.items():
                chosen = self.registry.get(algorithm)
                kind = type(new_index(chosen))
                if kind is HammingMultiIndex:
                    self.indexes[algorithm] = HammingMultiIndex.load(path, chosen, mapped=mapped)  # type: ignore[arg-type]
                else:
                    self.indexes[algorithm] = kind.load(path, chosen)  # type: ignore[attr-defined]
        except (IndexSnapshotError, OSError):
            self.indexes.clear()
            return None
        self.revision = revision
        return changes

    def _save_cached(self, paths: dict[str, Path], sidecar: Path) -> None:
        """Write the snapshots, then the record of their revision; remove this store's older ones."""
        prefix = sidecar.name.split("-", 1)[0]
        for stale in sidecar.parent.glob(f"{prefix}-*"):
            if stale not in (*paths.values(), sidecar, sidecar.with_suffix(".lock")):
                stale.unlink(missing_ok=True)
        for algorithm, path in paths.items():
            if algorithm in self.indexes:
                self.indexes[algorithm].save(path)
        record = {"revision": self.revision, "algorithms": sorted(a for a in paths if a in self.indexes)}
        temporary = sidecar.with_name(sidecar.name + ".tmp")
        temporary.write_text(json.dumps(record))
        os.replace(temporary, sidecar)

    def _flush(self, algorithm: str, batch: tuple[list[int], list[bytes]]) -> None:
        chosen = self.registry.get(algorithm)
        index = self.indexes.setdefault(algorithm, new_index(chosen))
        ids, data = batch
        if isinstance(index, HammingMultiIndex):
            index.add_raw(
                np.asarray(ids, dtype=np.int64), np.frombuffer(b"".join(data), dtype=np.uint8), bulk=True
            )
        else:
            index.add(ids, [chosen.from_bytes(raw) for raw in data])

    def threshold(self, bank: Bank, algorithm: str) -> int:
        """The bank's own threshold, else the stage's default for the algorithm (stage on), else the
        algorithm's default."""
        if algorithm in bank.thresholds:
            return int(bank.thresholds[algorithm])
        if self.resilience.enabled and algorithm in self.resilience.thresholds:
            return self.resilience.thresholds[algorithm]
        return self.registry.get(algorithm).threshold

    def candidate_threshold(self, bank: Bank, algorithm: str) -> int:
        """How far a hash may be from an entry that has keypoints for the pair to be verified: the
        bank's own threshold where it sets one, else ``CANDIDATE_THRESHOLDS`` (the hash-only
        threshold where that is wider)."""
        if algorithm in bank.thresholds:
            return int(bank.thresholds[algorithm])
        return max(self.threshold(bank, algorithm), CANDIDATE_THRESHOLDS.get(algorithm, 0))

    def share_thresholds(self, bank: Bank, algorithm: str) -> tuple[int, int]:
        """The bank's minimum ``(query_pct, bank_pct)`` for a video match (inclusive).

        ``<algorithm>.query_pct`` and ``<algorithm>.bank_pct`` in the bank's thresholds win;
        else a plain threshold ``t`` for the algorithm asks for ``100 - t`` on both sides;
        else the algorithm's defaults.
        """
        chosen = self.registry.get(algorithm)
        shares = []
        for setting in ("query_pct", "bank_pct"):
            value = bank.thresholds.get(f"{algorithm}.{setting}")
            if value is None and algorithm in bank.thresholds:
                value = 100 - int(bank.thresholds[algorithm])
            shares.append(int(chosen.bank_settings[setting] if value is None else value))
        return shares[0], shares[1]

    def match_results(
        self,
        path: str,
        results: dict[str, HashResult],
        bank_ids: Collection[int] | None = None,
        variants: dict[str, list[QueryVariant]] | None = None,
        picture: QueryPicture | None = None,
    ) -> FileMatches:
        """Match already computed hashes (the service receives hashes from clients too).

        ``picture``: what verification looks at of the query (``FileHasher`` makes it); without
        it the hash alone decides, and the paths that need verification report nothing.

        ``bank_ids`` restricts matching, suppression included, to those banks (a caller's
        view); None uses every bank the matcher holds. A video hash matches a bank video
        when both shares reach the bank's ``share_thresholds``. ``variants``: the resilience
        stage's query hashes by algorithm (from ``FileHasher``); where given they replace the
        algorithm's entry in ``results``. An algorithm is reported low quality when none of
        its query hashes reaches its quality floor.
        """
        with self._lock.reading():
            banks = self.banks
            hits, videos, low_quality = self._hits(results, variants, banks)
        return self._classify(path, hits, low_quality, bank_ids, videos, picture, banks)

    def _hits(
        self,
        results: dict[str, HashResult],
        variants: dict[str, list[QueryVariant]] | None,
        banks: dict[int, Bank],
    ) -> tuple[list[Hit], dict[tuple[int, str], VideoComparison], list[str]]:
        """Every index hit of the query hashes (under the read lock: no change is applied meanwhile)."""
        hits: list[Hit] = []
        videos: dict[tuple[int, str], VideoComparison] = {}
        low_quality = []
        for name, result in results.items():
            if name not in self.indexes:
                continue
            algorithm, index = self.registry.get(name), self.indexes[name]
            queries = (variants or {}).get(name) or [QueryVariant(ORIGINAL, result)]
            usable = [q for q in queries if algorithm.is_usable(q.result)]
            if not usable:
                low_quality.append(name)
                continue
            if isinstance(index, VideoFrameIndex):
                for entry_id, (comparison, label) in _closest_videos(index, usable).items():
                    videos[(entry_id, name)] = comparison
                    hits.append(Hit(entry_id, name, comparison.distance, label))
                continue
            widest = max(
                (
                    max(self.threshold(bank, name), self.candidate_threshold(bank, name))
                    for bank in banks.values()
                ),
                default=-1,
            )
            hits += self._search(name, usable, widest)
        return hits, videos, low_quality

    def _accepts(self, bank: Bank, algorithm: str, distance: int, video: VideoComparison | None) -> bool:
        if video is None:
            return distance <= self.threshold(bank, algorithm)
        query_pct, bank_pct = self.share_thresholds(bank, algorithm)
        return video.query_pct >= query_pct and video.bank_pct >= bank_pct

    def _search(self, name: str, queries: list[QueryVariant], widest: int) -> list[Hit]:
        """Per entry, the nearest hit through paths a hash may decide alone and the nearest through
        paths that need verification (``needs_verification``), over every query hash and every
        stored hash (own and regions); crop windows (``regions_only``) meet the stored regions only."""
        indexes = [("", self.indexes[name], [q for q in queries if not q.regions_only])]
        if self.resilience.enabled:
            regions = [(region, index) for (a, region), index in self.region_indexes.items() if a == name]
            indexes += [(f"~{region}", index, queries) for region, index in regions]
        best: dict[tuple[int, bool], tuple[int, str]] = {}
        for suffix, index, chosen in indexes:
            found = index.search_many([query.result.value for query in chosen], widest)
            for query, matches in zip(chosen, found, strict=True):
                label = query.label + suffix
                weak = needs_verification(label)
                for match in matches:
                    key = (match.id, weak)
                    if key not in best or match.distance < best[key][0]:
                        best[key] = (match.distance, label)
        return [Hit(entry_id, name, distance, label) for (entry_id, _), (distance, label) in best.items()]

    def _keypoints(self, holder_ids: set[int]) -> dict[int, Keypoints | None]:
        """Stored keypoints by picture (``Entry.picture_id``), remembered like entries; None for a
        picture whose record is gone or unreadable (its entries are then decided by hash alone)."""
        missing = holder_ids - self._keypoint_cache.keys()
        fresh: dict[int, Keypoints | None] = {}
        if missing:
            generation = self._generation
            stored = self.store.keypoints(missing)
            fresh = {holder: _keypoints_of(stored.get(holder)) for holder in missing}
            if generation == self._generation:  # no change came meanwhile: remember them
                if len(self._keypoint_cache) > ENTRY_CACHE_SIZE:
                    self._keypoint_cache.clear()
                self._keypoint_cache.update(fresh)
        return {
            holder: fresh[holder] if holder in fresh else self._keypoint_cache.get(holder)
            for holder in holder_ids
        }

    def _entries(self, ids: set[int]) -> dict[int, Entry]:
        """Entries by id, remembered for the life of this matcher (which ends with any store change).

        Safe to call from several threads: the answer never depends on what another thread
        does to the cache meanwhile.
        """
        found = {i: entry for i in ids if (entry := self._entry_cache.get(i)) is not None}
        missing = ids - found.keys()
        if missing:
            generation = self._generation
            fetched = {entry.id: entry for entry in self.store.get_entries(missing)}
            found.update(fetched)
            if generation != self._generation:  # a change came meanwhile: do not remember these
                return found
            if len(self._entry_cache) > ENTRY_CACHE_SIZE:
                self._entry_cache.clear()
            self._entry_cache.update(fetched)
        return found

    def _classify(
        self,
        path: str,
        hits: list[Hit],
        low_quality: list[str],
        bank_ids: Collection[int] | None,
        videos: dict[tuple[int, str], VideoComparison],
        picture: QueryPicture | None,
        banks: dict[int, Bank],
    ) -> FileMatches:
        entries = self._entries({hit.entry_id for hit in hits})
        holders = {e.picture_id for e in entries.values() if e.picture_id is not None}
        keypoints = self._keypoints(holders) if picture is not None and holders else {}
        verdicts: dict[tuple[int, str], Verdict] = {}
        now = datetime.now(UTC)
        chosen: dict[int, tuple[Hit, bool]] = {}
        held: dict[int, tuple[Hit, bool]] = {}
        for hit in hits:
            entry = entries.get(hit.entry_id)
            allowed = entry is not None and (bank_ids is None or entry.bank_id in bank_ids)
            bank = banks.get(entry.bank_id) if entry and allowed else None
            video = videos.get((hit.entry_id, hit.algorithm))
            # The indexes hold matchable entries only; this second check, by the same rule,
            # keeps any index path (regions, windows, frames, variants) from reporting one
            # that is not.
            if entry is None or bank is None or not (bank.enabled and entry.may_match(now)):
                continue
            stored = keypoints.get(entry.picture_id) if entry.picture_id is not None else None
            found = Verdict.UNVERIFIABLE
            if (
                video is None
                and stored is not None
                and hit.distance <= self.candidate_threshold(bank, hit.algorithm)
            ):
                key = (entry.picture_id or 0, hit.label)
                if key not in verdicts:
                    verdicts[key] = verdict(stored, picture, hit.label)
                found = verdicts[key]
            if found is Verdict.REFUTED:
                continue
            if found is Verdict.UNVERIFIABLE and (
                needs_verification(hit.label)
                or (entry.picture_id is not None and hit.algorithm not in TRUSTED_ALONE)
                or not self._accepts(bank, hit.algorithm, hit.distance, video)
            ):
                continue
            verified = found is Verdict.VERIFIED
            layout = (
                video is None
                and picture is not None
                and not isinstance(self.registry.get(hit.algorithm), FileHashAlgorithm)
                and picture.layout_dominated(hit.label)
            )
            into = held if layout else chosen
            kept = into.get(hit.entry_id)
            if kept is None or (verified, -hit.distance) > (kept[1], -kept[0].distance):
                into[hit.entry_id] = (hit, verified)
        matches = self._bank_matches(chosen.values(), entries, videos, banks)
        leads = self._bank_matches([v for k, v in held.items() if k not in chosen], entries, videos, banks)
        cancelling = [m for m in matches if m.suppression]
        counted = [m for m in matches if not m.suppression]
        if cancelling:
            return FileMatches(path, [], counted, cancelling, low_quality, held=leads)
        return FileMatches(path, counted, [], [], low_quality, held=leads)

    @staticmethod
    def _bank_matches(
        kept: Iterable[tuple[Hit, bool]],
        entries: dict[int, Entry],
        videos: dict[tuple[int, str], VideoComparison],
        banks: dict[int, Bank],
    ) -> list[BankMatch]:
        """The kept hits as bank matches, nearest first."""
        matches = []
        for hit, verified in kept:
            entry, video = entries[hit.entry_id], videos.get((hit.entry_id, hit.algorithm))
            bank = banks[entry.bank_id]
            matches.append(
                BankMatch(
                    bank.name,
                    hit.entry_id,
                    hit.algorithm,
                    hit.distance,
                    entry.classification,
                    entry.external_id,
                    bank.suppression,
                    None if video is None else VideoMatch.of(video),
                    hit.label,
                    verified,
                )
            )
        matches.sort(key=lambda m: (m.distance, m.bank, m.entry_id))
        return matches

    def match_file(self, path: str | os.PathLike[str]) -> FileMatches:
        """Hash ``path`` with every algorithm the banks hold and match it; errors become a record."""
        if self.hasher is None:
            return FileMatches(str(path))
        hashed = self.hasher.hash_file(path)
        if hashed.error is not None and not hashed.results:
            return FileMatches(str(path), error=hashed.error)
        found = self.match_results(
            str(path), hashed.results, variants=hashed.variants, picture=hashed.picture
        )
        if hashed.error is not None:
            return dataclasses.replace(found, error=hashed.error)
        return found

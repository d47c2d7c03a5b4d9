"""An index of videos by their frames: PDQ frame lookups in a multi-index, shares per video.

Each bank video (a ``vpdq`` value) contributes the hashes of its usable frames (whole
frame and regions) to one ``HammingMultiIndex`` over PDQ hashes; a row id points back
to the video, the frame's position and the region. A query looks up each of its hashes
once and collects, per video, the matched frame pairs by the rules of
``vpdq.matched_pairs``. ``compare_all`` gives exactly ``VpdqAlgorithm.compare`` (query
first) for every video with at least one matched pair, and ``search`` the ``(id,
distance)`` set that brute force over ``VpdqAlgorithm.distance`` gives.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np

from mediamatch.algorithms import HashValue, PdqAlgorithm, VideoComparison, VpdqAlgorithm
from mediamatch.algorithms.vpdq import MIN_PARTS, Position, comparison_from_pairs
from mediamatch.algorithms.vpdq_regions import Region
from mediamatch.index.base import HashIndex, IndexMatch
from mediamatch.index.hamming import HammingMultiIndex
from mediamatch.index.snapshot import read_snapshot, write_snapshot


class VideoFrameIndex(HashIndex):
    """Videos (entry id -> vPDQ frames) searchable by frame hash; rows are never reused."""

    kind: ClassVar[str] = "vpdq-frames"

    def __init__(self, algorithm: VpdqAlgorithm) -> None:
        super().__init__(algorithm)
        self.video_algorithm = algorithm
        self._frames = HammingMultiIndex(PdqAlgorithm())
        self._videos: dict[int, list[Position]] = {}
        self._values: dict[int, bytes] = {}
        self._row_video: list[int] = []
        self._row_position: list[int] = []
        self._row_region: list[Region] = []
        self._video_rows: dict[int, range] = {}

    def add(self, ids: Sequence[int], values: Sequence[HashValue]) -> None:
        if len(ids) != len(values):
            raise ValueError("ids and values differ in length")
        self.remove(list(ids))
        hashes: list[bytes] = []
        first = len(self._row_video)
        for entry_id, value in zip(ids, values, strict=True):
            positions = self.video_algorithm.positions(value)
            self._videos[entry_id] = positions
            self._values[entry_id] = value.data
            start = len(self._row_video)
            for index, position in enumerate(positions):
                for region, pdq in position.hashes.items():
                    self._row_video.append(entry_id)
                    self._row_position.append(index)
                    self._row_region.append(region)
                    hashes.append(pdq)
            self._video_rows[entry_id] = range(start, len(self._row_video))
        if hashes:
            rows = np.arange(first, len(self._row_video), dtype=np.int64)
            self._frames.add_raw(rows, np.frombuffer(b"".join(hashes), dtype=np.uint8), bulk=True)

    def rebuild(self) -> None:
        """Index every frame added so far (searches are exact either way; this makes them fast)."""
        self._frames.rebuild()

    def remove(self, ids: Sequence[int]) -> None:
        for entry_id in ids:
            rows = self._video_rows.pop(entry_id, None)
            if rows is None:
                continue
            self._frames.remove(list(rows))
            del self._videos[entry_id], self._values[entry_id]

    def matched_pairs(self, query: Sequence[Position], bits: int) -> dict[int, set[tuple[int, int]]]:
        """Per video: the matched ``(query position, video position)`` pairs, as ``matched_pairs`` rules."""
        whole: dict[int, set[tuple[int, int]]] = defaultdict(set)
        parts: dict[int, dict[tuple[int, int], set[Region]]] = defaultdict(dict)
        pdq = self._frames.algorithm
        for q, position in enumerate(query):
            for region, data in position.hashes.items():
                for match in self._frames.search(HashValue(pdq.name, pdq.version, data), bits):
                    other = self._row_region[match.id]
                    video, pair = self._row_video[match.id], (q, self._row_position[match.id])
                    if region.group == 0 and other.group == 0:
                        whole[video].add(pair)
                    elif region is other:
                        parts[video].setdefault(pair, set()).add(region)
        found = {video: set(pairs) for video, pairs in whole.items()}
        for video, by_pair in parts.items():
            extra = {pair for pair, regions in by_pair.items() if len(regions) >= MIN_PARTS}
            if extra:
                found.setdefault(video, set()).update(extra)
        return found

    def compare_all(self, query: HashValue, frame_threshold: int | None = None) -> dict[int, VideoComparison]:
        """The comparison with every video that has at least one matched frame pair with ``query``."""
        bits = self.video_algorithm.frame_threshold if frame_threshold is None else frame_threshold
        positions = self.video_algorithm.positions(query)
        return {
            video: comparison_from_pairs(positions, self._videos[video], pairs)
            for video, pairs in self.matched_pairs(positions, bits).items()
        }

    def search(self, query: HashValue, threshold: int) -> list[IndexMatch]:
        """Videos within ``threshold`` of the algorithm's (symmetric) distance, sorted by (distance, id)."""
        positions = self.video_algorithm.positions(query)
        found = {}
        for video, pairs in self.matched_pairs(positions, self.video_algorithm.frame_threshold).items():
            forward = comparison_from_pairs(positions, self._videos[video], pairs)
            backward = comparison_from_pairs(self._videos[video], positions, {(b, q) for q, b in pairs})
            found[video] = max(forward.distance, backward.distance)
        if threshold >= 100:
            found.update({video: 100 for video in self._videos if video not in found})
        matches = [IndexMatch(video, distance) for video, distance in found.items() if distance <= threshold]
        return sorted(matches, key=lambda m: (m.distance, m.id))

    def __len__(self) -> int:
        return len(self._videos)

    def save(self, path: Path) -> None:
        ids = np.fromiter(self._values, dtype=np.int64, count=len(self._values))
        lengths = np.array([len(v) for v in self._values.values()], dtype=np.int64)
        blob = np.frombuffer(b"".join(self._values.values()), dtype=np.uint8)
        write_snapshot(path, self.kind, self.algorithm, {}, {"ids": ids, "lengths": lengths, "data": blob})

    @classmethod
    def load(cls, path: Path, algorithm: VpdqAlgorithm) -> VideoFrameIndex:
        _, arrays = read_snapshot(path, cls.kind, algorithm)
        index = cls(algorithm)
        ends = np.cumsum(arrays["lengths"])
        starts = ends - arrays["lengths"]
        blob = arrays["data"].tobytes()
        values = [
            algorithm.from_bytes(blob[s:e]) for s, e in zip(starts.tolist(), ends.tolist(), strict=True)
        ]
        index.add(arrays["ids"].tolist(), values)
        index.rebuild()
        return index

"""Query time of each matching mode, for bench/robustness.py.

Times one query from decoded pixels (hashing, the resilience stage's variants where the
mode uses them, and searches in the engine's own indexes at the algorithm's default
threshold), and the engine's default against plain PDQ from the encoded file (JPEG
quality 90), decoding included, as ``Matcher.match_file`` works: the two taken turn about on
each file, best of three rounds, so that a shared machine's slow spells fall on both alike.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from mediamatch.algorithms import ImageHashAlgorithm
from mediamatch.engine.matching import new_index
from mediamatch.engine.resilience import QueryVariant, Resilience, query_variants, region_hashes
from mediamatch.index import HammingMultiIndex, HashIndex
from mediamatch.media import decode_image

Pixels = npt.NDArray[np.uint8]


@dataclass
class Timing:
    plain_ms: float
    query_ms: float
    regions_ms: float


@dataclass
class Indexes:
    own: HashIndex
    regions: HashIndex


def _indexes(algorithm: ImageHashAlgorithm, photos: Sequence[Pixels]) -> Indexes:
    built = []
    for with_regions in (False, True):
        index, ids, values = new_index(algorithm), [], []
        for number, pixels in enumerate(photos):
            hashes = (
                region_hashes(pixels, algorithm).values() if with_regions else [algorithm.hash_pixels(pixels)]
            )
            for offset, result in enumerate(hashes):
                ids.append(number * 16 + offset)
                values.append(result.value)
        index.add(ids, values)
        if isinstance(index, HammingMultiIndex):
            index.rebuild()
        built.append(index)
    return Indexes(built[0], built[1])


def _per_item(items: Sequence[object], run: Callable[[object], None]) -> float:
    run(items[0])  # compile and warm caches before timing
    start = time.perf_counter()
    for item in items:
        run(item)
    return (time.perf_counter() - start) * 1000 / len(items)


def _search(algorithm: ImageHashAlgorithm, pixels: Pixels, indexes: Sequence[HashIndex], stage: bool) -> None:
    """As ``Matcher`` searches: every variant in the own index (``indexes[0]``) except crop windows,
    every variant in the region index; windows only where there is one."""
    regions = len(indexes) > 1
    options = Resilience(crop_windows=regions) if stage else Resilience.off()
    _search_variants(algorithm, query_variants(pixels, [algorithm], options)[algorithm.name], indexes)


def _search_variants(
    algorithm: ImageHashAlgorithm, variants: Sequence[QueryVariant], indexes: Sequence[HashIndex]
) -> None:
    for number, index in enumerate(indexes):
        chosen = [v.result.value for v in variants if number > 0 or not v.regions_only]
        index.search_many(chosen, algorithm.threshold)


def time_modes(
    algorithms: Sequence[ImageHashAlgorithm], samples: Sequence[Pixels], photos: Sequence[Pixels]
) -> tuple[dict[str, Timing], dict[str, Indexes]]:
    """Per algorithm: ms a query from decoded pixels in each mode; and the indexes built."""
    timings, built = {}, {}
    for algorithm in algorithms:
        indexes = built[algorithm.name] = _indexes(algorithm, photos)
        timings[algorithm.name] = Timing(
            _per_item(samples, lambda p, a=algorithm, i=indexes: _search(a, p, [i.own], False)),  # type: ignore[misc]
            _per_item(samples, lambda p, a=algorithm, i=indexes: _search(a, p, [i.own], True)),  # type: ignore[misc]
            _per_item(samples, lambda p, a=algorithm, i=indexes: _search(a, p, [i.own, i.regions], True)),  # type: ignore[misc]
        )
    return timings, built


def time_files(
    pdq: ImageHashAlgorithm, grad: ImageHashAlgorithm, samples: Sequence[Pixels], built: dict[str, Indexes]
) -> tuple[float, float]:
    """ms a file: plain PDQ matching, and the default (PDQ +query OR gradgrid +query+regions)."""
    files = []
    for pixels in samples:
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, "JPEG", quality=90)
        files.append(buffer.getvalue())

    def plain(data: object) -> None:
        _search(pdq, decode_image(data).pixels, [built[pdq.name].own], False)  # type: ignore[arg-type]

    def default(data: object) -> None:
        pixels = decode_image(data).pixels  # type: ignore[arg-type]
        variants = query_variants(pixels, [pdq, grad], Resilience())
        _search_variants(pdq, variants[pdq.name], [built[pdq.name].own])
        _search_variants(grad, variants[grad.name], [built[grad.name].own, built[grad.name].regions])

    return _interleaved(files, plain, default)


def _interleaved(
    items: Sequence[object],
    first: Callable[[object], None],
    second: Callable[[object], None],
    rounds: int = 3,
) -> tuple[float, float]:
    """ms an item for two ways of doing the same work, taken turn about on each item so that a
    shared machine's slow spells fall on both alike; each way's best round of ``rounds``."""
    first(items[0])  # compile and warm caches before timing
    second(items[0])
    totals: list[list[float]] = [[], []]
    for _ in range(rounds):
        spent = [0.0, 0.0]
        for item in items:
            for way, run in enumerate((first, second)):
                start = time.perf_counter()
                run(item)
                spent[way] += time.perf_counter() - start
        for way in (0, 1):
            totals[way].append(spent[way] * 1000 / len(items))
    return min(totals[0]), min(totals[1])

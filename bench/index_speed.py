"""PDQ index speed: our multi-index Hamming index against faiss-cpu's IndexBinaryFlat, same run.

Usage: python bench/index_speed.py [--sizes 1000000,10000000] [--queries 300]

Data: uniform random 256-bit hashes plus 10 % planted near-duplicate clusters (centres with
copies 1-40 bits away). Queries: half are existing hashes moved 0-30 bits, half random.
Radius 31 (inclusive). FAISS runs on one thread; its range search is a linear scan, so it is
also the brute-force check: every query's (id, distance) set must be identical.
Memory is the bytes of our index's arrays after loading the snapshot, and FAISS's code bytes.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np
import numpy.typing as npt

from mediamatch.algorithms import PdqAlgorithm
from mediamatch.index import HammingMultiIndex

RADIUS = 31
PDQ = PdqAlgorithm()
Bytes = npt.NDArray[np.uint8]


def flip_bits(rng: np.random.Generator, rows: Bytes, max_flips: int) -> Bytes:
    out = rows.copy()
    for row in out:
        for bit in rng.choice(256, size=int(rng.integers(0, max_flips + 1)), replace=False):
            row[bit // 8] ^= 1 << (bit % 8)
    return out


def dataset(size: int, seed: int = 7) -> Bytes:
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, size=(size, 32), dtype=np.uint8)
    clustered = size // 10
    centres = rng.integers(0, 256, size=(clustered // 10, 32), dtype=np.uint8)
    members = np.repeat(centres, 10, axis=0)[:clustered]
    noise = rng.random((clustered, 256)) < rng.uniform(0.004, 0.16, size=(clustered, 1))
    data[:clustered] = members ^ np.packbits(noise, axis=1)
    return data


def queries(data: Bytes, count: int, seed: int = 11) -> Bytes:
    rng = np.random.default_rng(seed)
    near = flip_bits(rng, data[rng.integers(0, len(data), size=count // 2)], 30)
    return np.concatenate([near, rng.integers(0, 256, size=(count - count // 2, 32), dtype=np.uint8)])


def ours(data: Bytes, probes: Bytes, folder: Path) -> dict[str, object]:
    start = time.perf_counter()
    index = HammingMultiIndex(PDQ)
    index.add_raw(np.arange(len(data), dtype=np.int64), data.reshape(-1))
    index.rebuild()
    build = time.perf_counter() - start
    snapshot = folder / "pdq.mmindex"
    index.save(snapshot)
    del index
    gc.collect()
    start = time.perf_counter()
    index = HammingMultiIndex.load(snapshot, PDQ)
    load = time.perf_counter() - start
    memory = index.memory_bytes() / 2**20
    values = [PDQ.from_bytes(row.tobytes()) for row in probes]
    index.search(values[0], RADIUS)
    latencies, results = [], []
    for value in values:
        start = time.perf_counter()
        results.append(index.search(value, RADIUS))
        latencies.append(time.perf_counter() - start)
    start = time.perf_counter()
    index.search_many(values, RADIUS)
    batch = len(values) / (time.perf_counter() - start)
    found = [{(m.id, m.distance) for m in hits} for hits in results]
    return {"build": build, "load": load, "memory": memory, "lat": latencies, "batch": batch, "found": found}


def theirs(data: Bytes, probes: Bytes) -> dict[str, object]:
    faiss.omp_set_num_threads(1)
    start = time.perf_counter()
    index = faiss.IndexBinaryFlat(256)
    index.add(data)
    build = time.perf_counter() - start
    latencies, found = [], []
    for row in probes:
        start = time.perf_counter()
        _, distances, labels = index.range_search(row[None, :], RADIUS + 1)
        latencies.append(time.perf_counter() - start)
        found.append(set(zip(labels.tolist(), distances.tolist(), strict=True)))
    start = time.perf_counter()
    index.range_search(probes, RADIUS + 1)
    batch = len(probes) / (time.perf_counter() - start)
    memory = data.nbytes / 2**20
    return {
        "build": build,
        "load": float("nan"),
        "memory": memory,
        "lat": latencies,
        "batch": batch,
        "found": found,
    }


def percentile_ms(values: list[float], q: float) -> float:
    return float(np.percentile(values, q) * 1000)


def report(size: int, mine: dict[str, object], peer: dict[str, object]) -> None:
    identical = mine["found"] == peer["found"]
    raw_mb = size * 32 / 2**20
    for name, row in (("mediamatch HammingMultiIndex", mine), ("faiss IndexBinaryFlat (1 thread)", peer)):
        lat = row["lat"]
        assert isinstance(lat, list)
        print(
            f"| {size:,} | {name} | {percentile_ms(lat, 50):.3f} | {percentile_ms(lat, 99):.3f} | "
            f"{row['batch']:.0f} | {row['build']:.1f} | {row['load']:.2f} | {row['memory']:.0f} "
            f"({float(row['memory']) / raw_mb:.2f}x raw) |"  # type: ignore[arg-type]
        )
    ratio = statistics.median(peer["lat"]) / statistics.median(mine["lat"])  # type: ignore[arg-type]
    hits = sum(len(f) for f in mine["found"])  # type: ignore[attr-defined]
    verdict = f"results identical: {identical} ({hits} hits)"
    print(f"| {size:,} | p50 ratio faiss/ours | {ratio:.1f}x | {verdict} |||||")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    print(f"radius {RADIUS} bits; {args.queries} queries per size\n")
    print("| hashes | index | p50 ms | p99 ms | batch queries/s | build s | load s | memory MB |")
    print("|---|---|---|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        data = dataset(size)
        probes = queries(data, args.queries)
        with tempfile.TemporaryDirectory() as folder:
            mine = ours(data, probes, Path(folder))
        peer = theirs(data, probes)
        report(size, mine, peer)
        del data, mine, peer
        gc.collect()


if __name__ == "__main__":
    main()

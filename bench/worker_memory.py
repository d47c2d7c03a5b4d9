"""Memory and start-up of a multi-worker service: shared index snapshots against one index per
worker (``INDEX_DIR=none``, as before snapshots were shared), measured in the same run.

Usage: python bench/worker_memory.py [--entries 1000000] [--workers 4]

For each layout, the service is started with 1 and with ``--workers`` workers on a bank of
``--entries`` random PDQ hashes (SQLite). Reported: seconds to ready (every worker), the sum of
the processes' RSS, and the sum of their PSS (proportional set size: a page shared by four
processes counts a quarter in each), which is what the machine really spends: RSS counts a
mapped snapshot's pages once in every process that touched them. "cold": the snapshot folder
starts empty (one worker builds, the others wait and map); "warm": it holds a snapshot of an
earlier revision (the usual restart).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from live_index import prepare
from service_load import start_server


def _pids(root: int) -> list[int]:
    children = Path(f"/proc/{root}/task/{root}/children")
    found = [root]
    if children.exists():
        found += [int(p) for p in children.read_text().split()]
    return found


def memory_mb(root: int) -> tuple[float, float]:
    """Sums of RSS and of PSS over the server's processes, in MB."""
    rss = pss = 0
    for pid in _pids(root):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss += int(line.split()[1])
            elif line.startswith("Pss:"):
                pss += int(line.split()[1])
    return rss / 1024, pss / 1024


def measure(url: str, workers: int, index_dir: str) -> tuple[float, float, float]:
    os.environ["MEDIAMATCH_INDEX_DIR"] = index_dir
    started = time.monotonic()
    server = start_server(url, workers, refresh=None)
    ready = time.monotonic() - started
    time.sleep(2)  # let the last worker settle
    rss, pss = memory_mb(server.pid)
    server.terminate()
    server.wait(timeout=60)
    return ready, rss, pss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="mediamatch-memory-") as folder:
        print(f"preparing {args.entries:,} entries ...", flush=True)
        url, _ = prepare(Path(folder), args.entries)
        snapshots = Path(folder) / "snapshots"
        for workers in (1, args.workers):
            rows.append(("one index per worker", workers, *measure(url, workers, "none")))
            for stale in snapshots.glob("*"):
                stale.unlink()
            rows.append(("shared snapshot, cold", workers, *measure(url, workers, str(snapshots))))
            rows.append(("shared snapshot, warm", workers, *measure(url, workers, str(snapshots))))
    print(f"\n{args.entries:,} PDQ entries, SQLite\n")
    print("| layout | workers | ready after s | RSS sum MB | PSS sum MB |")
    print("|---|---|---|---|---|")
    for layout, workers, ready, rss, pss in rows:
        print(f"| {layout} | {workers} | {ready:.1f} | {rss:,.0f} | {pss:,.0f} |")
    by = {(layout, workers): pss for layout, workers, _, _, pss in rows}
    for layout in ("one index per worker", "shared snapshot, warm"):
        ratio = by[(layout, args.workers)] / by[(layout, 1)]
        print(f"\n{layout}: PSS of {args.workers} workers over 1 worker: {ratio:.2f}x")


if __name__ == "__main__":
    main()

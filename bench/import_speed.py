"""Importing a hash list into the SQLite store, against a bare sqlite3 insert of the same rows.

Usage: python bench/import_speed.py [--lines 1000000]

Our figure is the whole path a user runs (``mediamatch bank import``): streamed parsing and
validation of every line, the all-or-nothing transaction and duplicate-ignoring inserts.
The peer is Python's sqlite3 ``executemany`` of the already-parsed rows into a table with
the same unique index: the floor any importer on SQLite starts from.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
from pathlib import Path

from mediamatch.algorithms import default_registry
from mediamatch.engine.banks import import_file
from mediamatch.store import Store

GOAL_SECONDS = 60.0


def write_list(path: Path, lines: int) -> None:
    with path.open("w") as handle:
        for _ in range(lines):
            handle.write(os.urandom(32).hex() + "\n")


def ours(path: Path, folder: Path) -> tuple[float, int]:
    store = Store(f"sqlite:///{folder / 'ours.sqlite3'}")
    store.create_bank("BENCH")
    start = time.perf_counter()
    report = import_file(store, default_registry(), "BENCH", path, algorithm="pdq")
    return time.perf_counter() - start, report.added


def bare_sqlite(path: Path, folder: Path) -> float:
    rows = [(1, "pdq", bytes.fromhex(line.strip())) for line in path.open()]
    connection = sqlite3.connect(folder / "bare.sqlite3")
    connection.execute(
        "CREATE TABLE entries (id INTEGER PRIMARY KEY, bank_id INT, algorithm TEXT, hash BLOB)"
    )
    connection.execute("CREATE UNIQUE INDEX u ON entries (bank_id, algorithm, hash)")
    start = time.perf_counter()
    with connection:
        connection.executemany(
            "INSERT OR IGNORE INTO entries (bank_id, algorithm, hash) VALUES (?, ?, ?)", rows
        )
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path = folder / "list.txt"
        write_list(path, args.lines)
        seconds, added = ours(path, folder)
        floor = bare_sqlite(path, folder)
    verdict = "met" if seconds <= GOAL_SECONDS else "MISSED"
    print(f"| {args.lines:,}-line PDQ list into SQLite | seconds | lines/s | vs bare sqlite3 | goal |")
    print("|---|---|---|---|---|")
    print(
        f"| mediamatch bank import | {seconds:.1f} | {args.lines / seconds:,.0f} | "
        f"{seconds / floor:.1f}x slower | <= {GOAL_SECONDS:.0f} s: {verdict} ({added:,} added) |"
    )
    print(f"| bare sqlite3 executemany (parsed rows) | {floor:.1f} | {args.lines / floor:,.0f} | 1.0x | |")


if __name__ == "__main__":
    main()

"""Live index: how soon a change is matchable through a running multi-worker service, what readiness
and memory do meanwhile, against a rebuild of the whole index measured in the same run.

Usage: python bench/live_index.py [--entries 1000000] [--workers 2] [--trials 5]

Set-up: a SQLite bank of ``--entries`` random PDQ hashes, a curator key, and ``mediamatch serve``
(uvicorn, ``--workers``) on loopback with the default ``INDEX_REFRESH_SECONDS``. Then, ``--trials``
times each: a new entry added through ``POST /v1/banks/LIVE/entries`` (time until every worker
matches it: a fresh connection per probe reaches a random worker, and the entry counts as
matchable after 20 probes in a row answer with it), the same entry deleted (until no probe
matches it), and, for comparison, a change a delta cannot carry (the bank disabled and enabled
again: the entry is matchable again only once the index is rebuilt, as every change was before
the change log). Throughout, ``/status/ready`` is polled and every 503 counted, and the server's
resident memory (all processes) is sampled. Rows: median and worst time to take effect, readiness
failures seen, peak RSS over RSS when ready.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mediamatch.algorithms import PdqAlgorithm
from mediamatch.service.settings import DEVELOPMENT_PEPPER
from mediamatch.store import NewEntry, Store
from mediamatch.store.accounts import AccountStore, Environment
from service_load import PORT, server_rss_mb, start_server

PDQ = PdqAlgorithm()
STEADY = 20
"""Probes in a row that must agree before a change counts as taken effect on every worker."""


def prepare(folder: Path, entries: int) -> tuple[str, str]:
    url = f"sqlite:///{folder / 'live.sqlite3'}"
    store = Store(url)
    accounts = AccountStore(store, DEVELOPMENT_PEPPER.encode())
    owner = accounts.create_organisation("bench")
    store.create_bank("LIVE", organisation_id=owner.id)
    rng = random.Random(11)
    store.add_entries("LIVE", (NewEntry("pdq", rng.randbytes(32)) for _ in range(entries)))
    _, key = accounts.create_key(
        "bench", "bench", ["match", "curate"], Environment.LIVE, rate_per_minute=10**9
    )
    store.close()
    return url, key


def call(method: str, path: str, key: str, body: object | None = None) -> tuple[int, dict[str, object]]:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    payload = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    connection.request(method, path, body=payload, headers=headers)
    answer = connection.getresponse()
    status, data = answer.status, answer.read()
    connection.close()
    return status, json.loads(data) if data else {}


def matched(key: str, text: str) -> bool:
    status, body = call("POST", "/v1/match", key, {"hashes": {"pdq": text}})
    if status != 200:
        raise SystemExit(f"match answered {status}: {body}")
    results = body["results"]
    assert isinstance(results, list)
    return bool(results[0].get("matches"))


def until(key: str, text: str, wanted: bool, started: float, limit: float = 600.0) -> float:
    """Seconds from ``started`` until ``STEADY`` probes in a row say ``wanted``."""
    agreeing, first = 0, None
    while agreeing < STEADY:
        if matched(key, text) == wanted:
            first = first or time.monotonic()
            agreeing += 1
        else:
            agreeing, first = 0, None
        if time.monotonic() - started > limit:
            raise SystemExit("the change never took effect")
    return (first or time.monotonic()) - started


class Watch:
    """Readiness and memory, sampled in the background and kept per phase (``phase``)."""

    def __init__(self, server: object) -> None:
        self.server, self.phase = server, ""
        self.failures: dict[str, int] = {}
        self.peak_mb: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            phase = self.phase
            try:
                connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
                connection.request("GET", "/status/ready")
                failed = connection.getresponse().status != 200
                connection.close()
            except OSError:
                failed = True
            self.failures[phase] = self.failures.get(phase, 0) + failed
            rss = server_rss_mb(self.server)  # type: ignore[arg-type]
            self.peak_mb[phase] = max(self.peak_mb.get(phase, 0.0), rss)

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mediamatch-live-") as folder:
        print(f"preparing {args.entries:,} entries ...", flush=True)
        url, key = prepare(Path(folder), args.entries)
        started = time.monotonic()
        server = start_server(url, args.workers, refresh=None)
        ready_after = time.monotonic() - started
        ready_mb = server_rss_mb(server)
        rows: dict[str, list[float]] = {"add": [], "delete": [], "bank off and on (rebuild)": []}
        rng = random.Random(3)
        try:
            with Watch(server) as watch:
                for _ in range(args.trials):
                    watch.phase = "add"
                    text = PDQ.format(PDQ.from_bytes(rng.randbytes(32)))
                    began = time.monotonic()
                    status, body = call(
                        "POST",
                        "/v1/banks/LIVE/entries",
                        key,
                        {"entries": [{"algorithm": "pdq", "hash": text}]},
                    )
                    assert status == 201, body
                    rows["add"].append(until(key, text, True, began))
                    entry_id = _entry_id(key, text)
                    watch.phase = "delete"
                    began = time.monotonic()
                    status, body = call("DELETE", f"/v1/banks/LIVE/entries/{entry_id}", key)
                    assert status == 200, body
                    rows["delete"].append(until(key, text, False, began))
                watch.phase = "set-up"
                text = PDQ.format(PDQ.from_bytes(rng.randbytes(32)))
                call("POST", "/v1/banks/LIVE/entries", key, {"entries": [{"algorithm": "pdq", "hash": text}]})
                until(key, text, True, time.monotonic())
                watch.phase = "bank off and on (rebuild)"
                for _ in range(max(1, args.trials // 2)):
                    began = time.monotonic()
                    assert call("POST", "/v1/banks/LIVE/disable", key)[0] == 200
                    until(key, text, False, began)
                    assert call("POST", "/v1/banks/LIVE/enable", key)[0] == 200
                    rows["bank off and on (rebuild)"].append(until(key, text, True, began))
        finally:
            server.terminate()
            server.wait(timeout=60)
    print(
        f"\n{args.entries:,} PDQ entries, {args.workers} workers, SQLite; "
        f"ready after start {ready_after:.1f} s, RSS when ready {ready_mb:,.0f} MB\n"
    )
    print("| change | trials | median s | worst s | readiness 503s seen | peak RSS / ready RSS |")
    print("|---|---|---|---|---|---|")
    for name, seconds in rows.items():
        print(
            f"| {name} | {len(seconds)} | {statistics.median(seconds):.2f} | {max(seconds):.2f} | "
            f"{watch.failures.get(name, 0)} | {watch.peak_mb.get(name, 0.0) / ready_mb:.2f} |"
        )
    delta, rebuild = statistics.median(rows["add"]), statistics.median(rows["bank off and on (rebuild)"])
    print(f"\nratio, rebuild over delta (median): {rebuild / delta:.1f}x")


def _entry_id(key: str, text: str) -> int:
    _, body = call("POST", "/v1/match", key, {"hashes": {"pdq": text}})
    matches = body["results"][0]["matches"]  # type: ignore[index]
    return int(matches[0]["entry_id"])


if __name__ == "__main__":
    main()

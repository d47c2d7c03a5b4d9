"""Service load: the real server on loopback, driven by concurrent clients.

Usage: python bench/service_load.py [--entries 1000000] [--workers 2] [--seconds 20] [--soak-seconds 300]

Set-up: a SQLite bank of ``--entries`` random PDQ hashes plus the corpus photos' hashes, an
API key without a rate limit, and ``mediamatch serve``'s app under uvicorn on 127.0.0.1.
Phases, each reported with throughput, p50/p99 latency and errors:

1. image matches: ~1 MP JPEG uploads (from ../shared/corpus photos, else generated), peak load;
2. hash matches: precomputed PDQ hashes, one per request and 100 per request, peak load;
3. image matches at 80 % of the measured peak rate (open loop), for the p99 goal;
4. a soak at 80 % of the hash-match peak for ``--soak-seconds``, with the server's resident
   memory (all worker processes) sampled after warm-up and at the end.

Clients run in this process on the same machine, so they take CPU from the server: the
figures are a floor for a dedicated server.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from mediamatch.algorithms import PdqAlgorithm, default_registry
from mediamatch.engine.testbank import ensure_test_bank
from mediamatch.samples import synthetic_photo
from mediamatch.service.settings import DEVELOPMENT_PEPPER
from mediamatch.store import NewEntry, Store
from mediamatch.store.accounts import AccountStore, Environment

PDQ = PdqAlgorithm()
PORT = 8765


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    items: int = 0
    seconds: float = 0.0

    def row(self, unit: str) -> str:
        done = len(self.latencies)
        rate = self.items / self.seconds if self.seconds else 0.0
        p50 = statistics.median(self.latencies) * 1000 if done else float("nan")
        p99 = sorted(self.latencies)[int(0.99 * (done - 1))] * 1000 if done else float("nan")
        return f"| {self.name} | {rate:,.0f} {unit}/s | {p50:.1f} | {p99:.1f} | {done:,} | {self.errors} |"


def jpegs(corpus: Path, count: int) -> list[bytes]:
    files = sorted(p for p in corpus.glob("*.jpg"))[:count]
    images = [Image.open(p).convert("RGB") for p in files] or [
        Image.fromarray(synthetic_photo(seed, 1152, 864)) for seed in range(count)
    ]
    out = []
    for image in images:
        image = image.resize((1152, 864))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        out.append(buffer.getvalue())
    return out


def prepare(folder: Path, entries: int, uploads: list[bytes]) -> tuple[str, str, list[str]]:
    url = f"sqlite:///{folder / 'load.sqlite3'}"
    store = Store(url)
    store.create_bank("LOAD")
    rng = random.Random(5)
    store.add_entries("LOAD", (NewEntry("pdq", rng.randbytes(32)) for _ in range(entries)))
    known = [PDQ.hash_pixels(np.asarray(Image.open(io.BytesIO(u)).convert("RGB"))).value for u in uploads]
    store.add_entries("LOAD", [NewEntry("pdq", v.data) for v in known])
    ensure_test_bank(store, default_registry())
    accounts = AccountStore(store, DEVELOPMENT_PEPPER.encode())
    accounts.create_organisation("load")
    _, key = accounts.create_key("load", "bench", ["match"], Environment.LIVE, rate_per_minute=10**9)
    store.close()
    return url, key, [PDQ.format(v) for v in known]


def start_server(url: str, workers: int, refresh: float | None = 600) -> subprocess.Popen[bytes]:
    """The service on ``PORT``, once every worker answers ready; ``refresh``: the index refresh
    interval (long by default: the store does not change during a load test), None for the default."""
    environment = {**os.environ, "MEDIAMATCH_DB": url}
    if refresh is not None:
        environment["MEDIAMATCH_INDEX_REFRESH_SECONDS"] = str(refresh)
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "mediamatch.service.app:create_app_from_environment",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(PORT),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, env=environment)
    deadline = time.monotonic() + 300
    consecutive = 0
    while time.monotonic() < deadline:
        try:  # a fresh connection each time reaches a random worker: wait until all answer ready
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            connection.request("GET", "/status/ready")
            consecutive = consecutive + 1 if connection.getresponse().status == 200 else 0
            connection.close()
        except OSError:
            consecutive = 0
        if consecutive >= 40:
            return server
        time.sleep(0.05 if consecutive else 0.5)
    server.kill()
    raise SystemExit("the server never became ready")


Request = Callable[[int], tuple[str, dict[str, str], bytes, int]]


def drive(phase: Phase, make: Request, clients: int, seconds: float, rate: float | None = None) -> Phase:
    """Closed loop (``rate`` None) or open loop at ``rate`` requests/s across ``clients`` threads."""
    stop_at = time.monotonic() + seconds
    lock = threading.Lock()

    def client(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        sent = 0
        start = time.monotonic()
        while time.monotonic() < stop_at:
            if rate is not None:
                due = start + sent * clients / rate
                time.sleep(max(0.0, due - time.monotonic()))
            path, headers, body, items = make(number * 1_000_003 + sent)
            began = time.perf_counter()
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            elapsed = time.perf_counter() - began
            sent += 1
            with lock:
                phase.latencies.append(elapsed)
                phase.items += items if ok else 0
                phase.errors += 0 if ok else 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    phase.seconds = time.monotonic() - started
    return phase


def server_rss_mb(server: subprocess.Popen[bytes]) -> float:
    pids = [server.pid]
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--soak-seconds", type=float, default=300.0)
    parser.add_argument("--corpus", type=Path, default=Path(".corpus/photos"))
    args = parser.parse_args()
    uploads = jpegs(args.corpus, 16)
    with tempfile.TemporaryDirectory() as folder:
        url, key, known = prepare(Path(folder), args.entries, uploads)
        auth = {"Authorization": f"Bearer {key}"}
        server = start_server(url, args.workers)
        try:
            report(server, auth, uploads, known, args)
        finally:
            server.terminate()
            server.wait(timeout=30)


def report(
    server: subprocess.Popen[bytes],
    auth: dict[str, str],
    uploads: list[bytes],
    known: list[str],
    args: argparse.Namespace,
) -> None:
    image = {**auth, "Content-Type": "image/jpeg"}
    json_headers = {**auth, "Content-Type": "application/json"}

    def image_request(n: int) -> tuple[str, dict[str, str], bytes, int]:
        return "/v1/match", image, uploads[n % len(uploads)], 1

    def hash_request(n: int) -> tuple[str, dict[str, str], bytes, int]:
        return "/v1/match", json_headers, json.dumps({"hashes": {"pdq": known[n % len(known)]}}).encode(), 1

    batch_body = json.dumps(
        {"items": [{"hashes": {"pdq": known[i % len(known)]}} for i in range(100)]}
    ).encode()

    def batch_request(n: int) -> tuple[str, dict[str, str], bytes, int]:
        return "/v1/match", json_headers, batch_body, 100

    seconds, clients = args.seconds, args.clients
    images = drive(Phase("image matches, 1 MP JPEG, peak"), image_request, clients, seconds)
    hashes = drive(Phase("hash matches, 1 per request, peak"), hash_request, clients, seconds)
    batches = drive(Phase("hash matches, 100 per request, peak"), batch_request, clients, seconds)
    image_peak = images.items / images.seconds
    steady = drive(Phase("image matches at 80 % of peak"), image_request, clients, seconds, 0.8 * image_peak)
    hash_peak = hashes.items / hashes.seconds
    drive(Phase("warm-up"), hash_request, clients, 10, 0.8 * hash_peak)
    before = server_rss_mb(server)
    soak = drive(
        Phase(f"soak, hashes at 80 % of peak, {args.soak_seconds:.0f} s"),
        hash_request,
        clients,
        args.soak_seconds,
        0.8 * hash_peak,
    )
    after = server_rss_mb(server)
    setup = f"{args.entries:,} PDQ entries, {args.workers} workers, {clients} client threads"
    print(f"{setup}, all on the same 2-core machine\n")
    print("| phase | throughput | p50 ms | p99 ms | requests | errors |")
    print("|---|---|---|---|---|---|")
    for phase in (images, hashes, batches, steady, soak):
        print(phase.row("items"))
    growth = (after - before) / before * 100
    print(f"\nserver resident memory: {before:.0f} MB after warm-up, {after:.0f} MB after the soak", end="")
    print(f" ({growth:+.1f} %)")


if __name__ == "__main__":
    main()

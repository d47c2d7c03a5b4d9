"""Prometheus metrics in the text exposition format, summed over the worker processes of a host.

Counters of requests by route and status, items, matches (in all and per bank), a latency
histogram, and gauges for index readiness, the index's age and indexed entries, and for the
audit records held unwritten. No customer data and no hashes.

Each process keeps its own counts and, given a shared folder (``Metrics(shared=...)``), writes
them there as one small file per process, every second and whenever it renders; rendering sums
the counters of every file, those of processes that have ended included (counters only grow),
so consecutive scrapes agree whichever worker answers. Gauges are the answering process's own
(its index, its audit queue), with the number of live workers beside them. Files of processes
gone for a week are removed.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
FORGET_AFTER_SECONDS = 7 * 86_400
PUBLISH_SECONDS = 1.0

HELP = {
    "mediamatch_requests_total": "Requests answered, by route and HTTP status.",
    "mediamatch_items_total": "Items (images, videos, hash sets) in answered requests.",
    "mediamatch_matches_total": "Matched entries reported, in all.",
    "mediamatch_bank_matches_total": "Matched entries reported, by bank.",
    "mediamatch_request_seconds": "Time from a request's arrival to its answer.",
    "mediamatch_audit_refused_requests_total": "Requests refused because the audit backlog was full.",
    "mediamatch_index_ready": "1 when this process answers from a loaded, current index.",
    "mediamatch_index_age_seconds": "Seconds since this process's index was last confirmed current.",
    "mediamatch_audit_queued_records": "Audit records this process holds unwritten.",
    "mediamatch_audit_dropped_records_total": "Audit records this process could not keep.",
    "mediamatch_indexed_entries": "Entries in this process's index, by algorithm.",
    "mediamatch_workers": "Worker processes of this host that published counts in the last minute.",
}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Metrics:
    def __init__(self, shared: Path | None = None) -> None:
        """``shared``: the folder the processes of a host publish their counts in (None: this
        process's counts only)."""
        self._lock = threading.Lock()
        self.shared = shared
        self.requests: Counter[tuple[str, str]] = Counter()
        self.banks: Counter[str] = Counter()
        self.items = 0
        self.matches = 0
        self.latency_buckets = [0] * len(BUCKETS)
        self.latency_sum = 0.0
        self.latency_count = 0
        self.refused = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refused_unaudited(self) -> None:
        """Count a request refused because the audit queue was full."""
        with self._lock:
            self.refused += 1

    def observe(
        self,
        route: str,
        status: int,
        seconds: float,
        items: int,
        matches: int,
        banks: Mapping[str, int] | None = None,
    ) -> None:
        with self._lock:
            self.requests[route, str(status)] += 1
            self.items += items
            self.matches += matches
            self.banks.update(banks or {})
            self.latency_sum += seconds
            self.latency_count += 1
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self.latency_buckets[index] += 1

    # -- sharing between processes ---------------------------------------------------------

    def _counts(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": [[route, status, count] for (route, status), count in self.requests.items()],
                "banks": dict(self.banks),
                "items": self.items,
                "matches": self.matches,
                "latency_buckets": list(self.latency_buckets),
                "latency_sum": self.latency_sum,
                "latency_count": self.latency_count,
                "refused": self.refused,
            }

    def publish(self) -> None:
        """Write this process's counts to the shared folder (atomically); nothing without one."""
        if self.shared is None:
            return
        self.shared.mkdir(parents=True, exist_ok=True)
        target = self.shared / f"{os.getpid()}.json"
        temporary = target.with_name(target.name + ".tmp")
        temporary.write_text(json.dumps(self._counts()))
        os.replace(temporary, target)

    def start(self) -> None:
        """Publish every ``PUBLISH_SECONDS`` in a background thread, and forget long-gone processes."""
        if self.shared is None or self._thread is not None:
            return
        self._forget_old()

        def loop() -> None:
            while not self._stop.wait(PUBLISH_SECONDS):
                self.publish()

        self._thread = threading.Thread(target=loop, name="mediamatch-metrics", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.publish()

    def _forget_old(self) -> None:
        if self.shared is None or not self.shared.is_dir():
            return
        now = time.time()
        for found in self.shared.glob("*.json"):
            try:
                gone = not _alive(int(found.stem)) and now - found.stat().st_mtime > FORGET_AFTER_SECONDS
            except (ValueError, OSError):
                continue
            if gone:
                found.unlink(missing_ok=True)

    def _gathered(self) -> tuple[dict[str, Any], int]:
        """Every process's counts summed (this one's fresh), and how many processes are live."""
        if self.shared is None:
            return self._counts(), 1
        self.publish()
        total: dict[str, Any] = {
            "requests": Counter(),
            "banks": Counter(),
            "latency_buckets": [0] * len(BUCKETS),
        }
        for name in ("items", "matches", "latency_sum", "latency_count", "refused"):
            total[name] = 0
        live = 0
        recent = time.time() - 60
        for found in self.shared.glob("*.json"):
            try:
                counts = json.loads(found.read_text())
                live += _alive(int(found.stem)) and found.stat().st_mtime >= recent
            except (ValueError, OSError):
                continue  # being replaced, or not ours
            for route, status, count in counts["requests"]:
                total["requests"][route, status] += count
            total["banks"].update(counts["banks"])
            for name in ("items", "matches", "latency_sum", "latency_count", "refused"):
                total[name] += counts[name]
            total["latency_buckets"] = [
                a + b for a, b in zip(total["latency_buckets"], counts["latency_buckets"], strict=True)
            ]
        total["requests"] = [[r, s, c] for (r, s), c in total["requests"].items()]
        return total, max(live, 1)

    # -- exposition ------------------------------------------------------------------------

    def render(
        self,
        ready: bool,
        indexed: dict[str, int],
        *,
        index_age_seconds: float | None = None,
        audit_queued: int = 0,
        audit_dropped: int = 0,
    ) -> str:
        counts, workers = self._gathered()
        lines: list[str] = []

        def metric(name: str, kind: str, samples: list[str]) -> None:
            lines.extend([f"# HELP {name} {HELP[name]}", f"# TYPE {name} {kind}", *samples])

        metric(
            "mediamatch_requests_total",
            "counter",
            [
                f'mediamatch_requests_total{{route="{r}",status="{s}"}} {c}'
                for r, s, c in sorted(counts["requests"])
            ],
        )
        metric("mediamatch_items_total", "counter", [f"mediamatch_items_total {counts['items']}"])
        metric("mediamatch_matches_total", "counter", [f"mediamatch_matches_total {counts['matches']}"])
        metric(
            "mediamatch_bank_matches_total",
            "counter",
            [f'mediamatch_bank_matches_total{{bank="{b}"}} {c}' for b, c in sorted(counts["banks"].items())],
        )
        histogram = [
            f'mediamatch_request_seconds_bucket{{le="{bound}"}} {count}'
            for bound, count in zip(BUCKETS, counts["latency_buckets"], strict=True)
        ]
        histogram += [
            f'mediamatch_request_seconds_bucket{{le="+Inf"}} {counts["latency_count"]}',
            f"mediamatch_request_seconds_sum {counts['latency_sum']:.6f}",
            f"mediamatch_request_seconds_count {counts['latency_count']}",
        ]
        metric("mediamatch_request_seconds", "histogram", histogram)
        metric(
            "mediamatch_audit_refused_requests_total",
            "counter",
            [f"mediamatch_audit_refused_requests_total {counts['refused']}"],
        )
        metric("mediamatch_workers", "gauge", [f"mediamatch_workers {workers}"])
        metric("mediamatch_index_ready", "gauge", [f"mediamatch_index_ready {int(ready)}"])
        if index_age_seconds is not None:
            metric(
                "mediamatch_index_age_seconds",
                "gauge",
                [f"mediamatch_index_age_seconds {index_age_seconds:.3f}"],
            )
        metric(
            "mediamatch_audit_queued_records", "gauge", [f"mediamatch_audit_queued_records {audit_queued}"]
        )
        metric(
            "mediamatch_audit_dropped_records_total",
            "counter",
            [f"mediamatch_audit_dropped_records_total {audit_dropped}"],
        )
        metric(
            "mediamatch_indexed_entries",
            "gauge",
            [f'mediamatch_indexed_entries{{algorithm="{n}"}} {c}' for n, c in sorted(indexed.items())],
        )
        return "\n".join(lines) + "\n"

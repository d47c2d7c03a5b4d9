"""Prometheus metrics in the text exposition format, kept per process.

Counters of requests by route and status, items and matches, a latency histogram, and
gauges for index readiness, the index's age and indexed entries, and for the audit records
held unwritten. No customer data and no hashes.
"""

from __future__ import annotations

import threading
from collections import Counter

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, str]] = Counter()
        self.items = 0
        self.matches = 0
        self.latency_buckets = [0] * len(BUCKETS)
        self.latency_sum = 0.0
        self.latency_count = 0
        self.refused = 0

    def refused_unaudited(self) -> None:
        """Count a request refused because the audit queue was full."""
        with self._lock:
            self.refused += 1

    def observe(self, route: str, status: int, seconds: float, items: int, matches: int) -> None:
        with self._lock:
            self.requests[route, str(status)] += 1
            self.items += items
            self.matches += matches
            self.latency_sum += seconds
            self.latency_count += 1
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self.latency_buckets[index] += 1

    def render(
        self,
        ready: bool,
        indexed: dict[str, int],
        *,
        index_age_seconds: float | None = None,
        audit_queued: int = 0,
        audit_dropped: int = 0,
    ) -> str:
        lines = ["# TYPE mediamatch_requests_total counter"]
        with self._lock:
            for (route, status), count in sorted(self.requests.items()):
                lines.append(f'mediamatch_requests_total{{route="{route}",status="{status}"}} {count}')
            lines += [
                "# TYPE mediamatch_items_total counter",
                f"mediamatch_items_total {self.items}",
                "# TYPE mediamatch_matches_total counter",
                f"mediamatch_matches_total {self.matches}",
                "# TYPE mediamatch_request_seconds histogram",
            ]
            for bound, count in zip(BUCKETS, self.latency_buckets, strict=True):
                lines.append(f'mediamatch_request_seconds_bucket{{le="{bound}"}} {count}')
            lines += [
                f'mediamatch_request_seconds_bucket{{le="+Inf"}} {self.latency_count}',
                f"mediamatch_request_seconds_sum {self.latency_sum:.6f}",
                f"mediamatch_request_seconds_count {self.latency_count}",
                "# TYPE mediamatch_audit_refused_requests_total counter",
                f"mediamatch_audit_refused_requests_total {self.refused}",
            ]
        lines += ["# TYPE mediamatch_index_ready gauge", f"mediamatch_index_ready {int(ready)}"]
        if index_age_seconds is not None:
            lines += [
                "# TYPE mediamatch_index_age_seconds gauge",
                f"mediamatch_index_age_seconds {index_age_seconds:.3f}",
            ]
        lines += [
            "# TYPE mediamatch_audit_queued_records gauge",
            f"mediamatch_audit_queued_records {audit_queued}",
            "# TYPE mediamatch_audit_dropped_records_total counter",
            f"mediamatch_audit_dropped_records_total {audit_dropped}",
        ]
        lines.append("# TYPE mediamatch_indexed_entries gauge")
        lines += [
            f'mediamatch_indexed_entries{{algorithm="{name}"}} {count}'
            for name, count in sorted(indexed.items())
        ]
        return "\n".join(lines) + "\n"

"""Writing audit records off the request path, in batches.

Requests hand records to ``AuditWriter.submit`` (no I/O); a background thread writes them
in batches every ``interval`` seconds. ``flush`` writes everything submitted so far;
``stop`` flushes and ends the thread, so a clean shutdown loses nothing. A crash can lose
at most the last ``interval`` seconds of records.
"""

from __future__ import annotations

import queue
import threading

from mediamatch.store.accounts import AccountStore, AuditRecord


class AuditWriter:
    def __init__(self, accounts: AccountStore, interval: float = 0.2) -> None:
        self.accounts = accounts
        self.interval = interval
        self._queue: queue.Queue[AuditRecord] = queue.Queue()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mediamatch-audit", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, record: AuditRecord) -> None:
        self._queue.put(record)

    def flush(self) -> None:
        with self._lock:
            batch: list[AuditRecord] = []
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if batch:
                self.accounts.audit_many(batch)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.flush()

"""Writing audit records off the request path, in batches, without losing any while the database is away.

Requests hand records to ``AuditWriter.submit`` (no I/O); a background thread writes them
in batches every ``interval`` seconds. A record leaves the queue only once the batch that
holds it has been written: while the database cannot be reached the records stay queued,
and the thread retries with a backoff that doubles up to ``max_backoff`` seconds, logging
once when writing stops and once when it resumes.

The queue is bounded by ``capacity``. ``has_room`` tells the service whether to take a new
request at all: past the bound it refuses ``/v1`` requests with 503 (an unaudited answer is
never given), so the queue exceeds ``capacity`` by at most the requests already in flight.
A batch that fails for any other reason than an unreachable database is written record by
record, so one record the database rejects cannot hold back the others; that record is
logged in full at error level and dropped (counted in ``dropped``).

``flush`` writes everything queued so far (raising ``StoreUnavailable`` if it cannot);
``stop`` ends the thread and flushes, so a clean shutdown with the database up loses
nothing. A crash loses what was still queued.
"""

from __future__ import annotations

import logging
import threading
from collections import deque

from mediamatch.errors import StoreUnavailable
from mediamatch.store.accounts import AccountStore, AuditRecord

log = logging.getLogger(__name__)

BATCH = 1000


class AuditWriter:
    def __init__(
        self,
        accounts: AccountStore,
        interval: float = 0.2,
        *,
        capacity: int = 100_000,
        max_backoff: float = 5.0,
    ) -> None:
        self.accounts = accounts
        self.interval = interval
        self.capacity = capacity
        self.max_backoff = max(interval, max_backoff)
        self.written = 0
        """Records written since start."""
        self.dropped = 0
        """Records the database rejected on their own (logged, never retried)."""
        self.failing = False
        """True while the last attempt to write found the database unreachable."""
        self._queue: deque[AuditRecord] = deque()
        self._queue_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mediamatch-audit", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, record: AuditRecord) -> None:
        with self._queue_lock:
            self._queue.append(record)

    @property
    def queued(self) -> int:
        """Records waiting to be written."""
        with self._queue_lock:
            return len(self._queue)

    def has_room(self) -> bool:
        """Whether a new request may be taken: fewer than ``capacity`` records are waiting."""
        return self.queued < self.capacity

    def flush(self) -> None:
        """Write every record queued so far, oldest first; raises StoreUnavailable (with the
        unwritten records still queued) when the database cannot be reached."""
        with self._write_lock:
            while True:
                with self._queue_lock:
                    batch = [self._queue[i] for i in range(min(BATCH, len(self._queue)))]
                if not batch:
                    return
                self._write(batch)
                with self._queue_lock:  # only this writer removes records, from the left
                    for _ in batch:
                        self._queue.popleft()
                self.written += len(batch)

    def _write(self, batch: list[AuditRecord]) -> None:
        try:
            self.accounts.audit_many(batch)
            return
        except StoreUnavailable:
            raise
        except Exception:
            log.exception("an audit batch of %d records was refused; writing them one by one", len(batch))
        for record in batch:
            try:
                self.accounts.audit_many([record])
            except StoreUnavailable:
                raise
            except Exception:
                self.dropped += 1
                log.exception("audit record refused by the database and dropped: %r", record)

    def _run(self) -> None:
        delay = self.interval
        while not self._stop.wait(delay):
            try:
                self.flush()
            except StoreUnavailable as error:
                if not self.failing:
                    log.warning("audit records held in memory (%d queued): %s", self.queued, error)
                self.failing = True
                delay = min(delay * 2, self.max_backoff)
                continue
            except Exception:  # the thread must outlive anything a write can raise
                log.exception("audit writing failed; retrying")
                delay = min(delay * 2, self.max_backoff)
                continue
            if self.failing:
                log.warning("audit writing resumed; %d records written since start", self.written)
            self.failing, delay = False, self.interval

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        try:
            self.flush()
        except StoreUnavailable as error:
            log.error("stopping with %d audit records unwritten: %s", self.queued, error)

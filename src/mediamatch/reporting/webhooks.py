"""Webhooks: per-organisation endpoints, durable signed deliveries, retries with backoff.

``WebhookDispatcher.emit`` writes one delivery per subscribed endpoint and returns; it
never touches the network. A background thread (``start``/``stop``) sends due deliveries
as JSON POSTs signed as ``mediamatch.reporting.signing`` describes. A 2xx answer delivers;
anything else (another status, a refused destination, a network error or timeout) is
logged as an attempt and retried after ``base_seconds * 2**(attempts - 1)`` (capped at
``max_delay_seconds``) until ``max_attempts`` attempts were made, then the delivery is
``failed`` until someone redelivers it. Redirects are not followed. Every destination
passes the ``check_destination`` callable first (the service gives it the SSRF policy of
URL fetching).

A pass sends to up to ``concurrency`` endpoints at once, each endpoint's deliveries in the
order they fell due. A failed attempt that will be retried holds the endpoint's other due
deliveries until that retry (without counting attempts against them), so a slow or dead
endpoint costs one timeout per backoff step and never holds up other endpoints.
"""

from __future__ import annotations

import http.client
import json
import logging
import secrets
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from mediamatch import __version__
from mediamatch.errors import MediamatchError, StoreUnavailable, WebhookError
from mediamatch.reporting.signing import EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, sign
from mediamatch.store import Store
from mediamatch.store.webhooks import Attempt, DueDelivery, Endpoint, WebhookStore

MATCH_CREATED = "match.created"
REPORT_STATE_CHANGED = "report.state_changed"
EVENT_TYPES = (MATCH_CREATED, REPORT_STATE_CHANGED)
LEASE = timedelta(minutes=5)
RESPONSE_READ_LIMIT = 64 * 1024

log = logging.getLogger(__name__)

Sender = Callable[[str, bytes, dict[str, str], float], int]
"""POST ``body`` with ``headers`` to ``url`` within ``timeout`` seconds; the HTTP status."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 30.0
    max_delay_seconds: float = 3600.0
    timeout_seconds: float = 10.0

    def delay(self, attempts: int) -> timedelta:
        """Wait after the ``attempts``-th failed attempt (1-based)."""
        return timedelta(seconds=min(self.max_delay_seconds, self.base_seconds * 2 ** (attempts - 1)))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def http_post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """The default sender: urllib, no redirects, at most 64 KiB of the answer read."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            response.read(RESPONSE_READ_LIMIT)
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)


def check_events(events: Sequence[str]) -> list[str]:
    """The events, checked: every name known; none given means all."""
    chosen = list(dict.fromkeys(events)) or list(EVENT_TYPES)
    unknown = [e for e in chosen if e not in EVENT_TYPES]
    if unknown:
        raise WebhookError(f"unknown event types {unknown}; known: {', '.join(EVENT_TYPES)}")
    return chosen


def create_endpoint(
    webhooks: WebhookStore, organisation_id: int, url: str, events: Sequence[str] = ()
) -> tuple[Endpoint, str]:
    """A new endpoint and its signing secret (shown once: list it never again)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(f"a webhook URL must be http or https with a host, not {url[:100]!r}")
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = webhooks.create_endpoint(organisation_id, url, check_events(events), secret, datetime.now(UTC))
    return endpoint, secret


class WebhookDispatcher:
    """Durable event delivery for one store; safe to use from several threads and processes."""

    def __init__(
        self,
        store: Store,
        check_destination: Callable[[str], None],
        *,
        retry: RetryPolicy | None = None,
        poll_seconds: float = 1.0,
        concurrency: int = 4,
        send: Sender = http_post,
    ) -> None:
        self.webhooks = WebhookStore(store)
        self.check_destination = check_destination
        self.retry = retry or RetryPolicy()
        self.poll_seconds = poll_seconds
        self.concurrency = max(1, concurrency)
        self.send = send
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def emit(self, organisation_id: int, event_type: str, data: dict[str, Any]) -> None:
        """Persist one delivery per endpoint of the organisation subscribed to ``event_type``.

        Returns once they are stored (a database write, no network); raises WebhookError for
        an unknown event type. ``data`` must be JSON-serialisable.
        """
        if event_type not in EVENT_TYPES:
            raise WebhookError(f"unknown event type {event_type!r}")
        now = datetime.now(UTC)
        event_id = uuid.uuid4().hex
        event = {"id": event_id, "type": event_type, "created_at": now.isoformat(), "data": data}
        body = json.dumps(event, separators=(",", ":"), sort_keys=True).encode()
        if self.webhooks.enqueue(organisation_id, event_type, event_id, body, now):
            self._wake.set()

    def deliver_due(self, now: datetime | None = None) -> int:
        """One pass over the deliveries due at ``now``; how many attempts this caller made.

        With ``now`` None each attempt is signed and logged at the clock's time when it is
        made (a long pass never sends stale signatures); tests pass a fixed ``now``.
        """
        by_endpoint: dict[int, list[DueDelivery]] = {}
        for due in self.webhooks.due(now or datetime.now(UTC)):
            by_endpoint.setdefault(due.endpoint_id, []).append(due)
        if len(by_endpoint) <= 1:
            return sum(self._endpoint_pass(queue, now) for queue in by_endpoint.values())
        with ThreadPoolExecutor(min(self.concurrency, len(by_endpoint))) as pool:
            return sum(pool.map(lambda queue: self._endpoint_pass(queue, now), by_endpoint.values()))

    def _endpoint_pass(self, queue: list[DueDelivery], now: datetime | None) -> int:
        """Attempt one endpoint's due deliveries in order until one fails."""
        attempted = 0
        for due in queue:
            moment = now or datetime.now(UTC)
            if not self.webhooks.claim(due.id, moment, moment + LEASE):
                continue
            attempted += 1
            if not self._attempt(due, moment):
                break
        return attempted

    def _attempt(self, due: DueDelivery, now: datetime) -> bool:
        """Send once and log it; True when delivered."""
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"mediamatch-webhooks/{__version__}",
            SIGNATURE_HEADER: sign(due.secret, due.body, int(now.timestamp())),
            EVENT_ID_HEADER: due.event_id,
            EVENT_TYPE_HEADER: due.event_type,
        }
        started = time.perf_counter()
        status: int | None = None
        try:
            self.check_destination(due.url)
            status = self.send(due.url, due.body, headers, self.retry.timeout_seconds)
            error = None if 200 <= status < 300 else f"HTTP {status}"
        except (MediamatchError, OSError, ValueError, http.client.HTTPException) as failure:
            error = f"{type(failure).__name__}: {failure}"[:1000]
        attempt = Attempt(now, status, error, (time.perf_counter() - started) * 1000)
        made = due.attempts + 1
        delivered = error is None
        retry_at = None if delivered or made >= self.retry.max_attempts else now + self.retry.delay(made)
        self.webhooks.record_attempt(due.id, attempt, delivered=delivered, retry_at=retry_at)
        if retry_at is not None:
            self.webhooks.postpone_endpoint(due.endpoint_id, retry_at)
        return delivered

    def _run(self) -> None:
        """Deliver until stopped. A failed pass (the database away, say) is logged once, not on
        every retry, and retried after ``poll_seconds`` doubling up to a minute; the deliveries
        stay stored meanwhile."""
        failing, delay = False, self.poll_seconds
        while not self._stopping.is_set():
            try:
                while self.deliver_due() and not self._stopping.is_set():
                    pass  # a full pass may leave more due: go on until none is
            except Exception as error:  # the thread must outlive any failure; the next pass retries
                if not failing:
                    log.warning("webhook delivery paused: %s", error)
                    if not isinstance(error, StoreUnavailable):
                        log.exception("webhook delivery pass failed")
                failing, delay = True, min(delay * 2, max(self.poll_seconds, 60.0))
            else:
                if failing:
                    log.warning("webhook delivery resumed")
                failing, delay = False, self.poll_seconds
            self._wake.wait(delay)
            self._wake.clear()

    def start(self) -> None:
        """Start the delivery thread (once; later calls do nothing)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="mediamatch-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the thread after its current pass; undelivered events stay stored for the next start."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

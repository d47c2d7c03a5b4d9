"""What one service process holds: store, accounts, registry and the current matcher.

The matcher is built in a background thread at start-up and rebuilt when the store's
revision changes, then swapped in whole. The thread never dies: a failed check or build
(the database away, say) is logged once, retried with a backoff of at most
``index_refresh_seconds``, and meanwhile the last matcher keeps answering. ``readiness``
says whether the index is loaded and current, and how long ago it was last confirmed
current; past ``index_max_age_seconds`` the process is not ready.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from mediamatch.algorithms import AlgorithmRegistry, default_registry
from mediamatch.engine.matching import Matcher
from mediamatch.engine.resilience import Resilience
from mediamatch.engine.testbank import ensure_test_bank
from mediamatch.errors import ReportingNotConfigured, StoreUnavailable
from mediamatch.media import DecodeBudget
from mediamatch.reporting.lifecycle import ReportDesk, report_event
from mediamatch.reporting.ncmec import NcmecClient
from mediamatch.service.audit import AuditWriter
from mediamatch.service.keycache import KeyCache
from mediamatch.service.limits import Limiter
from mediamatch.service.metrics import Metrics
from mediamatch.service.settings import Settings, decode_options
from mediamatch.service.webhooks import webhook_dispatcher
from mediamatch.store import Store
from mediamatch.store.accounts import AccountStore
from mediamatch.store.reports import ReportRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Readiness:
    """``status``: ``ready``; ``loading`` before the first build; ``updating`` while a change
    in the store is not yet built; ``stale`` when the index was last confirmed current more
    than ``index_max_age_seconds`` ago. ``index_age_seconds``: since that confirmation
    (None before the first build); ``database``: ``ok`` or ``unavailable``."""

    status: str
    index_age_seconds: float | None
    revision: int | None
    database: str

    @property
    def ready(self) -> bool:
        return self.status == "ready"


class ServiceState:
    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store or Store(settings.db)
        self.accounts = AccountStore(self.store, settings.key_pepper.encode())
        quota = settings.default_monthly_quota if settings.default_monthly_quota >= 0 else None
        self.limiter = Limiter(self.accounts, settings.default_rate_per_minute, quota)
        self.registry: AlgorithmRegistry = default_registry()
        ensure_test_bank(self.store, self.registry)
        self.matcher: Matcher | None = None
        self.decode_budget = DecodeBudget(settings.decode_budget_bytes, settings.decode_wait_seconds)
        self.metrics = Metrics()
        self.webhooks = webhook_dispatcher(settings, self.store)
        self.audit = AuditWriter(self.accounts, capacity=settings.audit_queue_limit)
        self.keys = KeyCache(self.accounts, settings.key_cache_seconds)
        self.reports = ReportDesk(self.store, self.ncmec_client, on_change=self._report_changed)
        self._built_revision: int | None = None
        self._confirmed_at: float | None = None
        """``time.monotonic()`` when the store's revision was last read equal to the built one."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _report_changed(self, record: ReportRecord) -> None:
        self.webhooks.emit(record.organisation_id, "report.state_changed", report_event(record))

    def ncmec_client(self, environment: str) -> NcmecClient:
        """NCMEC's test environment for test keys, production for live keys (as configured)."""
        settings = self.settings
        if environment == "test":
            url, user, password = (
                settings.ncmec_test_url,
                settings.ncmec_test_username,
                settings.ncmec_test_password,
            )
        else:
            url, user, password = settings.ncmec_url, settings.ncmec_username, settings.ncmec_password
        if not (user and password):
            prefix = "ncmec_test" if environment == "test" else "ncmec"
            raise ReportingNotConfigured(
                f"NCMEC reporting is not configured: set {prefix}_username and _password"
            )
        return NcmecClient(
            url,
            user,
            password,
            timeout=settings.ncmec_timeout_seconds,
            backoff=settings.ncmec_backoff_seconds,
        )

    def readiness(self) -> Readiness:
        """Whether this process answers from a current index; asks the store for its revision
        (one small query) and, while the store is away, judges by the index's age alone."""
        built, confirmed = self._built_revision, self._confirmed_at
        if self.matcher is None or built is None or confirmed is None:
            return Readiness("loading", None, built, "unknown")
        database = "ok"
        try:
            if self.store.revision() != built:
                return Readiness("updating", time.monotonic() - confirmed, built, database)
            self._confirmed_at = confirmed = time.monotonic()
        except StoreUnavailable:
            database = "unavailable"
        age = time.monotonic() - confirmed
        status = "ready" if age <= self.settings.index_max_age_seconds else "stale"
        return Readiness(status, age, built, database)

    def refresh(self) -> None:
        """Rebuild the matcher if the store changed since the last build; raises what the store
        raises (``StoreUnavailable`` while it is away), the current matcher left in place."""
        revision = self.store.revision()
        if revision != self._built_revision:
            stage = Resilience() if self.settings.resilience else Resilience.off()
            decoding = decode_options(self.settings, self.decode_budget)
            matcher = Matcher(self.store, self.registry, resilience=stage, decode_options=decoding)
            self.matcher, self._built_revision = matcher, revision
        self._confirmed_at = time.monotonic()

    def _loop(self) -> None:
        """Refresh now, then every ``index_refresh_seconds``; after a failure retry sooner, the
        wait doubling from a quarter second up to that interval."""
        interval = self.settings.index_refresh_seconds
        first_retry = min(0.25, interval)
        delay, retry, failing = 0.0, first_retry, False
        while not self._stop.wait(delay):
            try:
                self.refresh()
            except Exception as error:  # the index thread must outlive any failure
                if not failing:
                    log.warning("index refresh failed; answering from the last index: %s", error)
                    if not isinstance(error, StoreUnavailable):
                        log.exception("index refresh failed")
                delay, retry, failing = retry, min(retry * 2, interval), True
                continue
            if failing:
                log.warning("index refresh resumed at store revision %s", self._built_revision)
            delay, retry, failing = interval, first_retry, False

    def start(self) -> None:
        """Start the index, audit and webhook threads (once; later calls do nothing)."""
        if self._thread is not None:
            return
        self.audit.start()
        self.webhooks.start()
        self._thread = threading.Thread(target=self._loop, name="mediamatch-index", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.webhooks.stop()
        self.audit.stop()
        self.store.close()

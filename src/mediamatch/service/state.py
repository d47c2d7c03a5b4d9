"""What one service process holds: store, accounts, registry and the current matcher.

The matcher is built in a background thread at start-up. Every ``index_refresh_seconds`` the
thread reads the store's revision and, when it moved, applies the change log to the matcher in
place (``Matcher.apply_changes``): an entry added, deleted, disabled or quarantined is matched or
withheld within that interval, and readiness never drops for it. What a delta cannot carry (a
bank enabled, disabled, deleted or imported as a whole) is applied as far as it can be (a
disabled bank matches no more at once) and a new matcher is built in another thread while the
current one keeps answering and following changes; it is swapped in once it has caught up.
The thread never dies: a failed check or build (the database away, say) is logged once,
retried with a backoff of at most ``index_refresh_seconds``, and meanwhile the last matcher
keeps answering. ``readiness`` says whether the index is loaded and current, and how long ago
it was last confirmed current; past ``index_max_age_seconds`` the process is not ready.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import platformdirs

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
from mediamatch.service.shared_limits import SharedLimiter
from mediamatch.service.webhooks import webhook_dispatcher
from mediamatch.store import Store
from mediamatch.store.accounts import AccountStore
from mediamatch.store.reports import ReportRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Readiness:
    """``status``: ``ready``; ``loading`` before the first build; ``stale`` when the index was
    last confirmed current more than ``index_max_age_seconds`` ago; ``updating`` only when asked
    whether the index holds every committed change (``readiness(current=True)``) and it does not
    yet. ``index_age_seconds``: since that confirmation (None before the first build);
    ``revision``: the store revision the index holds; ``store_revision``: the store's own (None
    while the database is away); ``rebuilding``: a new matcher is being built for a change a delta
    could not carry; ``database``: ``ok`` or ``unavailable``."""

    status: str
    index_age_seconds: float | None
    revision: int | None
    database: str
    store_revision: int | None = None
    rebuilding: bool = False

    @property
    def ready(self) -> bool:
        return self.status == "ready"


class ServiceState:
    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store or Store(settings.db)
        self.accounts = AccountStore(self.store, settings.key_pepper.encode())
        quota = settings.default_monthly_quota if settings.default_monthly_quota >= 0 else None
        self.limiter: Limiter | SharedLimiter = (
            SharedLimiter(settings.redis_url, self.accounts, settings.default_rate_per_minute, quota)
            if settings.redis_url
            else Limiter(self.accounts, settings.default_rate_per_minute, quota)
        )
        self.registry: AlgorithmRegistry = default_registry()
        ensure_test_bank(self.store, self.registry)
        self.matcher: Matcher | None = None
        self.decode_budget = DecodeBudget(settings.decode_budget_bytes, settings.decode_wait_seconds)
        self.metrics = Metrics(self._metrics_dir())
        self.webhooks = webhook_dispatcher(settings, self.store)
        self.audit = AuditWriter(self.accounts, capacity=settings.audit_queue_limit)
        self.keys = KeyCache(self.accounts, settings.key_cache_seconds)
        self.reports = ReportDesk(self.store, self.ncmec_client, on_change=self._report_changed)
        self._confirmed_at: float | None = None
        """``time.monotonic()`` when the matcher last caught up with the store's revision."""
        self._incomplete = False
        """The matcher lacks a change that only a new matcher can hold (one is being built)."""
        self._rebuilder: threading.Thread | None = None
        self._rebuilt: Matcher | None = None
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

    def readiness(self, *, current: bool = False) -> Readiness:
        """Whether this process answers from a current index; asks the store for its revision
        (one small query) and, while the store is away, judges by the index's age alone.
        ``current``: also require that the index holds every change committed before the call
        (scripts that have just changed a bank wait for that; load balancers need not)."""
        matcher, confirmed = self.matcher, self._confirmed_at
        if matcher is None or confirmed is None:
            return Readiness("loading", None, None, "unknown")
        database, store_revision = "ok", None
        rebuilding = self._incomplete
        try:
            store_revision = self.store.revision()
            behind = store_revision != matcher.revision or self._incomplete
            if current and behind:
                age = time.monotonic() - confirmed
                return Readiness("updating", age, matcher.revision, database, store_revision, rebuilding)
            if not behind:
                self._confirmed_at = confirmed = time.monotonic()
        except StoreUnavailable:
            database = "unavailable"
        age = time.monotonic() - confirmed
        status = "ready" if age <= self.settings.index_max_age_seconds else "stale"
        return Readiness(status, age, matcher.revision, database, store_revision, rebuilding)

    def _build(self) -> Matcher:
        stage = Resilience() if self.settings.resilience else Resilience.off()
        decoding = decode_options(self.settings, self.decode_budget)
        return Matcher(
            self.store,
            self.registry,
            resilience=stage,
            decode_options=decoding,
            cache_dir=self._snapshot_dir(),
            mapped=True,
        )

    def _metrics_dir(self) -> Path | None:
        """Where this host's workers of this store publish their counts (beside the snapshots)."""
        snapshots = self._snapshot_dir()
        if snapshots is None:
            return None
        return snapshots / f"metrics-{hashlib.sha256(self.store.url.encode()).hexdigest()[:8]}"

    def _snapshot_dir(self) -> Path | None:
        chosen = self.settings.index_dir
        if chosen == "none":
            return None
        return Path(chosen) if chosen else Path(platformdirs.user_cache_dir("mediamatch")) / "indexes"

    def refresh(self) -> None:
        """Bring the matcher up to the store's revision: the first build, then the change log
        applied in place, a rebuilt matcher adopted once built; raises what the store raises
        (``StoreUnavailable`` while it is away), the current matcher left in place."""
        self._adopt_rebuilt()
        if self.matcher is None:
            self.matcher, self._incomplete = self._build(), False
        else:
            self._catch_up(self.matcher)
            if self._incomplete:
                self._start_rebuild()  # again, if the last attempt failed
        self._confirmed_at = time.monotonic()

    def _catch_up(self, matcher: Matcher) -> None:
        """Apply the changes since the matcher's revision; start a rebuild for what it cannot hold."""
        revision = self.store.revision()
        if revision == matcher.revision:
            return
        found = self.store.changes(matcher.revision, revision)
        complete = found is not None and matcher.apply_changes(found)
        if not complete:
            self._incomplete = True
            self._start_rebuild()

    def _adopt_rebuilt(self) -> None:
        rebuilt, self._rebuilt = self._rebuilt, None
        if rebuilt is None:
            return
        self._incomplete = False
        self._catch_up(rebuilt)  # changes made while it was built; may start another rebuild
        self.matcher = rebuilt
        log.info("index rebuilt at store revision %s", rebuilt.revision)

    def _start_rebuild(self) -> None:
        """Build a new matcher in the background unless one is being built (whatever it misses, its
        catch-up applies or rebuilds again)."""
        if self._rebuilder is not None and self._rebuilder.is_alive():
            return

        def build() -> None:
            try:
                self._rebuilt = self._build()
            except Exception:  # logged; the next change or refresh tries again
                log.exception("index rebuild failed; answering from the current index")

        self._rebuilder = threading.Thread(target=build, name="mediamatch-index-rebuild", daemon=True)
        self._rebuilder.start()

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
            if failing and self.matcher is not None:
                log.warning("index refresh resumed at store revision %s", self.matcher.revision)
            delay, retry, failing = interval, first_retry, False

    def start(self) -> None:
        """Start the index, audit and webhook threads (once; later calls do nothing)."""
        if self._thread is not None:
            return
        self.audit.start()
        self.webhooks.start()
        self.metrics.start()
        self._thread = threading.Thread(target=self._loop, name="mediamatch-index", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._rebuilder is not None:
            self._rebuilder.join(timeout=30)
        self.webhooks.stop()
        self.audit.stop()
        self.metrics.stop()
        self.store.close()

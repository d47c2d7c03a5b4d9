"""What one service process holds: store, accounts, registry and the current matcher.

The matcher is built in a background thread at start-up and rebuilt when the store's
revision changes, then swapped in whole; ``ready`` is false until the first build and
while a detected change has not been built yet.
"""

from __future__ import annotations

import threading

from mediamatch.algorithms import AlgorithmRegistry, default_registry
from mediamatch.engine.matching import Matcher
from mediamatch.engine.resilience import Resilience
from mediamatch.engine.testbank import ensure_test_bank
from mediamatch.errors import ReportingNotConfigured
from mediamatch.reporting.lifecycle import ReportDesk, report_event
from mediamatch.reporting.ncmec import NcmecClient
from mediamatch.service.audit import AuditWriter
from mediamatch.service.keycache import KeyCache
from mediamatch.service.limits import Limiter
from mediamatch.service.metrics import Metrics
from mediamatch.service.settings import Settings
from mediamatch.service.webhooks import webhook_dispatcher
from mediamatch.store import Store
from mediamatch.store.accounts import AccountStore
from mediamatch.store.reports import ReportRecord


class ServiceState:
    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store or Store(settings.database_url)
        self.accounts = AccountStore(self.store, settings.key_pepper.encode())
        quota = settings.default_monthly_quota if settings.default_monthly_quota >= 0 else None
        self.limiter = Limiter(self.accounts, settings.default_rate_per_minute, quota)
        self.registry: AlgorithmRegistry = default_registry()
        ensure_test_bank(self.store, self.registry)
        self.matcher: Matcher | None = None
        self.metrics = Metrics()
        self.webhooks = webhook_dispatcher(settings, self.store)
        self.audit = AuditWriter(self.accounts)
        self.keys = KeyCache(self.accounts, settings.key_cache_seconds)
        self.reports = ReportDesk(self.store, self.ncmec_client, on_change=self._report_changed)
        self._built_revision: int | None = None
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

    @property
    def ready(self) -> bool:
        return self.matcher is not None and self._built_revision == self.store.revision()

    def refresh(self) -> None:
        """Rebuild the matcher if the store changed since the last build."""
        revision = self.store.revision()
        if revision != self._built_revision:
            stage = Resilience() if self.settings.resilience else Resilience.off()
            matcher = Matcher(self.store, self.registry, resilience=stage)
            self.matcher, self._built_revision = matcher, revision

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.refresh()
            self._stop.wait(self.settings.index_refresh_seconds)

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

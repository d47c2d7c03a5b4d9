"""A short-lived, per-process cache of verified API keys.

Verification costs two database queries; at thousands of requests per second that is most
of a hash match's work. A verified key is reused for ``ttl`` seconds, so a revocation
takes effect within that time in every worker. Failures are never cached.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

from mediamatch.store.accounts import AccountStore, ApiKey


class KeyCache:
    def __init__(
        self,
        accounts: AccountStore,
        ttl: float = 2.0,
        capacity: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``clock``: seconds from any fixed origin (tests pass their own)."""
        self.accounts = accounts
        self.clock = clock
        self.ttl = ttl
        self.capacity = capacity
        self._entries: dict[bytes, tuple[ApiKey, float]] = {}
        self._lock = threading.Lock()

    def verify(self, token: str) -> ApiKey:
        """The key behind ``token``, from the cache while fresh, else from the store."""
        slot = hashlib.sha256(token.encode()).digest()
        now = self.clock()
        with self._lock:
            cached = self._entries.get(slot)
            if cached is not None and cached[1] > now:
                return cached[0]
        key = self.accounts.verify(token)
        with self._lock:
            if len(self._entries) >= self.capacity:
                self._entries.clear()
            self._entries[slot] = (key, now + self.ttl)
        return key

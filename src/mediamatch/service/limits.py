"""Per-key rate limits (token bucket) and monthly item quotas, enforced per process.

A key's bucket holds ``rate_per_minute`` tokens and refills continuously; a request takes
one. The quota counts items (images or hash sets) per calendar month in UTC: the count
starts from the audit log when a key is first seen in a month and is then kept in memory.
With several workers each keeps its own buckets, so the effective rate is up to the
worker count times the limit; quotas stay close because every worker starts from the log.
Set ``redis_url`` to share both across workers and replicas (``shared_limits.SharedLimiter``).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from mediamatch.errors import RateLimited
from mediamatch.store.accounts import AccountStore, ApiKey


@dataclass
class _Bucket:
    tokens: float
    updated: float


def month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(now: datetime) -> datetime:
    start = month_start(now)
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


def rate_refusal(rate: int, tokens: float) -> RateLimited:
    """The answer to a request past the key's rate, with the seconds until a token is back."""
    wait = math.ceil((1.0 - tokens) * 60.0 / rate)
    return RateLimited(f"rate limit of {rate} requests per minute reached", max(wait, 1))


def quota_refusal(quota: int, used: int, items: int, now: datetime) -> RateLimited:
    """The answer to ``items`` that the monthly quota cannot take, waiting until next month."""
    wait = math.ceil((next_month(now) - now).total_seconds())
    left = max(0, quota - used)
    if left == 0:
        return RateLimited(f"monthly quota of {quota} items is used up", wait)
    return RateLimited(
        f"{items} items would exceed the monthly quota of {quota}: {left} left this month", wait
    )


class Limiter:
    def __init__(self, accounts: AccountStore, default_rate: int, default_quota: int | None) -> None:
        self.accounts = accounts
        self.default_rate = default_rate
        self.default_quota = default_quota
        self._buckets: dict[str, _Bucket] = {}
        self._used: dict[tuple[str, datetime], int] = {}
        self._lock = threading.Lock()

    def rate_of(self, key: ApiKey) -> int:
        """Requests per minute the key may make: its own limit, else the service's."""
        return key.rate_per_minute or self.default_rate

    def quota_of(self, key: ApiKey) -> int | None:
        """Items per month the key may send (its own quota, else the service's); None: no quota."""
        return key.monthly_quota if key.monthly_quota is not None else self.default_quota

    def take_request(self, key: ApiKey) -> None:
        """Spend one request from the key's bucket, or raise RateLimited with the wait in seconds."""
        rate = self.rate_of(key)
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.setdefault(key.key_id, _Bucket(float(rate), now))
            bucket.tokens = min(float(rate), bucket.tokens + (now - bucket.updated) * rate / 60.0)
            bucket.updated = now
            if bucket.tokens < 1.0:
                raise rate_refusal(rate, bucket.tokens)
            bucket.tokens -= 1.0

    def take_items(self, key: ApiKey, items: int) -> None:
        """Count ``items`` against the key's monthly quota, or raise RateLimited until next month."""
        quota = self.quota_of(key)
        if quota is None:
            return
        now = datetime.now(UTC)
        month = month_start(now)
        with self._lock:
            slot = (key.key_id, month)
            if slot not in self._used:
                self._used[slot] = self.accounts.items_since(key.key_id, month)
            if self._used[slot] + items > quota:
                raise quota_refusal(quota, self._used[slot], items, now)
            self._used[slot] += items

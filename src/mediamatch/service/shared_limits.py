"""Rate limits and monthly quotas shared by every worker and replica through Redis.

The same rules as ``limits.Limiter`` (a token bucket of ``rate_per_minute`` per key; items per
calendar month in UTC, the count starting from the audit log), kept in Redis and changed by Lua
scripts, each atomic on the server and timed by the server's clock, so that any number of
processes on any number of hosts admit at most the limit together. Should Redis stop answering,
each process falls back to its own in-process limiter (logged once) rather than refuse service,
and returns to Redis when it answers again.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from typing import Any

from mediamatch.service.limits import Limiter, month_start, next_month, quota_refusal, rate_refusal
from mediamatch.store.accounts import AccountStore, ApiKey

log = logging.getLogger(__name__)

PREFIX = "mediamatch:limits:"

TAKE_TOKEN = """
local rate = tonumber(ARGV[1])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local held = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens, updated = tonumber(held[1]), tonumber(held[2])
if tokens == nil then tokens, updated = rate, now end
tokens = math.min(rate, tokens + math.max(0, now - updated) * rate / 60)
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('EXPIRE', KEYS[1], 120)
return {taken, tostring(tokens)}
"""
"""KEYS: the key's bucket; ARGV: rate per minute. Returns {1 if taken, tokens left}."""

COUNT_ITEMS = """
local used = redis.call('GET', KEYS[1])
if not used then
  redis.call('SET', KEYS[1], ARGV[3], 'NX', 'EX', ARGV[4])
  used = redis.call('GET', KEYS[1])
end
used = tonumber(used)
if used + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return {0, used} end
redis.call('INCRBY', KEYS[1], ARGV[1])
return {1, used}
"""
"""KEYS: the key's counter for the month; ARGV: items, quota, the count so far from the audit log
(used only when the counter is new), seconds to keep it. Returns {1 if counted, used before}."""


class SharedLimiter:
    """``Limiter``'s interface over Redis at ``url`` (for example ``redis://127.0.0.1:6379/0``)."""

    def __init__(
        self, url: str, accounts: AccountStore, default_rate: int, default_quota: int | None
    ) -> None:
        import redis  # the redis extra; loaded only when a Redis URL is set

        self.accounts = accounts
        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        self._client: Any = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._take: Any = self._client.register_script(TAKE_TOKEN)
        self._count: Any = self._client.register_script(COUNT_ITEMS)
        self._local = Limiter(accounts, default_rate, default_quota)
        self._failing = False

    def _fell_back(self, error: Exception) -> None:
        if not self._failing:
            log.warning("Redis does not answer: limits are kept per process until it does: %s", error)
        self._failing = True

    def _recovered(self) -> None:
        if self._failing:
            log.warning("Redis answers again: limits are shared again")
        self._failing = False

    def take_request(self, key: ApiKey) -> None:
        """Spend one request from the key's shared bucket, or raise RateLimited with the wait."""
        rate = self._local.rate_of(key)
        try:
            taken, tokens = self._take(keys=[f"{PREFIX}rate:{key.key_id}"], args=[rate])
        except self._errors as error:
            self._fell_back(error)
            self._local.take_request(key)
            return
        self._recovered()
        if not int(taken):
            raise rate_refusal(rate, float(tokens))

    def take_items(self, key: ApiKey, items: int) -> None:
        """Count ``items`` against the key's monthly quota across processes, or raise RateLimited."""
        quota = self._local.quota_of(key)
        if quota is None:
            return
        now = datetime.now(UTC)
        month = month_start(now)
        counter = f"{PREFIX}items:{key.key_id}:{month:%Y-%m}"
        keep = math.ceil((next_month(now) - now).total_seconds()) + 86_400
        try:
            known = self._client.exists(counter)
            so_far = 0 if known else self.accounts.items_since(key.key_id, month)
            counted, used = self._count(keys=[counter], args=[items, quota, so_far, keep])
        except self._errors as error:
            self._fell_back(error)
            self._local.take_items(key, items)
            return
        self._recovered()
        if not int(counted):
            raise quota_refusal(quota, int(used), items, now)

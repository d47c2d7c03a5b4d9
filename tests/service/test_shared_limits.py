"""Rate limits and quotas shared through a real Redis: several limiters (as several workers or
replicas) together admit at most the limit. Needs ``MEDIAMATCH_TEST_REDIS_URL`` (``make test``
sets it when a server answers on 127.0.0.1:6379); skipped with that reason otherwise."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from mediamatch.errors import RateLimited
from mediamatch.service.shared_limits import SharedLimiter
from mediamatch.store import Store
from mediamatch.store.accounts import AccountStore, ApiKey, Environment

REDIS_URL = os.environ.get("MEDIAMATCH_TEST_REDIS_URL", "")
pytestmark = pytest.mark.skipif(
    not REDIS_URL, reason="MEDIAMATCH_TEST_REDIS_URL is not set: Redis tests skipped"
)


def _key(tmp_path: Path, **limits: int) -> tuple[AccountStore, ApiKey]:
    accounts = AccountStore(Store(f"sqlite:///{tmp_path / 'limits.sqlite3'}"), b"pepper")
    accounts.create_organisation(f"org{secrets.token_hex(3)}")
    organisation = accounts.organisations()[0].name
    key, _ = accounts.create_key(organisation, "k", ["match"], Environment.LIVE, **limits)
    return accounts, key


def _admitted(take: object) -> bool:
    try:
        take()  # type: ignore[operator]
    except RateLimited:
        return False
    return True


def test_four_limiters_admit_the_rate_once_between_them(tmp_path: Path) -> None:
    accounts, key = _key(tmp_path, rate_per_minute=40)
    limiters = [SharedLimiter(REDIS_URL, accounts, 600, None) for _ in range(4)]
    admitted = sum(_admitted(lambda n=n: limiters[n % 4].take_request(key)) for n in range(200))
    assert 40 <= admitted <= 41  # the bucket refills by well under one token during the run
    with pytest.raises(RateLimited) as refused:
        limiters[0].take_request(key)
    assert refused.value.retry_after >= 1


def test_a_monthly_quota_is_counted_once_across_limiters(tmp_path: Path) -> None:
    accounts, key = _key(tmp_path, monthly_quota=7)
    first, second = (
        SharedLimiter(REDIS_URL, accounts, 600, None),
        SharedLimiter(REDIS_URL, accounts, 600, None),
    )
    first.take_items(key, 3)
    second.take_items(key, 3)
    with pytest.raises(RateLimited, match="would exceed the monthly quota of 7: 1 left"):
        first.take_items(key, 2)
    second.take_items(key, 1)
    with pytest.raises(RateLimited, match="used up"):
        first.take_items(key, 1)


def test_without_redis_each_process_keeps_its_own_limits(tmp_path: Path) -> None:
    accounts, key = _key(tmp_path, rate_per_minute=3)
    unreachable = SharedLimiter("redis://127.0.0.1:9/0", accounts, 600, None)  # nothing listens on 9
    assert [_admitted(lambda: unreachable.take_request(key)) for _ in range(4)] == [True, True, True, False]


def test_two_workers_of_a_real_server_admit_the_rate_once(tmp_path: Path) -> None:
    import json
    import urllib.error
    import urllib.request

    from mediamatch.service.settings import DEVELOPMENT_PEPPER
    from tests.service.live_server import Client, serving, wait

    url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    accounts = AccountStore(Store(url), DEVELOPMENT_PEPPER.encode())
    accounts.create_organisation("acme")
    _, token = accounts.create_key("acme", "k", ["match"], Environment.LIVE, rate_per_minute=30)
    accounts.store.close()
    with serving(url, tmp_path / "serve.log", 2, redis_url=REDIS_URL) as (port, _):
        wait(Client(port, token).every_worker_ready, 60, "a worker never became ready")
        body = json.dumps({"hashes": {"md5": "0" * 31 + "1"}}).encode()
        statuses = []
        for _ in range(90):  # a fresh connection each: both workers answer
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/v1/match",
                data=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    statuses.append(answer.status)
            except urllib.error.HTTPError as refused:
                statuses.append(refused.code)
    assert set(statuses) == {200, 429}
    assert 30 <= statuses.count(200) <= 31

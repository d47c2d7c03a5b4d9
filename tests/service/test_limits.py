"""Per-key rate limits answer 429 with Retry-After; monthly quotas count items."""

from __future__ import annotations

from datetime import UTC, datetime

from mediamatch.samples import synthetic_photo
from mediamatch.service.limits import month_start, next_month
from tests.service.conftest import PDQ, Service


def hashes_item() -> dict[str, dict[str, str]]:
    return {"hashes": {"pdq": PDQ.format(PDQ.hash_pixels(synthetic_photo(1)).value)}}


def test_rate_limit_answers_429_with_retry_after(service: Service) -> None:
    headers = service.headers("slow")
    codes = [
        service.client.post("/v1/match", json=hashes_item(), headers=headers).status_code for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    limited = service.client.post("/v1/match", json=hashes_item(), headers=headers)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 30
    assert limited.json()["error"]["kind"] == "RateLimited"
    assert (
        service.client.post("/v1/match", json=hashes_item(), headers=service.headers("matcher")).status_code
        == 200
    )


def test_monthly_quota_counts_items(service: Service) -> None:
    headers = service.headers("quota")
    two = {"items": [hashes_item(), hashes_item()]}
    assert service.client.post("/v1/match", json=two, headers=headers).status_code == 200
    refused = service.client.post("/v1/match", json=two, headers=headers)
    assert refused.status_code == 429
    # the request would exceed the quota, which is not yet used up
    assert (
        refused.json()["error"]["message"] == "2 items would exceed the monthly quota of 3: 1 left this month"
    )
    assert service.client.post("/v1/match", json=hashes_item(), headers=headers).status_code == 200
    spent = service.client.post("/v1/match", json=hashes_item(), headers=headers)
    assert spent.status_code == 429
    assert spent.json()["error"]["message"] == "monthly quota of 3 items is used up"


def test_month_boundaries_are_utc_calendar_months() -> None:
    moment = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    assert month_start(moment) == datetime(2026, 12, 1, tzinfo=UTC)
    assert next_month(moment) == datetime(2027, 1, 1, tzinfo=UTC)

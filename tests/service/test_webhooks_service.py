"""Through the app: a match emits a signed ``match.created`` to the organisation's endpoint only,
without distances, and the service's delivery thread retries until the receiver accepts."""

from __future__ import annotations

import json
import time

from mediamatch.reporting.signing import SIGNATURE_HEADER, verify_signature
from mediamatch.reporting.webhooks import create_endpoint
from mediamatch.samples import encode, synthetic_photo
from mediamatch.store.accounts import AccountStore
from mediamatch.store.webhooks import WebhookStore
from tests.reporting.receiver import Receiver, running_receiver
from tests.service.conftest import Service

HIT = encode(synthetic_photo(1), "PNG")
MISS = encode(synthetic_photo(2), "PNG")


def _wait_for(receiver: Receiver, count: int) -> None:
    deadline = time.monotonic() + 20
    while len(receiver.received) < count:
        assert time.monotonic() < deadline, f"{len(receiver.received)} of {count} deliveries arrived"
        time.sleep(0.02)


def test_a_match_is_delivered_signed_to_its_organisation_after_a_failed_attempt(service: Service) -> None:
    accounts = AccountStore(service.store, b"unused")
    hooks = WebhookStore(service.store)
    with running_receiver() as ours, running_receiver() as theirs:
        _, secret = create_endpoint(hooks, accounts.organisation("acme").id, ours.url, ["match.created"])
        create_endpoint(hooks, accounts.organisation("rival").id, theirs.url)
        ours.statuses.append(500)
        headers = {**service.headers("distances"), "Content-Type": "image/png"}
        assert (
            service.client.post("/v1/match", content=MISS, headers=headers).json()["results"][0]["matches"]
            == []
        )
        answer = service.client.post("/v1/match", content=HIT, headers=headers).json()
        _wait_for(ours, 2)
        first, second = ours.received
        assert first.body == second.body
        verify_signature(secret, second.headers[SIGNATURE_HEADER], second.body)
        event = json.loads(second.body)
        assert event["type"] == "match.created"
        assert event["data"]["tracking_id"] == answer["tracking_id"]
        shown = answer["results"][0]["matches"]
        assert "distance" in shown[0]
        assert event["data"]["items"] == [
            {"index": 0, "matches": [{k: v for k, v in m.items() if k != "distance"} for m in shown]}
        ]
        deadline = time.monotonic() + 10
        while hooks.deliveries()[0].status != "delivered":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert [a.status_code for a in hooks.attempts(hooks.deliveries()[0].id)] == [500, 200]
        assert theirs.received == []

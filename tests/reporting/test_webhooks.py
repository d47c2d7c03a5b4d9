"""Webhook delivery: durable, signed, retried with backoff up to a cap, redeliverable, SSRF-checked."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from mediamatch.errors import WebhookError
from mediamatch.reporting.signing import EVENT_ID_HEADER, SIGNATURE_HEADER, verify_signature
from mediamatch.reporting.webhooks import RetryPolicy, WebhookDispatcher, create_endpoint
from mediamatch.service.fetch import FetchPolicy, check_destination
from mediamatch.store import Store
from mediamatch.store.accounts import AccountStore
from mediamatch.store.webhooks import WebhookStore
from tests.reporting.receiver import Receiver, running_receiver

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LOOPBACK = partial(check_destination, policy=FetchPolicy(1024, allowed_hosts=("127.0.0.1/32",)))


def _orgs(store: Store) -> tuple[int, int]:
    accounts = AccountStore(store, b"pepper")
    return accounts.create_organisation("acme").id, accounts.create_organisation("rival").id


def _dispatcher(store: Store, attempts: int = 5, check: object = LOOPBACK) -> WebhookDispatcher:
    retry = RetryPolicy(max_attempts=attempts, base_seconds=10, max_delay_seconds=25, timeout_seconds=5)
    return WebhookDispatcher(store, check, retry=retry)  # type: ignore[arg-type]


def test_events_are_stored_per_subscribed_endpoint_and_sent_only_by_a_delivery_pass(
    store: Store, receiver: Receiver
) -> None:
    acme, rival = _orgs(store)
    hooks = WebhookStore(store)
    _, secret = create_endpoint(hooks, acme, receiver.url, ["match.created"])
    create_endpoint(hooks, acme, receiver.url + "/reports", ["report.state_changed"])
    disabled, _ = create_endpoint(hooks, acme, receiver.url + "/off")
    hooks.set_enabled(disabled.id, False)
    create_endpoint(hooks, rival, receiver.url + "/rival")
    dispatcher = _dispatcher(store)
    dispatcher.emit(acme, "match.created", {"tracking_id": "abc", "items": []})
    assert receiver.received == []
    [pending] = hooks.deliveries()
    assert (pending.status, pending.attempts, pending.url) == ("pending", 0, receiver.url)
    assert dispatcher.deliver_due(T0 + timedelta(days=365)) == 1
    [got] = receiver.received
    assert verify_signature(
        secret, got.headers[SIGNATURE_HEADER], got.body, now=(T0 + timedelta(days=365)).timestamp()
    )
    event = json.loads(got.body)
    assert (event["type"], event["data"], event["id"]) == (
        "match.created",
        {"tracking_id": "abc", "items": []},
        got.headers[EVENT_ID_HEADER],
    )
    assert hooks.deliveries()[0].status == "delivered"


def test_failures_are_retried_with_exponential_backoff_until_delivered(
    store: Store, receiver: Receiver
) -> None:
    acme, _ = _orgs(store)
    hooks = WebhookStore(store)
    _, secret = create_endpoint(hooks, acme, receiver.url)
    dispatcher = _dispatcher(store)
    dispatcher.emit(acme, "report.state_changed", {"report": 7, "state": "open"})
    receiver.statuses[:] = [500, 503]
    start = hooks.deliveries()[0].next_attempt_at
    assert dispatcher.deliver_due(start) == 1
    assert hooks.deliveries()[0].next_attempt_at == start + timedelta(seconds=10)
    assert dispatcher.deliver_due(start + timedelta(seconds=9)) == 0
    assert dispatcher.deliver_due(start + timedelta(seconds=10)) == 1
    assert hooks.deliveries()[0].next_attempt_at == start + timedelta(seconds=30)
    assert dispatcher.deliver_due(start + timedelta(seconds=30)) == 1
    [delivery] = hooks.deliveries()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    log = hooks.attempts(delivery.id)
    assert [(a.status_code, a.error) for a in log] == [(500, "HTTP 500"), (503, "HTTP 503"), (200, None)]
    assert len({r.body for r in receiver.received}) == 1
    assert len({r.headers[EVENT_ID_HEADER] for r in receiver.received}) == 1
    for got, offset in zip(receiver.received, (0, 10, 30), strict=True):
        verify_signature(
            secret,
            got.headers[SIGNATURE_HEADER],
            got.body,
            now=(start + timedelta(seconds=offset)).timestamp(),
        )


def test_after_the_last_attempt_a_delivery_fails_until_redelivered(store: Store, receiver: Receiver) -> None:
    acme, _ = _orgs(store)
    hooks = WebhookStore(store)
    create_endpoint(hooks, acme, receiver.url)
    dispatcher = _dispatcher(store, attempts=3)
    dispatcher.emit(acme, "match.created", {"n": 1})
    receiver.statuses[:] = [500, 500, 500]
    moment = hooks.deliveries()[0].next_attempt_at
    for _ in range(3):
        assert dispatcher.deliver_due(moment) == 1
        moment += timedelta(seconds=25)  # the capped delay
    assert dispatcher.deliver_due(moment + timedelta(days=1)) == 0
    [failed] = hooks.deliveries(status="failed")
    assert failed.attempts == 3
    again = hooks.redeliver(failed.id, moment)
    assert (again.status, again.attempts) == ("pending", 0)
    assert dispatcher.deliver_due(moment) == 1
    assert hooks.deliveries(status="delivered")[0].id == failed.id
    assert [a.status_code for a in hooks.attempts(failed.id)] == [500, 500, 500, 200]
    assert len({r.headers[EVENT_ID_HEADER] for r in receiver.received}) == 1


def test_private_destinations_are_refused_and_logged_without_a_request(
    store: Store, receiver: Receiver
) -> None:
    acme, _ = _orgs(store)
    hooks = WebhookStore(store)
    create_endpoint(hooks, acme, receiver.url)
    dispatcher = _dispatcher(store, check=partial(check_destination, policy=FetchPolicy(1024)))
    dispatcher.emit(acme, "match.created", {})
    assert dispatcher.deliver_due(T0 + timedelta(days=365)) == 1
    [attempt] = hooks.attempts(hooks.deliveries()[0].id)
    assert attempt.status_code is None
    assert "FetchFailed" in (attempt.error or "")
    assert receiver.received == []


def test_connection_errors_are_logged_and_retried(store: Store) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    acme, _ = _orgs(store)
    hooks = WebhookStore(store)
    create_endpoint(hooks, acme, f"http://127.0.0.1:{port}/closed")
    dispatcher = _dispatcher(store)
    dispatcher.emit(acme, "match.created", {})
    moment = hooks.deliveries()[0].next_attempt_at
    assert dispatcher.deliver_due(moment) == 1
    [delivery] = hooks.deliveries()
    assert (delivery.status, delivery.next_attempt_at) == ("pending", moment + timedelta(seconds=10))
    assert "URLError" in (hooks.attempts(delivery.id)[0].error or "")


def test_a_due_delivery_is_attempted_by_one_dispatcher_only(store: Store, receiver: Receiver) -> None:
    acme, _ = _orgs(store)
    create_endpoint(WebhookStore(store), acme, receiver.url)
    first, second = _dispatcher(store), _dispatcher(store)
    first.emit(acme, "match.created", {})
    moment = T0 + timedelta(days=365)
    assert first.deliver_due(moment) + second.deliver_due(moment) == 1
    assert len(receiver.received) == 1


def test_bad_endpoints_and_events_are_refused(store: Store) -> None:
    acme, _ = _orgs(store)
    hooks = WebhookStore(store)
    with pytest.raises(WebhookError, match="http or https"):
        create_endpoint(hooks, acme, "ftp://example.org/hook")
    with pytest.raises(WebhookError, match="unknown event"):
        create_endpoint(hooks, acme, "https://example.org/hook", ["match.deleted"])
    with pytest.raises(WebhookError, match="unknown event"):
        _dispatcher(store).emit(acme, "match.deleted", {})
    with pytest.raises(WebhookError, match="no webhook endpoint"):
        hooks.delete_endpoint(99)
    with pytest.raises(WebhookError, match="no webhook delivery"):
        hooks.redeliver(99, T0)
    assert hooks.endpoints() == []


def test_deleting_an_endpoint_removes_its_deliveries_and_log(store: Store, receiver: Receiver) -> None:
    acme, _ = _orgs(store)
    hooks = WebhookStore(store)
    endpoint, _ = create_endpoint(hooks, acme, receiver.url)
    dispatcher = _dispatcher(store)
    dispatcher.emit(acme, "match.created", {})
    dispatcher.deliver_due(T0 + timedelta(days=365))
    hooks.delete_endpoint(endpoint.id)
    assert hooks.deliveries() == []
    assert hooks.endpoints() == []


def test_the_background_thread_delivers_soon_after_emit(store: Store, receiver: Receiver) -> None:
    acme, _ = _orgs(store)
    create_endpoint(WebhookStore(store), acme, receiver.url)
    dispatcher = WebhookDispatcher(store, LOOPBACK, poll_seconds=30)
    dispatcher.start()
    try:
        dispatcher.emit(acme, "match.created", {"n": 1})
        assert receiver.arrived.wait(10), "emit did not wake the delivery thread"
    finally:
        dispatcher.stop()


def test_a_failing_endpoint_holds_only_its_own_queue_until_its_retry(
    store: Store, receiver: Receiver
) -> None:
    acme, _ = _orgs(store)
    hooks = WebhookStore(store)
    with running_receiver() as healthy:
        create_endpoint(hooks, acme, receiver.url, ["match.created"])
        create_endpoint(hooks, acme, healthy.url, ["match.created"])
        dispatcher = _dispatcher(store)
        for n in range(3):
            dispatcher.emit(acme, "match.created", {"n": n})
        receiver.statuses.append(500)
        moment = max(d.next_attempt_at for d in hooks.deliveries())
        assert dispatcher.deliver_due(moment) == 4  # one failure here, three deliveries there
        assert [json.loads(r.body)["data"]["n"] for r in healthy.received] == [0, 1, 2]
        held = [d for d in hooks.deliveries() if d.url == receiver.url]
        assert {(d.status, d.next_attempt_at) for d in held} == {("pending", moment + timedelta(seconds=10))}
        assert sorted(d.attempts for d in held) == [0, 0, 1]
        assert dispatcher.deliver_due(moment + timedelta(seconds=9)) == 0
        assert dispatcher.deliver_due(moment + timedelta(seconds=10)) == 3
        assert [json.loads(r.body)["data"]["n"] for r in receiver.received] == [0, 0, 1, 2]
        assert {d.status for d in hooks.deliveries()} == {"delivered"}

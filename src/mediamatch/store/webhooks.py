"""Webhook endpoints, their durable deliveries and the log of every delivery attempt.

A delivery row is written before anything is sent, so an event survives a restart. Rows
move ``pending`` → ``delivered``, or ``pending`` → ``failed`` when attempts run out;
``redeliver`` puts any delivery back to ``pending``. Several processes may deliver from
the same database: ``claim`` hands a due delivery to exactly one of them for a lease.
These writes do not go through ``Store.transaction`` (they must not bump the revision).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from mediamatch.errors import WebhookError
from mediamatch.store.models import WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow
from mediamatch.store.records import as_utc, as_utc_or_none
from mediamatch.store.store import Store

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
STATUSES = (PENDING, DELIVERED, FAILED)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """An endpoint as listed; its signing secret is never part of it."""

    id: int
    organisation_id: int
    url: str
    events: tuple[str, ...]
    enabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    endpoint_id: int
    url: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """What a sender needs for one attempt: the exact body and the endpoint's secret."""

    id: int
    endpoint_id: int
    url: str
    secret: str
    event_id: str
    event_type: str
    body: bytes
    attempts: int


@dataclass(frozen=True, slots=True)
class Attempt:
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(
        row.id, row.organisation_id, row.url, tuple(row.events), row.enabled, as_utc(row.created_at)
    )


class WebhookStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- endpoints -----------------------------------------------------------------------

    def create_endpoint(
        self, organisation_id: int, url: str, events: Sequence[str], secret: str, now: datetime
    ) -> Endpoint:
        values = {
            "organisation_id": organisation_id,
            "url": url,
            "events": sorted(set(events)),
            "secret": secret,
            "enabled": True,
            "created_at": now,
        }
        with self.store.engine.begin() as connection:
            new_id = connection.execute(insert(WebhookEndpointRow).values(**values)).inserted_primary_key
        assert new_id is not None
        return self.endpoint(int(new_id[0]))

    def endpoint(self, endpoint_id: int) -> Endpoint:
        with self.store.engine.connect() as connection:
            row = connection.execute(
                select(WebhookEndpointRow.__table__).where(WebhookEndpointRow.id == endpoint_id)
            ).first()
            if row is None:
                raise WebhookError(f"no webhook endpoint {endpoint_id}")
            return _endpoint(row)

    def endpoints(self, organisation_id: int | None = None) -> list[Endpoint]:
        query = select(WebhookEndpointRow.__table__).order_by(WebhookEndpointRow.id)
        if organisation_id is not None:
            query = query.where(WebhookEndpointRow.organisation_id == organisation_id)
        with self.store.engine.connect() as connection:
            return [_endpoint(row) for row in connection.execute(query)]

    def set_enabled(self, endpoint_id: int, enabled: bool) -> Endpoint:
        self.endpoint(endpoint_id)
        with self.store.engine.begin() as connection:
            connection.execute(
                update(WebhookEndpointRow).where(WebhookEndpointRow.id == endpoint_id).values(enabled=enabled)
            )
        return self.endpoint(endpoint_id)

    def delete_endpoint(self, endpoint_id: int) -> None:
        """Remove the endpoint with its deliveries and their log."""
        self.endpoint(endpoint_id)
        with self.store.engine.begin() as connection:
            deliveries = select(WebhookDeliveryRow.id).where(WebhookDeliveryRow.endpoint_id == endpoint_id)
            connection.execute(delete(WebhookAttemptRow).where(WebhookAttemptRow.delivery_id.in_(deliveries)))
            connection.execute(
                delete(WebhookDeliveryRow).where(WebhookDeliveryRow.endpoint_id == endpoint_id)
            )
            connection.execute(delete(WebhookEndpointRow).where(WebhookEndpointRow.id == endpoint_id))

    # -- deliveries ----------------------------------------------------------------------

    def enqueue(
        self, organisation_id: int, event_type: str, event_id: str, body: bytes, now: datetime
    ) -> list[int]:
        """One pending delivery per enabled endpoint of the organisation subscribed to the event."""
        wanted = select(WebhookEndpointRow.id, WebhookEndpointRow.events).where(
            WebhookEndpointRow.organisation_id == organisation_id, WebhookEndpointRow.enabled.is_(True)
        )
        created = []
        with self.store.engine.begin() as connection:
            for endpoint_id, events in connection.execute(wanted).all():
                if event_type not in events:
                    continue
                values = {
                    "endpoint_id": endpoint_id,
                    "event_id": event_id,
                    "event_type": event_type,
                    "body": body.decode(),
                    "status": PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                key = connection.execute(insert(WebhookDeliveryRow).values(**values)).inserted_primary_key
                assert key is not None
                created.append(int(key[0]))
        return created

    def due(self, now: datetime, limit: int = 500) -> list[DueDelivery]:
        """Pending deliveries due at ``now``, oldest due first."""
        query = (
            select(WebhookDeliveryRow.__table__, WebhookEndpointRow.url, WebhookEndpointRow.secret)
            .join(WebhookEndpointRow, WebhookEndpointRow.id == WebhookDeliveryRow.endpoint_id)
            .where(WebhookDeliveryRow.status == PENDING, WebhookDeliveryRow.next_attempt_at <= now)
            .order_by(WebhookDeliveryRow.next_attempt_at, WebhookDeliveryRow.id)
            .limit(limit)
        )
        with self.store.engine.connect() as connection:
            return [
                DueDelivery(
                    row.id,
                    row.endpoint_id,
                    row.url,
                    row.secret,
                    row.event_id,
                    row.event_type,
                    row.body.encode(),
                    row.attempts,
                )
                for row in connection.execute(query)
            ]

    def claim(self, delivery_id: int, now: datetime, lease_until: datetime) -> bool:
        """True for exactly one caller while the delivery is due; it stays claimed until ``lease_until``."""
        statement = (
            update(WebhookDeliveryRow)
            .where(
                WebhookDeliveryRow.id == delivery_id,
                WebhookDeliveryRow.status == PENDING,
                WebhookDeliveryRow.next_attempt_at <= now,
            )
            .values(next_attempt_at=lease_until)
        )
        with self.store.engine.begin() as connection:
            return connection.execute(statement).rowcount == 1

    def postpone_endpoint(self, endpoint_id: int, until: datetime) -> None:
        """Hold the endpoint's pending deliveries due before ``until`` until then (no attempt counted)."""
        statement = (
            update(WebhookDeliveryRow)
            .where(
                WebhookDeliveryRow.endpoint_id == endpoint_id,
                WebhookDeliveryRow.status == PENDING,
                WebhookDeliveryRow.next_attempt_at < until,
            )
            .values(next_attempt_at=until)
        )
        with self.store.engine.begin() as connection:
            connection.execute(statement)

    def record_attempt(
        self, delivery_id: int, attempt: Attempt, *, delivered: bool, retry_at: datetime | None
    ) -> None:
        """Log the attempt; then the delivery is delivered, retried at ``retry_at``, or failed (None)."""
        if delivered:
            changes: dict[str, object] = {"status": DELIVERED, "delivered_at": attempt.at}
        elif retry_at is None:
            changes = {"status": FAILED}
        else:
            changes = {"status": PENDING, "next_attempt_at": retry_at}
        with self.store.engine.begin() as connection:
            connection.execute(
                insert(WebhookAttemptRow).values(
                    delivery_id=delivery_id,
                    at=attempt.at,
                    status_code=attempt.status_code,
                    error=attempt.error,
                    duration_ms=attempt.duration_ms,
                )
            )
            connection.execute(
                update(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.id == delivery_id)
                .values(attempts=WebhookDeliveryRow.attempts + 1, **changes)
            )

    def deliveries(
        self,
        *,
        status: str | None = None,
        organisation_id: int | None = None,
        delivery_id: int | None = None,
        limit: int = 100,
    ) -> list[Delivery]:
        """Newest first."""
        if status is not None and status not in STATUSES:
            raise WebhookError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
        query = (
            select(WebhookDeliveryRow.__table__, WebhookEndpointRow.url)
            .join(WebhookEndpointRow, WebhookEndpointRow.id == WebhookDeliveryRow.endpoint_id)
            .order_by(WebhookDeliveryRow.id.desc())
            .limit(limit)
        )
        if status is not None:
            query = query.where(WebhookDeliveryRow.status == status)
        if organisation_id is not None:
            query = query.where(WebhookEndpointRow.organisation_id == organisation_id)
        if delivery_id is not None:
            query = query.where(WebhookDeliveryRow.id == delivery_id)
        with self.store.engine.connect() as connection:
            return [
                Delivery(
                    row.id,
                    row.endpoint_id,
                    row.url,
                    row.event_id,
                    row.event_type,
                    row.status,
                    row.attempts,
                    as_utc(row.next_attempt_at),
                    as_utc(row.created_at),
                    as_utc_or_none(row.delivered_at),
                )
                for row in connection.execute(query)
            ]

    def delivery(self, delivery_id: int) -> Delivery:
        found = self.deliveries(delivery_id=delivery_id)
        if not found:
            raise WebhookError(f"no webhook delivery {delivery_id}")
        return found[0]

    def attempts(self, delivery_id: int) -> list[Attempt]:
        query = (
            select(WebhookAttemptRow.__table__)
            .where(WebhookAttemptRow.delivery_id == delivery_id)
            .order_by(WebhookAttemptRow.id)
        )
        with self.store.engine.connect() as connection:
            return [
                Attempt(as_utc(row.at), row.status_code, row.error, row.duration_ms)
                for row in connection.execute(query)
            ]

    def redeliver(self, delivery_id: int, now: datetime) -> Delivery:
        """Send again from now with a fresh attempt budget (the attempt log is kept)."""
        self.delivery(delivery_id)
        with self.store.engine.begin() as connection:
            connection.execute(
                update(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.id == delivery_id)
                .values(status=PENDING, attempts=0, next_attempt_at=now, delivered_at=None)
            )
        return self.delivery(delivery_id)

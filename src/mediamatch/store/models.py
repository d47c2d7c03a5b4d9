"""SQLAlchemy 2 table definitions. The schema itself is created and changed only by Alembic."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class BankRow(Base):
    __tablename__ = "banks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    suppression: Mapped[bool] = mapped_column(Boolean, default=False)
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    organisation_id: Mapped[int | None] = mapped_column(BigId, nullable=True)


class EntryRow(Base):
    __tablename__ = "entries"
    __table_args__ = (
        UniqueConstraint("bank_id", "algorithm", "hash", name="uq_entries_bank_algorithm_hash"),
        Index("ix_entries_algorithm_id", "algorithm", "id"),
        Index("ix_entries_bank_external_id", "bank_id", "external_id"),
        Index("ix_entries_picture_id", "picture_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"))
    algorithm: Mapped[str] = mapped_column(String(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary)
    quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    classification: Mapped[str | None] = mapped_column(String(2), nullable=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    disabled_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    picture_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    """For entries hashed from one bank picture: the id of the one among them whose regions hold
    the picture's keypoints (``KEYPOINTS_REGION``); None for hash lists."""


class EntryRegionRow(Base):
    """A hash of a sub-region of the entry's image, same algorithm as the entry (resilience stage)."""

    __tablename__ = "entry_regions"
    __table_args__ = (UniqueConstraint("entry_id", "region", name="uq_entry_regions_entry_region"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))
    region: Mapped[str] = mapped_column(String(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class StoreStateRow(Base):
    """One row: ``revision`` grows with every write to banks or entries."""

    __tablename__ = "store_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)
    changes_from: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """The oldest revision from which ``store_changes`` holds every change (older ones pruned)."""


class StoreChangeRow(Base):
    """What one write transaction changed, under the revision it made: an entry (``kind`` entry),
    a bank's content as a whole (bank: a bank enabled, disabled or deleted, a bulk import), or a
    bank's settings only (settings: thresholds, suppression, a new bank)."""

    __tablename__ = "store_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    revision: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    bank_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    entry_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class WebhookEndpointRow(Base):
    """Where an organisation's events go; ``secret`` signs them (kept: signing needs it)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(String(128))
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebhookDeliveryRow(Base):
    """One event for one endpoint: ``pending`` until delivered or out of attempts (``failed``)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WebhookAttemptRow(Base):
    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    duration_ms: Mapped[float] = mapped_column(Float)


class EntryFeedbackRow(Base):
    """An organisation's latest verdict on an entry it matched (one per organisation and entry)."""

    __tablename__ = "entry_feedback"
    __table_args__ = (UniqueConstraint("organisation_id", "entry_id", name="uq_entry_feedback_org_entry"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    organisation_id: Mapped[int] = mapped_column(BigId)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))
    tracking_id: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EntryQuarantineRow(Base):
    """An entry withheld from matching until a curator reinstates or suppresses it."""

    __tablename__ = "entry_quarantine"

    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    disputes: Mapped[int] = mapped_column(Integer)


class OrganisationRow(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    """Set while the organisation is disabled: its keys are refused; nothing of it is deleted."""
    disabled_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class ApiKeyRow(Base):
    """An API key: only a salted hash of its secret is stored; ``key_id`` is the public half."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    salt: Mapped[bytes] = mapped_column(LargeBinary)
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary)
    name: Mapped[str] = mapped_column(String(200))
    environment: Mapped[str] = mapped_column(String(8))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    rate_per_minute: Mapped[int | None] = mapped_column(Integer, nullable=True)
    monthly_quota: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    pepper_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    """``AccountStore.pepper_id`` of the pepper the key was made under (None: made before it was kept)."""


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    tracking_id: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    organisation_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    endpoint: Mapped[str] = mapped_column(String(200))
    items: Mapped[int] = mapped_column(Integer)
    matches: Mapped[int] = mapped_column(Integer)
    matched_entry_ids: Mapped[list[int]] = mapped_column(JSON)
    matched_items: Mapped[list[list[int]] | None] = mapped_column(JSON, nullable=True)
    outcome: Mapped[str] = mapped_column(String(64))
    latency_ms: Mapped[float] = mapped_column(Float)


class ReportRow(Base):
    """A CyberTipline report; ``details`` is the validated report content sent to NCMEC."""

    __tablename__ = "reports"
    __table_args__ = (
        Index("uq_reports_organisation_idempotency", "organisation_id", "idempotency_key", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    key_id: Mapped[str] = mapped_column(String(32))
    environment: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16))
    ncmec_report_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    failure: Mapped[str | None] = mapped_column(Text, nullable=True)
    tracking_ids: Mapped[list[str]] = mapped_column(JSON)
    entry_ids: Mapped[list[int]] = mapped_column(JSON)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """The ``Idempotency-Key`` of the request that opened the report (unique per organisation)."""
    request_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """SHA-256 of that request's body: the same key with another body is a conflict."""


class ReportFileRow(Base):
    """A file sent to NCMEC with a report: its hashes and NCMEC's file id, never its bytes."""

    __tablename__ = "report_files"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(BigId, ForeignKey("reports.id", ondelete="CASCADE"))
    ncmec_file_id: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    size: Mapped[int] = mapped_column(BigInteger)
    md5: Mapped[str] = mapped_column(String(32))
    sha1: Mapped[str] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    details_sent: Mapped[bool] = mapped_column(Boolean)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

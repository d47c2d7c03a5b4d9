"""Organisations, API keys and the audit log.

An API key reads ``mm_<environment>_<key id>_<secret>``. Only the key id, a random salt
and ``HMAC-SHA256(pepper, salt + secret)`` are stored; the full key is shown once, when it
is created. Keys are high-entropy random strings, so a fast keyed hash is the right tool
(a password hash would only slow every request). Verification compares in constant time.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from mediamatch.errors import AccountError, AuthenticationFailed, PermissionDenied
from mediamatch.store.models import ApiKeyRow, AuditRow, OrganisationRow
from mediamatch.store.records import as_utc, as_utc_or_none
from mediamatch.store.store import Store

SCOPES = frozenset({"hash", "match", "match:distance", "curate", "report", "admin"})
ORGANISATION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
TOKEN = re.compile(r"mm_(test|live)_([0-9a-f]{12})_([A-Za-z0-9_-]{20,})")


class Environment(enum.Enum):
    """``test`` keys see only the built-in Test bank; ``live`` keys never see it."""

    TEST = "test"
    LIVE = "live"


@dataclass(frozen=True, slots=True)
class Organisation:
    id: int
    name: str
    created_at: datetime
    disabled_at: datetime | None = None
    """Set while disabled: every key of the organisation is refused (``verify``)."""
    disabled_reason: str | None = None

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    organisation_id: int
    organisation: str
    name: str
    environment: Environment
    scopes: frozenset[str]
    created_at: datetime
    revoked_at: datetime | None
    rate_per_minute: int | None = None
    monthly_quota: int | None = None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    tracking_id: str
    key_id: str | None
    organisation_id: int | None
    endpoint: str
    items: int
    matched_entry_ids: tuple[int, ...]
    outcome: str
    latency_ms: float
    matched_items: tuple[tuple[int, ...], ...] = ()
    """Per matched item, the entry ids it matched (usage reports count images from this)."""
    at: datetime | None = None
    """When the request came; None: when the record is written. Records held while the
    database was away keep their own time."""


AUDIT_PAGE_MAX = 1000


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Filters of an audit page (all optional, combined with and); times are UTC, ``until`` exclusive."""

    organisation: str | None = None
    key_id: str | None = None
    tracking_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after: int = 0
    limit: int = 100


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit record as readers see it (``organisation`` by name)."""

    id: int
    at: datetime
    tracking_id: str
    key_id: str | None
    organisation: str | None
    endpoint: str
    items: int
    matches: int
    matched_entry_ids: tuple[int, ...]
    outcome: str
    latency_ms: float

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "tracking_id": self.tracking_id,
            "key_id": self.key_id,
            "organisation": self.organisation,
            "endpoint": self.endpoint,
            "items": self.items,
            "matches": self.matches,
            "matched_entry_ids": list(self.matched_entry_ids),
            "outcome": self.outcome,
            "latency_ms": self.latency_ms,
        }


def _audit_entry(row: Any, names: dict[int, str]) -> AuditEntry:
    return AuditEntry(
        row.id,
        as_utc(row.at),
        row.tracking_id,
        row.key_id,
        names.get(row.organisation_id) if row.organisation_id is not None else None,
        row.endpoint,
        row.items,
        row.matches,
        tuple(row.matched_entry_ids or ()),
        row.outcome,
        float(row.latency_ms),
    )


class AccountStore:
    """Accounts kept in the same database as the banks.

    Account writes do not go through ``Store.transaction``: they must not bump the store
    revision, which would make every service process rebuild its match indexes.
    """

    def __init__(self, store: Store, pepper: bytes) -> None:
        self.store = store
        self.pepper = pepper

    def _digest(self, salt: bytes, secret: str) -> bytes:
        return hmac.new(self.pepper, salt + secret.encode(), hashlib.sha256).digest()

    @property
    def pepper_id(self) -> str:
        """Names the pepper without revealing it (an HMAC of a fixed text under it), so that a key
        made under another pepper (another configuration, a development default) is told apart
        from an unknown one."""
        return hmac.new(self.pepper, b"mediamatch key pepper id", hashlib.sha256).hexdigest()[:16]

    def keys_under_other_peppers(self) -> list[ApiKey]:
        """Active keys this store's pepper did not make (or that were made before peppers were named):
        the service cannot verify the former, and may not verify the latter."""
        other = ApiKeyRow.pepper_id.is_(None) | (ApiKeyRow.pepper_id != self.pepper_id)
        return self._rows(ApiKeyRow.revoked_at.is_(None) & other)

    def create_organisation(self, name: str) -> Organisation:
        if not ORGANISATION_NAME.fullmatch(name):
            raise AccountError(f"organisation name {name!r} must match {ORGANISATION_NAME.pattern}")
        try:
            with self.store.engine.begin() as connection:
                connection.execute(insert(OrganisationRow).values(name=name, created_at=datetime.now(UTC)))
        except IntegrityError:
            raise AccountError(f"organisation {name} already exists") from None
        return self.organisation(name)

    def organisations(self) -> list[Organisation]:
        """Every organisation, by name."""
        with self.store.engine.connect() as connection:
            rows = connection.execute(select(OrganisationRow.__table__).order_by(OrganisationRow.name)).all()
        return [_organisation(row) for row in rows]

    def organisation(self, name: str) -> Organisation:
        with self.store.engine.connect() as connection:
            row = connection.execute(
                select(OrganisationRow.__table__).where(OrganisationRow.name == name)
            ).first()
        if row is None:
            raise AccountError(f"no organisation named {name}")
        return _organisation(row)

    def disable_organisation(self, name: str, reason: str) -> Organisation:
        """Refuse every key of the organisation from now on (within the service's key cache time);
        its banks, keys, reports and audit stay. Disabling a disabled organisation keeps its first
        time and updates the reason."""
        if not reason.strip():
            raise AccountError("say why the organisation is disabled (a reason is kept with it)")
        owner = self.organisation(name)
        values = {"disabled_at": owner.disabled_at or datetime.now(UTC), "disabled_reason": reason.strip()}
        with self.store.engine.begin() as connection:
            connection.execute(update(OrganisationRow).where(OrganisationRow.id == owner.id).values(**values))
        self._audit_decision(owner, "organisation disabled", f"disabled: {reason.strip()}")
        return self.organisation(name)

    def enable_organisation(self, name: str) -> Organisation:
        """Accept the organisation's keys again (those not revoked meanwhile)."""
        owner = self.organisation(name)
        with self.store.engine.begin() as connection:
            connection.execute(
                update(OrganisationRow)
                .where(OrganisationRow.id == owner.id)
                .values(disabled_at=None, disabled_reason=None)
            )
        self._audit_decision(owner, "organisation enabled", "enabled")
        return self.organisation(name)

    def _audit_decision(self, organisation: Organisation, action: str, outcome: str) -> None:
        """An operator's decision about an organisation, in the audit log beside its requests."""
        record = AuditRecord(secrets.token_hex(8), None, organisation.id, action, 0, (), outcome, 0.0)
        self.audit(record)

    def create_key(
        self,
        organisation: str,
        name: str,
        scopes: Iterable[str],
        environment: Environment,
        *,
        rate_per_minute: int | None = None,
        monthly_quota: int | None = None,
    ) -> tuple[ApiKey, str]:
        """A new key and its full text, which is not stored and cannot be shown again.

        ``rate_per_minute`` and ``monthly_quota`` (items per calendar month, UTC) override the
        service defaults for this key.
        """
        if (rate_per_minute is not None and rate_per_minute < 1) or (
            monthly_quota is not None and monthly_quota < 0
        ):
            raise AccountError("a rate limit must be at least 1 and a quota at least 0")
        chosen = frozenset(scopes)
        if not chosen or chosen - SCOPES:
            raise AccountError(f"scopes must be among {', '.join(sorted(SCOPES))}, got {sorted(chosen)}")
        owner = self.organisation(organisation)
        key_id, secret, salt = secrets.token_hex(6), secrets.token_urlsafe(32), secrets.token_bytes(16)
        values = {
            "organisation_id": owner.id,
            "key_id": key_id,
            "salt": salt,
            "secret_hash": self._digest(salt, secret),
            "name": name,
            "environment": environment.value,
            "scopes": sorted(chosen),
            "created_at": datetime.now(UTC),
            "rate_per_minute": rate_per_minute,
            "monthly_quota": monthly_quota,
            "pepper_id": self.pepper_id,
        }
        with self.store.engine.begin() as connection:
            connection.execute(insert(ApiKeyRow).values(**values))
        return self.key(key_id), f"mm_{environment.value}_{key_id}_{secret}"

    def _rows(self, where: object = None) -> list[ApiKey]:
        query = select(ApiKeyRow.__table__, OrganisationRow.name.label("organisation")).join(
            OrganisationRow, OrganisationRow.id == ApiKeyRow.organisation_id
        )
        if where is not None:
            query = query.where(where)  # type: ignore[arg-type]
        with self.store.engine.connect() as connection:
            rows = connection.execute(query.order_by(ApiKeyRow.id)).all()
        return [
            ApiKey(
                row.key_id,
                row.organisation_id,
                row.organisation,
                row.name,
                Environment(row.environment),
                frozenset(row.scopes),
                as_utc(row.created_at),
                as_utc_or_none(row.revoked_at),
                row.rate_per_minute,
                row.monthly_quota,
            )
            for row in rows
        ]

    def key(self, key_id: str) -> ApiKey:
        found = self._rows(ApiKeyRow.key_id == key_id)
        if not found:
            raise AccountError(f"no API key {key_id}")
        return found[0]

    def list_keys(self) -> list[ApiKey]:
        return self._rows()

    def revoke(self, key_id: str) -> ApiKey:
        self.key(key_id)
        with self.store.engine.begin() as connection:
            connection.execute(
                update(ApiKeyRow).where(ApiKeyRow.key_id == key_id).values(revoked_at=datetime.now(UTC))
            )
        return self.key(key_id)

    def verify(self, token: str) -> ApiKey:
        """The key behind ``token``; raises AuthenticationFailed for malformed, unknown or revoked keys."""
        parsed = TOKEN.fullmatch(token.strip())
        if parsed is None:
            raise AuthenticationFailed("malformed API key")
        environment, key_id, secret = parsed.groups()
        query = select(
            ApiKeyRow.__table__, OrganisationRow.disabled_at.label("organisation_disabled_at")
        ).join(OrganisationRow, OrganisationRow.id == ApiKeyRow.organisation_id)
        with self.store.engine.connect() as connection:
            row = connection.execute(query.where(ApiKeyRow.key_id == key_id)).first()
        valid = row is not None and hmac.compare_digest(row.secret_hash, self._digest(row.salt, secret))
        if row is not None and not valid and row.pepper_id not in (None, self.pepper_id):
            raise AuthenticationFailed(
                f"API key {key_id} was made under another key pepper than this service's: make keys "
                "with the settings the service runs with (MEDIAMATCH_KEY_PEPPER, --config)"
            )
        if row is None or not valid or row.environment != environment:
            raise AuthenticationFailed("unknown API key")
        if row.revoked_at is not None:
            raise AuthenticationFailed("API key revoked")
        if row.organisation_disabled_at is not None:
            raise PermissionDenied(
                "the organisation of this API key is disabled; ask the operator of this service"
            )
        return self.key(key_id)

    def audit(self, record: AuditRecord) -> None:
        """Append to the audit log (outside ``Store.transaction``: it must not invalidate index caches)."""
        self.audit_many([record])

    def audit_many(self, records: Iterable[AuditRecord]) -> None:
        """Append several records in one transaction."""
        rows = [self._audit_values(record) for record in records]
        if rows:
            with self.store.engine.begin() as connection:
                connection.execute(insert(AuditRow), rows)

    @staticmethod
    def _audit_values(record: AuditRecord) -> dict[str, object]:
        return {
            "at": record.at or datetime.now(UTC),
            "tracking_id": record.tracking_id,
            "key_id": record.key_id,
            "organisation_id": record.organisation_id,
            "endpoint": record.endpoint,
            "items": record.items,
            "matches": len(record.matched_entry_ids),
            "matched_entry_ids": list(record.matched_entry_ids),
            "matched_items": [list(ids) for ids in record.matched_items],
            "outcome": record.outcome,
            "latency_ms": record.latency_ms,
        }

    def items_since(self, key_id: str, since: datetime) -> int:
        """Items the key sent since ``since`` (successful or not), from the audit log."""
        query = select(func.coalesce(func.sum(AuditRow.items), 0)).where(
            AuditRow.key_id == key_id, AuditRow.at >= since
        )
        with self.store.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def audit_log(self, limit: int = 100) -> list[dict[str, object]]:
        """The newest ``limit`` records, newest first."""
        with self.store.engine.connect() as connection:
            rows = connection.execute(
                select(AuditRow.__table__).order_by(AuditRow.id.desc()).limit(limit)
            ).all()
        return [dict(row._mapping) for row in rows]

    def audit_page(self, query: AuditQuery) -> tuple[list[AuditEntry], int | None]:
        """Records matching every filter of ``query``, oldest first, after ``query.after`` (a record
        id), at most ``query.limit``; and the id to pass as ``after`` for the next page (None at the
        end). Paging by id is stable while records are appended."""
        if not 1 <= query.limit <= AUDIT_PAGE_MAX:
            raise AccountError(f"an audit page holds 1 to {AUDIT_PAGE_MAX} records")
        chosen = select(AuditRow.__table__).where(AuditRow.id > query.after)
        if query.organisation is not None:
            chosen = chosen.where(AuditRow.organisation_id == self.organisation(query.organisation).id)
        if query.key_id is not None:
            chosen = chosen.where(AuditRow.key_id == query.key_id)
        if query.tracking_id is not None:
            chosen = chosen.where(AuditRow.tracking_id == query.tracking_id)
        if query.since is not None:
            chosen = chosen.where(AuditRow.at >= query.since)
        if query.until is not None:
            chosen = chosen.where(AuditRow.at < query.until)
        with self.store.engine.connect() as connection:
            rows = connection.execute(chosen.order_by(AuditRow.id).limit(query.limit + 1)).all()
            organisations = connection.execute(select(OrganisationRow.id, OrganisationRow.name))
            names = {int(number): str(name) for number, name in organisations}
        page = [_audit_entry(row, names) for row in rows[: query.limit]]
        return page, (page[-1].id if len(rows) > query.limit else None)


def _organisation(row: Row[Any]) -> Organisation:
    return Organisation(
        row.id, row.name, as_utc(row.created_at), as_utc_or_none(row.disabled_at), row.disabled_reason
    )

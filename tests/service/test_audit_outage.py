"""Audit records wait in memory while the database is away, and the bound on them is kept.

Against the test's own PostgreSQL server (``private_postgres``), stopped and started again.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from mediamatch.errors import StoreUnavailable
from mediamatch.service.app import create_app
from mediamatch.service.audit import AuditWriter
from mediamatch.service.settings import DEVELOPMENT_PEPPER, Settings
from mediamatch.store import Store
from mediamatch.store.accounts import AccountStore, AuditRecord, Environment
from mediamatch.store.models import AuditRow
from tests.service.live_server import wait
from tests.service.private_postgres import PrivatePostgres, postgres

__all__ = ["postgres"]


def record(number: int) -> AuditRecord:
    return AuditRecord(f"t{number}", None, None, "POST /v1/match", 1, (), "200", 1.0)


def audited(store: Store) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(AuditRow)).scalar_one())


def test_records_stay_queued_until_the_database_takes_them(postgres: PrivatePostgres) -> None:
    store = Store(postgres.url)
    writer = AuditWriter(AccountStore(store, b"pepper"), capacity=3)
    writer.submit(record(0))
    writer.flush()
    postgres.stop()
    for number in range(1, 4):
        writer.submit(record(number))
    with pytest.raises(StoreUnavailable):
        writer.flush()
    assert writer.queued == 3
    assert not writer.has_room()
    postgres.start()
    writer.flush()
    assert (writer.queued, writer.written, audited(store)) == (0, 4, 4)
    store.close()


def test_a_full_audit_queue_refuses_api_calls_with_503(postgres: PrivatePostgres, tmp_path: Path) -> None:
    store = Store(postgres.url)
    key = AccountStore(store, DEVELOPMENT_PEPPER.encode())
    key.create_organisation("acme")
    secret = key.create_key("acme", "m", ["match"], Environment.LIVE)[1]
    settings = Settings(db=postgres.url, audit_queue_limit=1, key_cache_seconds=0.01)
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "image/png"}
    with TestClient(create_app(settings, store)) as client:
        # no index build cut off midway
        wait(lambda: client.get("/status/ready").status_code == 200, 30, "the index never loaded")
        postgres.stop()
        unavailable = client.post("/v1/match", content=b"x", headers=headers)
        assert unavailable.status_code == 503
        assert unavailable.json()["error"]["kind"] == "StoreUnavailable"
        assert unavailable.headers["retry-after"] == "2"
        refused = client.post("/v1/match", content=b"x", headers=headers)
        assert refused.status_code == 503
        assert refused.json()["error"]["kind"] == "AuditBacklogFull"
        assert "mediamatch_audit_refused_requests_total 1" in client.get("/metrics").text
        assert client.get("/status/live").status_code == 200  # not an API call: never refused
        postgres.start()
        client.app.state.mediamatch.audit.flush()
    assert audited(store) == 1  # the answered call; the refused one was never handled
    store.close()

"""The store contract runs on SQLite always and on PostgreSQL when MEDIAMATCH_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from mediamatch.store import Store
from mediamatch.store.store import engine_url

POSTGRES_URL = os.environ.get("MEDIAMATCH_TEST_POSTGRES_URL", "")


def _reset_postgres(url: str) -> None:
    engine = create_engine(engine_url(url))
    with engine.begin() as connection:
        tables = (
            "entry_regions, report_files, reports, entries, banks, store_state, api_keys, organisations, "
            "audit_log, alembic_version, webhook_endpoints, webhook_deliveries, webhook_attempts, "
            "entry_feedback, entry_quarantine"
        )
        connection.execute(text(f"DROP TABLE IF EXISTS {tables} CASCADE"))
    engine.dispose()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not POSTGRES_URL,
                reason="MEDIAMATCH_TEST_POSTGRES_URL is not set: PostgreSQL store tests skipped",
            ),
        ),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    else:
        url = POSTGRES_URL
        _reset_postgres(url)
    opened = Store(url)
    yield opened
    opened.close()

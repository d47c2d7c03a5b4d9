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
    """Every table gone (the test database's public schema made anew), so each test starts from
    the migrations, whichever tables they have come to create."""
    engine = create_engine(engine_url(url))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
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

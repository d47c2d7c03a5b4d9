from __future__ import annotations

from pathlib import Path

from mediamatch.store import Store
from mediamatch.testing.store_contract import StoreContract


class TestStoreContract(StoreContract):
    """Runs on SQLite and, when MEDIAMATCH_TEST_POSTGRES_URL is set, on PostgreSQL (see conftest)."""


def test_reopening_a_database_keeps_its_banks_and_does_not_migrate_twice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    first = Store(url)
    first.create_bank("TEST")
    first.close()
    second = Store(url)
    assert [b.name for b in second.banks()] == ["TEST"]
    second.close()

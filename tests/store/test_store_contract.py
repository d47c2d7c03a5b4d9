from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from mediamatch.store import Store
from mediamatch.store.store import HEAD_REVISION, MIGRATIONS
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


def test_head_revision_is_the_newest_migration() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_heads() == [HEAD_REVISION]


def test_a_store_behind_the_newest_migration_is_upgraded_when_opened(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    made = Store(url)
    made.create_bank("BEFORE")  # revision 1, made before the log existed
    made.close()
    engine = create_engine(url)
    with engine.begin() as connection:  # as 0012 left it: no change log
        connection.execute(text("DROP INDEX ix_store_changes_revision"))
        connection.execute(text("DROP TABLE store_changes"))
        connection.execute(text("ALTER TABLE store_state DROP COLUMN changes_from"))
        connection.execute(text("UPDATE alembic_version SET version_num = '0012'"))
    engine.dispose()
    store = Store(url)
    with store.engine.connect() as connection:
        assert (
            connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == HEAD_REVISION
        )
        changes_from, revision = connection.execute(
            text("SELECT changes_from, revision FROM store_state")
        ).one()
        assert changes_from == revision  # the log covers every change from the upgrade on
    assert (changes_from, revision) == (1, 1)
    assert store.changes(0, 1) is None  # the log does not reach back to the bank made before it
    assert store.changes(1, 1) is not None
    store.close()

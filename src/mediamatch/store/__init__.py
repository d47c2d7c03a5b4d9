"""Banks of known hashes: SQLAlchemy 2 models, Alembic migrations, SQLite or PostgreSQL."""

from mediamatch.store.records import Bank, Classification, Entry, NewEntry, check_bank_name
from mediamatch.store.store import Store, default_url

__all__ = ["Bank", "Classification", "Entry", "NewEntry", "Store", "check_bank_name", "default_url"]

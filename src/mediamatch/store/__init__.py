"""Banks of known hashes: SQLAlchemy 2 models, Alembic migrations, SQLite or PostgreSQL.

``Store`` and ``default_url`` load SQLAlchemy on first use, so modules that only need the
record types (``Entry``, ``Classification``, ...) start without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mediamatch.store.records import KEYPOINTS_REGION, Bank, Classification, Entry, NewEntry, check_bank_name

if TYPE_CHECKING:
    from mediamatch.store.store import Store, default_url

__all__ = [
    "KEYPOINTS_REGION",
    "Bank",
    "Classification",
    "Entry",
    "NewEntry",
    "Store",
    "check_bank_name",
    "default_url",
]

_LAZY = ("Store", "default_url")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from mediamatch.store import store  # loads SQLAlchemy on first use

        return getattr(store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

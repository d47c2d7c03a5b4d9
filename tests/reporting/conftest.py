"""Reporting tests run on SQLite always and on PostgreSQL when it is configured."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reporting.receiver import Receiver, running_receiver
from tests.store.conftest import store

__all__ = ["receiver", "store"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running

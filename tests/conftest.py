"""Shared fixtures: the location of Meta's reference material in ../shared/reference, and a cache
folder of the session's own (index snapshots, for this process and the servers it starts)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The shared reference folder; tests that need it skip with a reason when it is absent."""
    if not (REFERENCE / "pdq-expected.csv").is_file():
        pytest.skip(f"Meta's PDQ reference material not found at {REFERENCE}")
    return REFERENCE


@pytest.fixture(autouse=True, scope="session")
def _private_cache() -> Iterator[None]:
    """Index snapshots (and anything else cached) go to a folder of this session's, not the user's."""
    with tempfile.TemporaryDirectory(prefix="mediamatch-tests-cache-") as folder:
        before = os.environ.get("XDG_CACHE_HOME")
        os.environ["XDG_CACHE_HOME"] = folder
        yield
        if before is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = before

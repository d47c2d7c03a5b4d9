"""Shared fixtures: the location of Meta's reference material in ../shared/reference."""

from __future__ import annotations

from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The shared reference folder; tests that need it skip with a reason when it is absent."""
    if not (REFERENCE / "pdq-expected.csv").is_file():
        pytest.skip(f"Meta's PDQ reference material not found at {REFERENCE}")
    return REFERENCE

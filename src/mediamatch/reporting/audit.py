"""Reading the audit log: the time filters both readers (``mediamatch audit``, ``GET /v1/audit``) take."""

from __future__ import annotations

from datetime import UTC, datetime

from mediamatch.errors import InvalidPeriod


def parse_time(text: str | None, option: str) -> datetime | None:
    """An ISO 8601 time (a bare date is its midnight; no zone means UTC); InvalidPeriod otherwise."""
    if text is None:
        return None
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidPeriod(
            f"{option} must be an ISO 8601 time such as 2026-12-01T08:00:00Z, not {text!r}"
        ) from None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)

"""Reporting fixtures: a valid report, the NCMEC stand-in, a webhook receiver; store tests run on
SQLite always and on PostgreSQL when it is configured."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mediamatch.reporting.cybertip import Report, report_from_json
from mediamatch.reporting.ncmec import NcmecClient
from tests.reporting.ncmec_standin import NcmecStandIn
from tests.reporting.receiver import Receiver, running_receiver
from tests.store.conftest import store

__all__ = ["receiver", "store"]


def report_details(**overrides: Any) -> dict[str, Any]:
    """A complete, valid report body as a caller would send it."""
    details: dict[str, Any] = {
        "incident_summary": {
            "incident_type": "child_pornography",
            "incident_date_time": "2026-11-20T10:15:00+00:00",
        },
        "internet_details": [{"web_page_incident": {"urls": ["https://uploads.example.com/p/123"]}}],
        "reporter": {
            "reporting_person": {"first_name": "Sam", "last_name": "Reviewer", "emails": ["tns@example.com"]}
        },
        "person_or_user_reported": {
            "esp_identifier": "user-8841",
            "screen_name": "uploader",
            "ip_capture_events": [
                {"ip_address": "203.0.113.9", "event_name": "upload", "date_time": "2026-11-20T10:14:00Z"}
            ],
        },
    }
    details.update(overrides)
    return details


@pytest.fixture
def report() -> Report:
    return report_from_json(report_details())


@pytest.fixture
def standin() -> Iterator[NcmecStandIn]:
    server = NcmecStandIn()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(standin: NcmecStandIn) -> NcmecClient:
    return NcmecClient(
        standin.base_url,
        "esp-user",
        "esp-password",
        timeout=5,
        attempts=3,
        sleep=lambda _: None,
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running

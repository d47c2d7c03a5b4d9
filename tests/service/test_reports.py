"""``/v1/reports`` end to end against the local NCMEC stand-in."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from mediamatch.algorithms import PdqAlgorithm
from mediamatch.engine.testbank import sample_image_png
from mediamatch.reporting.signing import SIGNATURE_HEADER, verify_signature
from mediamatch.reporting.webhooks import create_endpoint
from mediamatch.samples import encode, synthetic_photo
from mediamatch.service.app import create_app
from mediamatch.service.settings import Settings
from mediamatch.store import Classification, NewEntry, Store
from mediamatch.store.accounts import AccountStore, Environment
from mediamatch.store.models import ReportRow
from mediamatch.store.webhooks import WebhookStore
from tests.reporting.conftest import report_details
from tests.reporting.ncmec_standin import NcmecStandIn
from tests.reporting.receiver import Receiver, running_receiver


@dataclass
class Reporting:
    client: TestClient
    store: Store
    ncmec: NcmecStandIn
    keys: dict[str, str]

    def headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[key]}"}

    def match(self, key: str, image: bytes) -> dict[str, Any]:
        reply = self.client.post("/v1/match", content=image, headers=self.headers(key))
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        return body

    def open(self, key: str, tracking_ids: list[str], **overrides: Any) -> Any:
        body = {"tracking_ids": tracking_ids, "report": report_details(**overrides)}
        return self.client.post("/v1/reports", json=body, headers=self.headers(key))


def _settings(folder: Path, ncmec_url: str, **extra: Any) -> Settings:
    return Settings(
        db=f"sqlite:///{folder / 'reports.sqlite3'}",
        index_refresh_seconds=0.05,
        ncmec_url=ncmec_url,
        ncmec_username="esp-user",
        ncmec_password="esp-password",
        ncmec_test_url=ncmec_url,
        ncmec_test_username="esp-user",
        ncmec_test_password="esp-password",
        ncmec_timeout_seconds=5,
        ncmec_backoff_seconds=0.01,
        webhook_allowed_hosts="127.0.0.1/32",
        webhook_poll_seconds=0.05,
        webhook_retry_seconds=0.1,
        **extra,
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def reporting(tmp_path: Path) -> Iterator[Reporting]:
    ncmec = NcmecStandIn()
    ncmec.start()
    settings = _settings(tmp_path, ncmec.base_url, report_max_file_bytes=5_000_000)
    store = Store(settings.db)
    accounts = AccountStore(store, settings.key_pepper.encode())
    accounts.create_organisation("acme")
    accounts.create_organisation("rival")
    keys = {
        "test": accounts.create_key("acme", "t", ["match", "report"], Environment.TEST)[1],
        "live": accounts.create_key("acme", "l", ["match", "report"], Environment.LIVE)[1],
        "matcher": accounts.create_key("acme", "m", ["match"], Environment.LIVE)[1],
        "rival": accounts.create_key("rival", "r", ["match", "report"], Environment.LIVE)[1],
    }
    store.create_bank("SHARED")
    pdq = PdqAlgorithm().hash_pixels(synthetic_photo(1)).value.data
    store.add_entries("SHARED", [NewEntry("pdq", pdq, classification=Classification.A2)])
    with TestClient(create_app(settings, store)) as client:
        running = Reporting(client, store, ncmec, keys)
        while client.get("/status/ready").status_code != 200:
            pass
        yield running
    ncmec.stop()


def _events(
    receiver: Receiver, secret: str, until: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    """The verified events received, once ``until`` holds for them (within 20 s)."""
    deadline = time.monotonic() + 20
    while True:
        events = []
        for delivery in list(receiver.received):
            verify_signature(secret, delivery.headers[SIGNATURE_HEADER], delivery.body)
            events.append(json.loads(delivery.body))
        if until(events):
            return events
        assert time.monotonic() < deadline, f"events so far: {events}"
        time.sleep(0.05)


def test_a_test_key_reports_a_test_bank_match_end_to_end(reporting: Reporting, receiver: Receiver) -> None:
    organisation = AccountStore(reporting.store, b"unused").organisation("acme").id
    _, secret = create_endpoint(WebhookStore(reporting.store), organisation, receiver.url)
    image = sample_image_png(1)
    matched = reporting.match("test", image)
    assert matched["results"][0]["matches"], "the Test bank image should match"
    opened = reporting.open("test", [matched["tracking_id"]])
    assert opened.status_code == 201, opened.text
    report = opened.json()
    assert report["state"] == "open"
    assert report["ncmec_report_id"] in reporting.ncmec.reports
    assert report["expires_at"] is not None
    assert report["expired"] is False

    uploaded = reporting.client.post(
        f"/v1/reports/{report['id']}/files",
        content=image,
        params={"file_name": "upload.png", "file_viewed_by_esp": "true", "publicly_available": "false"},
        headers=reporting.headers("test"),
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["state"] == "files_uploaded"
    file = uploaded.json()["files"][0]
    assert file["md5"] == hashlib.md5(image).hexdigest()
    assert file["details_sent"] is True

    finished = reporting.client.post(f"/v1/reports/{report['id']}/finish", headers=reporting.headers("test"))
    assert finished.status_code == 200, finished.text
    assert finished.json()["state"] == "finished"
    assert finished.json()["expires_at"] is None
    assert reporting.ncmec.finished_reports() == [report["ncmec_report_id"]]
    held = reporting.ncmec.reports[report["ncmec_report_id"]]
    stored_file = held.files[file["file_id"]]
    assert stored_file.md5 == file["md5"]
    assert stored_file.details is not None
    assert stored_file.details.findtext("originalFileName") == "upload.png"
    summary = held.report.findtext("additionalInfo") or ""
    assert "known hash(es) with mediamatch:\n- pdq hash in bank TEST" in summary

    def states(events: list[dict[str, Any]]) -> list[str]:
        return [e["data"]["state"] for e in events if e["type"] == "report.state_changed"]

    events = _events(receiver, secret, lambda got: "finished" in states(got))
    assert states(events) == ["draft", "open", "files_uploaded", "finished"]
    assert [e["data"]["tracking_id"] for e in events if e["type"] == "match.created"] == [
        matched["tracking_id"]
    ]
    finished_event = next(
        e for e in events if e["type"] == "report.state_changed" and e["data"]["state"] == "finished"
    )
    assert finished_event["data"]["ncmec_report_id"] == report["ncmec_report_id"]
    assert finished_event["data"]["files"] == 1

    today = datetime.now(UTC).date().isoformat()
    usage = reporting.client.get(f"/v1/usage?from={today}&to={today}", headers=reporting.headers("test"))
    assert usage.status_code == 200, usage.text
    rows = {(r["organisation"], r["bank"]): r for r in usage.json()["rows"]}
    assert rows[("acme", None)]["images_checked"] == 1
    assert rows[("acme", None)]["images_matched"] == 1
    assert rows[("acme", "TEST")]["images_matched"] == 1


def test_the_classification_defaults_to_the_matched_entries(reporting: Reporting) -> None:
    matched = reporting.match("live", encode(synthetic_photo(1), "PNG"))
    report = reporting.open("live", [matched["tracking_id"]]).json()
    reporting.client.post(
        f"/v1/reports/{report['id']}/files", content=b"bytes of the file", headers=reporting.headers("live")
    )
    held = reporting.ncmec.reports[report["ncmec_report_id"]]
    details = next(iter(held.files.values())).details
    assert details is not None
    assert details.findtext("industryClassification") == "A2"


@pytest.mark.parametrize("fault", ["lost_answer", "http500"])
def test_finish_failing_twice_leaves_exactly_one_finished_report(reporting: Reporting, fault: str) -> None:
    matched = reporting.match("test", sample_image_png(2))
    report = reporting.open("test", [matched["tracking_id"]]).json()
    reporting.ncmec.fail("/finish", fault, times=2)
    finished = reporting.client.post(f"/v1/reports/{report['id']}/finish", headers=reporting.headers("test"))
    assert finished.status_code == 200, finished.text
    assert finished.json()["state"] == "finished"
    assert reporting.ncmec.finished_reports() == [report["ncmec_report_id"]]
    again = reporting.client.post(f"/v1/reports/{report['id']}/finish", headers=reporting.headers("test"))
    assert again.status_code == 409
    assert len(reporting.ncmec.finished_reports()) == 1


def test_invalid_details_are_refused_naming_the_field_before_anything_is_sent(reporting: Reporting) -> None:
    matched = reporting.match("test", sample_image_png(1))
    reply = reporting.open(
        "test", [matched["tracking_id"]], reporter={"reporting_person": {"first_name": "X"}}
    )
    assert reply.status_code == 422
    assert reply.json()["error"]["field"] == "report.reporter.reporting_person.emails"
    missing = reporting.client.post(
        "/v1/reports", json={"report": report_details()}, headers=reporting.headers("test")
    )
    assert missing.status_code == 422
    assert missing.json()["error"]["field"] == "tracking_ids"
    assert not [call for call in reporting.ncmec.calls if call == "POST /submit"]


def test_tracking_ids_must_be_the_organisations_own_matches(reporting: Reporting) -> None:
    theirs = reporting.match("rival", encode(synthetic_photo(1), "PNG"))
    reply = reporting.open("live", [theirs["tracking_id"]])
    assert reply.status_code == 422
    assert reply.json()["error"]["field"] == "tracking_ids[0]"
    nothing = reporting.match("live", encode(synthetic_photo(77), "PNG"))
    reply = reporting.open("live", [nothing["tracking_id"]])
    assert reply.status_code == 422
    assert "matched nothing" in reply.json()["error"]["message"]


def test_reports_are_private_to_their_organisation_and_need_the_scope(reporting: Reporting) -> None:
    matched = reporting.match("live", encode(synthetic_photo(1), "PNG"))
    report = reporting.open("live", [matched["tracking_id"]]).json()
    assert (
        reporting.client.get(f"/v1/reports/{report['id']}", headers=reporting.headers("rival")).status_code
        == 404
    )
    assert reporting.client.get("/v1/reports", headers=reporting.headers("rival")).json()["reports"] == []
    mine = reporting.client.get("/v1/reports", headers=reporting.headers("live")).json()["reports"]
    assert [r["id"] for r in mine] == [report["id"]]
    assert reporting.client.get("/v1/reports", headers=reporting.headers("matcher")).status_code == 403


def test_a_retracted_report_takes_nothing_more(reporting: Reporting) -> None:
    matched = reporting.match("test", sample_image_png(3))
    report = reporting.open("test", [matched["tracking_id"]]).json()
    retracted = reporting.client.post(
        f"/v1/reports/{report['id']}/retract", headers=reporting.headers("test")
    )
    assert retracted.json()["state"] == "retracted"
    assert reporting.ncmec.reports[report["ncmec_report_id"]].retracted
    finish = reporting.client.post(f"/v1/reports/{report['id']}/finish", headers=reporting.headers("test"))
    assert finish.status_code == 409
    upload = reporting.client.post(
        f"/v1/reports/{report['id']}/files", content=b"x", headers=reporting.headers("test")
    )
    assert upload.status_code == 409


def test_a_refused_submission_is_recorded_as_failed(reporting: Reporting) -> None:
    matched = reporting.match("test", sample_image_png(4))
    reporting.ncmec.fail("/submit", "code1000", times=10)
    reply = reporting.open("test", [matched["tracking_id"]])
    assert reply.status_code == 502
    reports = reporting.client.get("/v1/reports", headers=reporting.headers("test")).json()["reports"]
    assert reports[0]["state"] == "failed"
    assert "1000" in reports[0]["failure"]


def test_an_open_report_past_ncmecs_deadline_is_flagged_and_failed(reporting: Reporting) -> None:
    matched = reporting.match("test", sample_image_png(5))
    report = reporting.open("test", [matched["tracking_id"]]).json()
    long_ago = datetime.now(UTC) - timedelta(hours=25)
    with reporting.store.engine.begin() as connection:
        connection.execute(
            update(ReportRow)
            .where(ReportRow.id == report["id"])
            .values(opened_at=long_ago, modified_at=long_ago)
        )
    listed = reporting.client.get(f"/v1/reports/{report['id']}", headers=reporting.headers("test")).json()
    assert listed["expired"] is True
    finish = reporting.client.post(f"/v1/reports/{report['id']}/finish", headers=reporting.headers("test"))
    assert finish.status_code == 409
    assert "expired" in finish.json()["error"]["message"]
    after = reporting.client.get(f"/v1/reports/{report['id']}", headers=reporting.headers("test")).json()
    assert after["state"] == "failed"


def test_files_over_the_limit_are_refused(reporting: Reporting) -> None:
    matched = reporting.match("test", sample_image_png(1))
    report = reporting.open("test", [matched["tracking_id"]]).json()
    big = b"\0" * 5_000_001
    reply = reporting.client.post(
        f"/v1/reports/{report['id']}/files", content=big, headers=reporting.headers("test")
    )
    assert reply.status_code == 413

    def chunked() -> Iterator[bytes]:
        for _ in range(6):
            yield b"\0" * 1_000_000

    reply = reporting.client.post(
        f"/v1/reports/{report['id']}/files", content=chunked(), headers=reporting.headers("test")
    )
    assert reply.status_code == 413
    assert (
        reporting.client.get(f"/v1/reports/{report['id']}", headers=reporting.headers("test")).json()["files"]
        == []
    )


def test_reporting_without_credentials_is_unavailable(tmp_path: Path) -> None:
    settings = Settings(db=f"sqlite:///{tmp_path / 'x.sqlite3'}", index_refresh_seconds=0.05)
    store = Store(settings.db)
    accounts = AccountStore(store, settings.key_pepper.encode())
    accounts.create_organisation("acme")
    key = accounts.create_key("acme", "t", ["match", "report"], Environment.TEST)[1]
    with TestClient(create_app(settings, store)) as client:
        headers = {"Authorization": f"Bearer {key}"}
        while client.get("/status/ready").status_code != 200:
            pass
        matched = client.post("/v1/match", content=sample_image_png(1), headers=headers).json()
        reply = client.post(
            "/v1/reports",
            json={"tracking_ids": [matched["tracking_id"]], "report": report_details()},
            headers=headers,
        )
        assert reply.status_code == 503
        assert "ncmec_test_username" in reply.json()["error"]["message"]


def _open_with(reporting: Reporting, key: str, body: dict[str, Any], idempotency: str | None) -> Any:
    headers = reporting.headers(key) | ({"Idempotency-Key": idempotency} if idempotency else {})
    return reporting.client.post("/v1/reports", json=body, headers=headers)


def test_a_retried_report_request_files_one_report(reporting: Reporting) -> None:
    """The same Idempotency-Key and body: the first answer again, one report at NCMEC; another
    body under that key: 409, nothing sent."""
    matched = reporting.match("live", encode(synthetic_photo(1), "PNG"))
    body = {"tracking_ids": [matched["tracking_id"]], "report": report_details()}
    first = _open_with(reporting, "live", body, "retry-7f3a")
    assert first.status_code == 201, first.text
    again = _open_with(
        reporting, "live", json.loads(json.dumps(body, indent=4)), "retry-7f3a"
    )  # other spacing
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["ncmec_report_id"] == first.json()["ncmec_report_id"]
    assert len(reporting.ncmec.reports) == 1
    other = _open_with(
        reporting, "live", {**body, "report": report_details(additional_info="x")}, "retry-7f3a"
    )
    assert other.status_code == 409
    assert "used for another request" in other.json()["error"]["message"]
    assert len(reporting.ncmec.reports) == 1


def test_matches_already_reported_are_refused_unless_asked_again(reporting: Reporting) -> None:
    matched = reporting.match("live", encode(synthetic_photo(1), "PNG"))
    body = {"tracking_ids": [matched["tracking_id"]], "report": report_details()}
    assert _open_with(reporting, "live", body, None).status_code == 201
    second = _open_with(reporting, "live", body, None)
    assert second.status_code == 409
    assert matched["tracking_id"] in second.json()["error"]["message"]
    assert len(reporting.ncmec.reports) == 1
    repeated = _open_with(reporting, "live", {**body, "repeat": True}, None)
    assert repeated.status_code == 201
    assert len(reporting.ncmec.reports) == 2
    bad_key = _open_with(reporting, "live", {**body, "repeat": True}, "with space")
    assert bad_key.status_code == 422


def test_concurrent_retries_file_one_report(reporting: Reporting) -> None:
    """Retries that arrive together (as from several workers or replicas): the store's unique
    key lets one through; the others answer with its report."""
    from concurrent.futures import ThreadPoolExecutor

    matched = reporting.match("live", encode(synthetic_photo(1), "PNG"))
    body = {"tracking_ids": [matched["tracking_id"]], "report": report_details()}
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: _open_with(reporting, "live", body, "burst-1"), range(4)))
    assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers if a.status_code != 201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(reporting.ncmec.reports) == 1

"""The CyberTipline client against the local stand-in: the calls, the codes, the retry rules."""

from __future__ import annotations

import hashlib

import pytest

from mediamatch.errors import (
    NcmecAuthenticationFailed,
    NcmecOutcomeUnknown,
    NcmecReportFinished,
    NcmecReportMissing,
    NcmecUnavailable,
    NcmecValidationFailed,
)
from mediamatch.reporting.cybertip import FileOptions, Report
from mediamatch.reporting.ncmec import NcmecClient, parse_answer
from tests.reporting.ncmec_standin import NcmecStandIn


def _chunks(data: bytes, size: int = 1000) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_a_whole_report(client: NcmecClient, standin: NcmecStandIn, report: Report) -> None:
    assert client.status().code == 0
    report_id = client.submit(report)
    data = bytes(range(256)) * 50
    uploaded = client.upload(report_id, "photo.jpg", iter(_chunks(data)), len(data))
    assert uploaded.md5 == hashlib.md5(data).hexdigest()
    assert uploaded.size == len(data)
    client.file_info(
        report_id, uploaded.file_id, FileOptions(file_viewed_by_esp=True), [("MD5", uploaded.md5)]
    )
    assert client.finish(report_id) == (uploaded.file_id,)
    stored = standin.reports[report_id]
    assert stored.finished
    assert stored.files[uploaded.file_id].md5 == uploaded.md5
    assert stored.files[uploaded.file_id].details is not None


def test_an_upload_of_unknown_size_is_sent_chunked(client: NcmecClient, report: Report) -> None:
    report_id = client.submit(report)
    data = b"x" * 70_000
    uploaded = client.upload(report_id, "clip.mp4", iter(_chunks(data, 4096)), None)
    assert uploaded.md5 == hashlib.md5(data).hexdigest()


def test_wrong_credentials_are_refused(standin: NcmecStandIn) -> None:
    client = NcmecClient(standin.base_url, "esp-user", "wrong", sleep=lambda _: None)
    with pytest.raises(NcmecAuthenticationFailed):
        client.status()


def test_an_out_of_order_report_is_refused_with_4100(client: NcmecClient, standin: NcmecStandIn) -> None:
    swapped = (
        b"<report><reporter><reportingPerson><email>a@example.com</email></reportingPerson></reporter>"
        b"<incidentSummary><incidentType>Child Sex Tourism</incidentType>"
        b"<incidentDateTime>2026-01-01T00:00:00Z</incidentDateTime></incidentSummary></report>"
    )
    with pytest.raises(NcmecValidationFailed) as raised:
        client._call("POST", "/submit", swapped, "text/xml", repeatable=False)
    assert raised.value.code == 4100
    missing = (
        b"<report><incidentSummary><incidentType>Child Sex Tourism</incidentType></incidentSummary></report>"
    )
    with pytest.raises(NcmecValidationFailed):
        client._call("POST", "/submit", missing, "text/xml", repeatable=False)
    assert standin.reports == {}


def test_codes_for_unknown_and_finished_reports(client: NcmecClient, report: Report) -> None:
    with pytest.raises(NcmecReportMissing):
        client.finish("999")
    report_id = client.submit(report)
    client.finish(report_id)
    with pytest.raises(NcmecReportFinished):
        client.finish(report_id)
    with pytest.raises(NcmecReportFinished):
        client.retract(report_id)


def test_server_errors_are_retried_and_submit_once(
    client: NcmecClient, standin: NcmecStandIn, report: Report
) -> None:
    standin.fail("/submit", "http500")
    standin.fail("/submit", "code1000")
    client.submit(report)
    assert len(standin.reports) == 1
    assert standin.calls.count("POST /submit") == 3


def test_a_submit_without_answer_is_never_repeated(
    client: NcmecClient, standin: NcmecStandIn, report: Report
) -> None:
    standin.fail("/submit", "lost_answer")
    with pytest.raises(NcmecOutcomeUnknown):
        client.submit(report)
    assert standin.calls.count("POST /submit") == 1


def test_finish_whose_answers_were_lost_finishes_once(
    client: NcmecClient, standin: NcmecStandIn, report: Report
) -> None:
    report_id = client.submit(report)
    standin.fail("/finish", "lost_answer", times=2)
    client.finish(report_id)
    assert standin.finished_reports() == [report_id]
    assert standin.calls.count("POST /finish") == 3


def test_an_unreachable_service_is_unavailable(report: Report) -> None:
    client = NcmecClient("http://127.0.0.1:9/ispws", "u", "p", timeout=1, attempts=2, sleep=lambda _: None)
    with pytest.raises(NcmecUnavailable):
        client.submit(report)


def test_retries_stop_after_the_last_attempt(
    client: NcmecClient, standin: NcmecStandIn, report: Report
) -> None:
    standin.fail("/submit", "http500", times=5)
    with pytest.raises(NcmecUnavailable):
        client.submit(report)
    assert standin.reports == {}


def test_answers_that_are_not_ncmec_documents_are_unavailable() -> None:
    with pytest.raises(NcmecUnavailable):
        parse_answer(b"<html>proxy error</html>")
    assert parse_answer(b"<reportResponse><responseCode>0</responseCode></reportResponse>").code == 0


def test_base_urls_must_be_http() -> None:
    with pytest.raises(Exception, match="base URL"):
        NcmecClient("ftp://example.com", "u", "p")

"""A client for NCMEC's CyberTipline reporting web service.

Every call uses HTTP Basic authentication against a base URL (NCMEC's test or production
environment, or any stand-in). Answers are NCMEC's ``<reportResponse>`` or
``<reportDoneResponse>`` documents; a non-zero ``responseCode`` becomes a typed
``NcmecError`` (see ``mediamatch.errors``).

Retries never submit a report twice:

- a request that failed before it was sent (the connection was refused or broke while
  connecting) is retried for every endpoint;
- an answer that says the server failed (HTTP 5xx, or code 1000) is retried for every
  endpoint: NCMEC did not process the request;
- a request sent without an answer (a timeout, a dropped connection) is retried only where
  repeating it is harmless: ``/fileinfo`` and ``/retract`` are, ``/finish`` is too (a
  repeat that finds the report finished counts as success), while ``/submit`` raises
  ``NcmecOutcomeUnknown`` (an orphan report NCMEC never saw finished is deleted by NCMEC
  after 24 hours) and ``/upload`` cannot be repeated because its stream is consumed.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import secrets
import ssl
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit
from xml.etree import ElementTree

from mediamatch.errors import (
    NcmecAuthenticationFailed,
    NcmecError,
    NcmecOutcomeUnknown,
    NcmecReportFinished,
    NcmecReportMissing,
    NcmecUnavailable,
    NcmecValidationFailed,
    UploadCorrupted,
)
from mediamatch.reporting.cybertip import FileOptions, Report, file_details_xml, report_xml

PRODUCTION_URL = "https://report.cybertip.org/ispws"
TEST_URL = "https://exttest.cybertip.org/ispws"
XML = "text/xml; charset=utf-8"
CHUNK = 256 * 1024

_ERRORS: dict[int, type[NcmecError]] = {
    1000: NcmecUnavailable,
    2000: NcmecAuthenticationFailed,
    3100: NcmecAuthenticationFailed,
    4100: NcmecValidationFailed,
    5001: NcmecReportMissing,
    5102: NcmecReportFinished,
}


@dataclass(frozen=True, slots=True)
class NcmecAnswer:
    """One parsed answer; fields NCMEC did not send are None or empty."""

    code: int
    description: str
    report_id: str | None = None
    file_id: str | None = None
    md5: str | None = None
    file_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UploadedFile:
    file_id: str
    md5: str
    sha1: str
    size: int


class _NotSent(Exception):
    """The request never reached the server: always safe to retry."""


class _NoAnswer(Exception):
    """The request was (perhaps) sent, but no answer was read."""


def parse_answer(body: bytes) -> NcmecAnswer:
    """An NCMEC answer document; raises NcmecUnavailable when it is not one."""
    try:
        root = ElementTree.fromstring(body)
        code = int(root.findtext("responseCode", ""))
    except (ElementTree.ParseError, ValueError):
        raise NcmecUnavailable(f"NCMEC answered with an unreadable document: {body[:200]!r}") from None
    files = root.find("files")
    return NcmecAnswer(
        code=code,
        description=(root.findtext("responseDescription") or "").strip(),
        report_id=root.findtext("reportId"),
        file_id=root.findtext("fileId"),
        md5=root.findtext("hash"),
        file_ids=tuple(e.text or "" for e in files.findall("fileId")) if files is not None else (),
    )


def _retry_decision(
    error: Exception, call: str, last: bool, repeatable: bool, body: bytes | Iterator[bytes] | None
) -> NcmecAnswer | None:
    """None to try again; raises when the call must not (or cannot) be repeated. A report found
    finished returns an answer: the caller decides whether an earlier attempt finished it."""
    if isinstance(error, NcmecReportFinished):
        return NcmecAnswer(0, "finished by an earlier attempt")
    if isinstance(error, _NotSent):  # nothing of the body was read: safe to repeat
        if last:
            raise NcmecUnavailable(f"NCMEC could not be reached: {error}") from None
        return None
    if isinstance(error, _NoAnswer):
        if not repeatable:
            raise NcmecOutcomeUnknown(
                f"no answer from NCMEC to {call} ({error}); not repeated: it may have been processed"
            ) from None
        if last:
            raise NcmecUnavailable(f"no answer from NCMEC to {call}: {error}") from None
        return None
    if last or not isinstance(body, bytes | None):  # a server failure; a consumed stream cannot be resent
        raise error
    return None


class NcmecClient:
    """Calls to one NCMEC environment; safe to share between threads (one connection per call)."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        timeout: float = 60.0,
        attempts: int = 4,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise NcmecError(f"NCMEC base URL must be http(s)://host/path, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._parts = parts
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self._authorization = f"Basic {token}"
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self._sleep = sleep

    # -- the endpoints --------------------------------------------------------------------

    def status(self) -> NcmecAnswer:
        """``GET /status``: checks the credentials; raises on failure."""
        return self._call("GET", "/status", None, None, repeatable=True)

    def submit(self, report: Report) -> str:
        """``POST /submit``: opens a report and returns NCMEC's report id."""
        answer = self._call("POST", "/submit", report_xml(report), XML, repeatable=False)
        if not answer.report_id:
            raise NcmecUnavailable("NCMEC accepted the report but sent no reportId")
        return answer.report_id

    def upload(
        self, report_id: str, filename: str, chunks: Iterable[bytes], size: int | None
    ) -> UploadedFile:
        """``POST /upload``: streams the file to NCMEC without keeping it, and checks that the
        MD5 NCMEC computed equals the MD5 of the bytes sent. ``size`` (when known) lets the
        request carry a Content-Length; otherwise it is sent chunked."""
        boundary = "mm" + secrets.token_hex(16)
        safe_name = filename.replace('"', "").replace("\r", "").replace("\n", "") or "file"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="id"\r\n\r\n{report_id}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{safe_name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        md5, sha1 = hashlib.md5(usedforsecurity=False), hashlib.sha1(usedforsecurity=False)
        sent = 0

        def body() -> Iterator[bytes]:
            nonlocal sent
            yield head
            for chunk in chunks:
                md5.update(chunk)
                sha1.update(chunk)
                sent += len(chunk)
                yield chunk
            yield tail

        length = None if size is None else len(head) + size + len(tail)
        content_type = f"multipart/form-data; boundary={boundary}"
        answer = self._call("POST", "/upload", body(), content_type, repeatable=False, length=length)
        if not answer.file_id:
            raise NcmecUnavailable("NCMEC accepted the upload but sent no fileId")
        if (answer.md5 or "").lower() != md5.hexdigest():
            raise UploadCorrupted(
                f"NCMEC computed MD5 {answer.md5} for file {answer.file_id}, we sent {md5.hexdigest()}"
            )
        return UploadedFile(answer.file_id, md5.hexdigest(), sha1.hexdigest(), sent)

    def file_info(
        self, report_id: str, file_id: str, options: FileOptions, file_hashes: Iterable[tuple[str, str]]
    ) -> None:
        """``POST /fileinfo``: the details of one uploaded file."""
        document = file_details_xml(report_id, file_id, options, file_hashes)
        self._call("POST", "/fileinfo", document, XML, repeatable=True)

    def finish(self, report_id: str) -> tuple[str, ...]:
        """``POST /finish``: completes the report; returns the file ids NCMEC holds (empty when
        a repeat found the report already finished)."""
        form = urlencode({"id": report_id}).encode()
        answer = self._call(
            "POST", "/finish", form, "application/x-www-form-urlencoded", repeatable=True, finished_ok=True
        )
        return answer.file_ids

    def retract(self, report_id: str) -> None:
        """``POST /retract``: withdraws a report that is not finished."""
        form = urlencode({"id": report_id}).encode()
        self._call("POST", "/retract", form, "application/x-www-form-urlencoded", repeatable=True)

    # -- transport ------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        body: bytes | Iterator[bytes] | None,
        content_type: str | None,
        *,
        repeatable: bool,
        length: int | None = None,
        finished_ok: bool = False,
    ) -> NcmecAnswer:
        """One endpoint call with the retry rules of the module docstring. With ``finished_ok``,
        a repeat that finds the report finished means an earlier attempt finished it."""
        for attempt in range(1, self.attempts + 1):
            try:
                return self._once(method, path, body, content_type, length)
            except (_NotSent, _NoAnswer, NcmecUnavailable, NcmecReportFinished) as error:
                failure = f"{method} {path}"
                retry = _retry_decision(error, failure, attempt == self.attempts, repeatable, body)
                if isinstance(retry, NcmecAnswer):
                    if not (finished_ok and attempt > 1):
                        raise
                    return retry
            self._sleep(self.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")  # pragma: no cover

    def _connection(self) -> http.client.HTTPConnection:
        host, port = self._parts.hostname or "", self._parts.port
        if self._parts.scheme == "https":
            return http.client.HTTPSConnection(
                host, port, timeout=self.timeout, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(host, port, timeout=self.timeout)

    def _once(
        self,
        method: str,
        path: str,
        body: bytes | Iterator[bytes] | None,
        content_type: str | None,
        length: int | None,
    ) -> NcmecAnswer:
        connection = self._connection()
        try:
            try:
                connection.connect()
            except (OSError, ssl.SSLError) as error:
                raise _NotSent(str(error)) from error
            headers = {"Authorization": self._authorization, "Accept": "text/xml"}
            if content_type:
                headers["Content-Type"] = content_type
            if isinstance(body, bytes):
                length = len(body)
            if length is not None:
                headers["Content-Length"] = str(length)
            chunked = body is not None and length is None
            try:
                connection.request(
                    method, self._parts.path + path, body=body, headers=headers, encode_chunked=chunked
                )
                response = connection.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as error:
                raise _NoAnswer(str(error) or type(error).__name__) from error
        finally:
            connection.close()
        return self._answer(response.status, payload)

    @staticmethod
    def _answer(status: int, payload: bytes) -> NcmecAnswer:
        if status == 401:
            raise NcmecAuthenticationFailed("NCMEC refused the credentials (HTTP 401)", 2000)
        if status >= 500 and not payload.lstrip().startswith(b"<"):
            raise NcmecUnavailable(f"NCMEC answered HTTP {status}")
        answer = parse_answer(payload)
        if answer.code != 0:
            kind = _ERRORS.get(answer.code, NcmecError)
            raise kind(f"NCMEC code {answer.code}: {answer.description or 'no description'}", answer.code)
        return answer

"""A local stand-in for NCMEC's CyberTipline reporting service, for tests only.

It serves the documented endpoints (``/status``, ``/submit``, ``/upload``, ``/fileinfo``,
``/finish``, ``/retract``) over HTTP on 127.0.0.1 with Basic authentication, answers with
``<reportResponse>`` / ``<reportDoneResponse>`` documents and NCMEC's response codes, and
validates every XML document against ``ncmec_subset.xsd``: an element out of order, a
missing required element or a bad value is refused with code 4100, as NCMEC does.

Faults can be queued per endpoint with ``fail(path, mode, times)``:

- ``"http500"``: answer HTTP 500 without processing;
- ``"code1000"``: answer NCMEC's server error (1000) without processing;
- ``"lost_answer"``: process the request, then drop the connection without answering.

Only hashes and sizes of uploaded files are kept, never their bytes.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import xmlschema

SCHEMA = xmlschema.XMLSchema(Path(__file__).with_name("ncmec_subset.xsd"))


@dataclass
class StoredFile:
    md5: str
    size: int
    details: ElementTree.Element | None = None


@dataclass
class StoredReport:
    report: ElementTree.Element
    files: dict[str, StoredFile] = field(default_factory=dict)
    finished: bool = False
    retracted: bool = False


class NcmecStandIn:
    """Start with ``start()`` (returns the base URL), stop with ``stop()``."""

    def __init__(self, username: str = "esp-user", password: str = "esp-password") -> None:
        self.credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.reports: dict[str, StoredReport] = {}
        self.calls: list[str] = []
        self.base_url = ""
        self._faults: dict[str, list[str]] = defaultdict(list)
        self._ids = itertools.count(4_564_654)
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.standin = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> str:
        """Serve in a background thread; returns (and sets ``base_url`` to) the base URL."""
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host!s}:{port}/ispws"
        return self.base_url

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(self, path: str, mode: str, times: int = 1) -> None:
        self._faults[path] += [mode] * times

    def next_fault(self, path: str) -> str | None:
        with self._lock:
            queue = self._faults[path]
            return queue.pop(0) if queue else None

    def finished_reports(self) -> list[str]:
        return [rid for rid, report in self.reports.items() if report.finished]

    # -- endpoint logic: each returns (HTTP status, XML answer) ------------------------------

    def submit(self, body: bytes) -> str:
        document = _validated(body, "report")
        report_id = str(next(self._ids))
        with self._lock:
            self.reports[report_id] = StoredReport(document)
        return _answer(0, "Success", reportId=report_id)

    def upload(self, form: dict[str, tuple[str | None, bytes]]) -> str:
        report = self._open_report(form.get("id", (None, b""))[1].decode())
        if "file" not in form:
            raise _Refused(4100, "file is required")
        content = form["file"][1]
        file_id = uuid.uuid4().hex
        md5 = hashlib.md5(content, usedforsecurity=False).hexdigest()
        report.files[file_id] = StoredFile(md5, len(content))
        return _answer(0, "Success", reportId=form["id"][1].decode(), fileId=file_id, hash=md5)

    def file_info(self, body: bytes) -> str:
        document = _validated(body, "fileDetails")
        report_id = document.findtext("reportId", "")
        report = self._open_report(report_id)
        file_id = document.findtext("fileId", "")
        if file_id not in report.files:
            raise _Refused(5001, f"file {file_id} is not part of report {report_id}")
        report.files[file_id].details = document
        return _answer(0, "Success", reportId=report_id)

    def finish(self, report_id: str) -> str:
        report = self._open_report(report_id)
        report.finished = True
        files = "".join(f"<fileId>{escape(f)}</fileId>" for f in report.files)
        return (
            "<?xml version='1.0' encoding='UTF-8'?><reportDoneResponse><responseCode>0</responseCode>"
            f"<reportId>{escape(report_id)}</reportId><files>{files}</files></reportDoneResponse>"
        )

    def retract(self, report_id: str) -> str:
        report = self._open_report(report_id)
        report.retracted = True
        return _answer(0, "Success", reportId=report_id)

    def _open_report(self, report_id: str) -> StoredReport:
        report = self.reports.get(report_id)
        if report is None or report.retracted:
            raise _Refused(5001, f"report {report_id} does not exist")
        if report.finished:
            raise _Refused(5102, f"report {report_id} is already finished")
        return report


class _Refused(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code


def _answer(code: int, description: str, **fields: str) -> str:
    extra = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in fields.items())
    return (
        "<?xml version='1.0' encoding='UTF-8'?><reportResponse>"
        f"<responseCode>{code}</responseCode><responseDescription>{escape(description)}"
        f"</responseDescription>{extra}</reportResponse>"
    )


def _validated(body: bytes, root: str) -> ElementTree.Element:
    try:
        document = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        raise _Refused(4100, f"not well-formed XML: {error}") from None
    if document.tag != root:
        raise _Refused(4100, f"expected <{root}>, got <{document.tag}>")
    errors = list(SCHEMA.iter_errors(document))
    if errors:
        raise _Refused(4100, f"schema validation failed: {errors[0].reason} at {errors[0].path}")
    return document


def _multipart(body: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    boundary = content_type.split("boundary=", 1)[1].strip().strip('"').encode()
    form: dict[str, tuple[str | None, bytes]] = {}
    for part in body.split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.partition(b"\r\n\r\n")
        disposition = next(
            line for line in head.decode().split("\r\n") if line.lower().startswith("content-disposition")
        )
        params = dict(item.strip().split("=", 1) for item in disposition.split(";")[1:] if "=" in item)
        name = params["name"].strip('"')
        filename = params["filename"].strip('"') if "filename" in params else None
        form[name] = (filename, content.removesuffix(b"\r\n"))
    return form


class _Server(ThreadingHTTPServer):
    standin: NcmecStandIn


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length", "0")))
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0].strip(), 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        self.rfile.readline()
        return b"".join(chunks)

    def _send(self, status: int, text: str) -> None:
        payload = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _authorised(self) -> bool:
        if self.headers.get("Authorization", "") == f"Basic {self.server.standin.credentials}":
            return True
        self._send(401, _answer(2000, "Authentication required"))
        return False

    def do_GET(self) -> None:
        path = self.path.removeprefix("/ispws")
        self.server.standin.calls.append(f"GET {path}")
        if not self._authorised():
            return
        if path == "/status":
            self._send(200, _answer(0, "Remote User : esp-user"))
        else:
            self._send(404, _answer(1000, f"no endpoint {path}"))

    def do_POST(self) -> None:
        standin = self.server.standin
        path = self.path.removeprefix("/ispws")
        body = self._body()
        standin.calls.append(f"POST {path}")
        if not self._authorised():
            return
        fault = standin.next_fault(path)
        if fault == "http500":
            self._send(500, "")
            return
        if fault == "code1000":
            self._send(200, _answer(1000, "Server error"))
            return
        try:
            text = self._route(path, body)
        except _Refused as refused:
            text = _answer(refused.code, str(refused))
        if fault == "lost_answer":
            self.close_connection = True
            self.connection.close()
            return
        self._send(200, text)

    def _route(self, path: str, body: bytes) -> str:
        standin = self.server.standin
        report_id = parse_qs(body.decode(errors="replace")).get("id", [""])[0]
        if path == "/submit":
            return standin.submit(body)
        if path == "/upload":
            return standin.upload(_multipart(body, self.headers.get("Content-Type", "")))
        if path == "/fileinfo":
            return standin.file_info(body)
        if path == "/finish":
            return standin.finish(report_id)
        if path == "/retract":
            return standin.retract(report_id)
        raise _Refused(1000, f"no endpoint {path}")

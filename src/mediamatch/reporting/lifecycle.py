"""The life of a CyberTipline report: draft -> open -> files uploaded -> finished.

``ReportDesk`` opens a report from the tracking ids of an organisation's matches, sends
files to NCMEC as they stream in (keeping only their hashes), finishes or retracts it,
and persists every step, so the state shown is what NCMEC has:

- a report is a draft until NCMEC accepts it; it fails, with NCMEC's reason, if NCMEC
  refuses it or the outcome of the submission is unknown (the orphan is deleted by NCMEC);
- a file is recorded once NCMEC holds it; its details are sent right after, and again at
  finish if that failed;
- finishing twice, or after an earlier attempt whose answer was lost, leaves one finished
  report;
- an open report NCMEC has deleted (24 hours after opening, or 1 hour after the last
  change, whichever is later) is marked failed when next touched, and listed as expired.

``on_change`` is called with the new record after every state change (webhooks use it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from mediamatch.errors import (
    InvalidReport,
    NcmecError,
    NcmecReportFinished,
    NcmecReportMissing,
    ReportConflict,
    ReportError,
)
from mediamatch.reporting.cybertip import FileOptions, Report
from mediamatch.reporting.ncmec import NcmecClient
from mediamatch.store import Classification, Entry, Store
from mediamatch.store.reports import (
    DuplicateReportRequest,
    ReportRecord,
    ReportRequest,
    ReportState,
    ReportStore,
)
from mediamatch.store.usage import matched_by_tracking_id

ClientFor = Callable[[str], NcmecClient]
"""The NCMEC client for an API key environment (``test`` or ``live``)."""
OnChange = Callable[[ReportRecord], None]
MAX_TRACKING_IDS = 100
SEVERITY = [Classification.A1, Classification.A2, Classification.B1, Classification.B2]


def most_severe(entries: Iterable[Entry]) -> Classification | None:
    """The most severe classification among entries (A1 first), or None if none is classified."""
    found = {e.classification for e in entries if e.classification is not None}
    return next((c for c in SEVERITY if c in found), None)


def match_summary(entries: Sequence[Entry], bank_names: dict[int, str]) -> str:
    """A short account of the known hashes matched, for the report's additional information."""
    lines = [f"Matched {len(entries)} known hash(es) with mediamatch:"]
    for entry in entries[:20]:
        classification = entry.classification.value if entry.classification else "unclassified"
        reference = f", external id {entry.external_id}" if entry.external_id else ""
        lines.append(
            f"- {entry.algorithm} hash in bank {bank_names.get(entry.bank_id, entry.bank_id)}, "
            f"{classification}{reference}"
        )
    return "\n".join(lines)


def report_event(record: ReportRecord) -> dict[str, Any]:
    """The ``report.state_changed`` webhook payload: ids, state, failure and times; no details."""
    moment = {
        "created_at": record.created_at,
        "opened_at": record.opened_at,
        "closed_at": record.closed_at,
        "expires_at": record.expires_at,
    }
    return {
        "report_id": record.id,
        "state": record.state.value,
        "environment": record.environment,
        "ncmec_report_id": record.ncmec_report_id,
        "failure": record.failure,
        "tracking_ids": list(record.tracking_ids),
        "files": len(record.files),
        **{name: value.isoformat() if value else None for name, value in moment.items()},
    }


class ReportDesk:
    def __init__(self, store: Store, clients: ClientFor, on_change: OnChange | None = None) -> None:
        self.store = store
        self.reports = ReportStore(store)
        self.clients = clients
        self.on_change = on_change

    def _changed(self, record: ReportRecord) -> ReportRecord:
        if self.on_change is not None:
            self.on_change(record)
        return record

    def _matched_entries(self, organisation_id: int, tracking_ids: Sequence[str]) -> list[Entry]:
        if not tracking_ids:
            raise InvalidReport("tracking_ids", "at least one match tracking id is required")
        if len(tracking_ids) > MAX_TRACKING_IDS:
            raise InvalidReport("tracking_ids", f"at most {MAX_TRACKING_IDS} tracking ids per report")
        matched = matched_by_tracking_id(self.store, tracking_ids, organisation_id)
        entry_ids: set[int] = set()
        for index, tracking_id in enumerate(tracking_ids):
            if tracking_id not in matched:
                raise InvalidReport(
                    f"tracking_ids[{index}]", "no match request of your organisation has this id"
                )
            if not matched[tracking_id]:
                raise InvalidReport(f"tracking_ids[{index}]", "this match request matched nothing")
            entry_ids.update(matched[tracking_id])
        return self.store.get_entries(entry_ids)

    def open(
        self,
        *,
        organisation_id: int,
        key_id: str,
        environment: str,
        tracking_ids: Sequence[str],
        report: Report,
        request: ReportRequest | None = None,
        repeat: bool = False,
    ) -> tuple[ReportRecord, bool]:
        """Record a draft and submit it to NCMEC; the result is open, or failed (and raised), and
        whether it is the answer to an earlier request (a retry).

        ``request``: a retry with the same idempotency key and body gets the first request's
        report (as it stands now) and files nothing; the same key with another body is a
        ``ReportConflict``, across workers and replicas (the store's unique key decides). Matches
        (tracking ids) that another report of the organisation already names are a
        ``ReportConflict`` too, unless ``repeat``.
        """
        if request is not None:
            earlier = self._earlier(organisation_id, request)
            if earlier is not None:
                return earlier, True
        if not repeat:
            named = self.reports.reported_tracking_ids(organisation_id, tracking_ids)
            if named and request is not None:
                # A concurrent retry with this key may have filed between the two looks.
                earlier = self._earlier(organisation_id, request)
                if earlier is not None:
                    return earlier, True
            if named:
                listed = ", ".join(f"{t} (report {r})" for t, r in sorted(named.items()))
                raise ReportConflict(
                    f'already reported: {listed}; send "repeat": true to report these matches again'
                )
        client = self.clients(environment)
        entries = self._matched_entries(organisation_id, tracking_ids)
        names = {bank.id: bank.name for bank in self.store.banks()}
        report = report.with_additional_info(match_summary(entries, names))
        try:
            draft = self.reports.create(
                organisation_id,
                key_id,
                environment,
                tracking_ids,
                [e.id for e in entries],
                report.model_dump(mode="json"),
                request,
            )
        except DuplicateReportRequest:  # a concurrent retry was first
            earlier = self._earlier(organisation_id, request) if request is not None else None
            if earlier is None:
                raise ReportConflict("a request with this idempotency key is being handled") from None
            return earlier, True
        self._changed(draft)
        try:
            ncmec_id = client.submit(report)
        except NcmecError as error:
            self._changed(self.reports.set_state(draft.id, ReportState.FAILED, failure=str(error)))
            raise
        return self._changed(
            self.reports.set_state(draft.id, ReportState.OPEN, ncmec_report_id=ncmec_id)
        ), False

    def _earlier(self, organisation_id: int, request: ReportRequest) -> ReportRecord | None:
        found = self.reports.by_request(organisation_id, request.key)
        if found is None:
            return None
        record, digest = found
        if digest != request.digest:
            raise ReportConflict(
                f"idempotency key {request.key!r} was used for another request (report {record.id})"
            )
        return record

    def _at_ncmec(self, report_id: int, organisation_id: int) -> ReportRecord:
        record = self.reports.get(report_id, organisation_id)
        if not record.state.at_ncmec:
            raise ReportError(f"report {report_id} is {record.state.value}")
        if record.expired():
            failed = self.reports.set_state(
                record.id, ReportState.FAILED, failure="NCMEC deleted the report: it was not finished in time"
            )
            self._changed(failed)
            raise ReportError(f"report {report_id} expired at NCMEC before it was finished")
        return record

    def add_file(
        self,
        report_id: int,
        organisation_id: int,
        file_name: str | None,
        chunks: Iterable[bytes],
        size: int | None,
        options: FileOptions,
    ) -> ReportRecord:
        """Stream one file to NCMEC, record its hashes, and send its details.

        Unless ``options`` says otherwise the industry classification is the most severe
        one among the matched entries."""
        record = self._at_ncmec(report_id, organisation_id)
        client = self.clients(record.environment)
        ncmec_id = record.ncmec_report_id or ""
        uploaded = client.upload(ncmec_id, file_name or "file", chunks, size)
        if options.industry_classification is None:
            classification = most_severe(self.store.get_entries(record.entry_ids))
            options = options.model_copy(update={"industry_classification": classification})
        if file_name and options.original_file_name is None:
            options = options.model_copy(update={"original_file_name": file_name})
        file_row = self.reports.add_file(
            record.id,
            uploaded.file_id,
            file_name,
            uploaded.size,
            uploaded.md5,
            uploaded.sha1,
            options.model_dump(mode="json"),
        )
        client.file_info(
            ncmec_id, uploaded.file_id, options, [("MD5", uploaded.md5), ("SHA1", uploaded.sha1)]
        )
        self.reports.mark_details_sent(file_row)
        return self._changed(self.reports.set_state(record.id, ReportState.FILES_UPLOADED))

    def _send_pending_details(self, record: ReportRecord, client: NcmecClient) -> None:
        for file in record.files:
            if not file.details_sent:
                options = FileOptions.model_validate(file.details)
                hashes = [("MD5", file.md5), ("SHA1", file.sha1)]
                client.file_info(record.ncmec_report_id or "", file.ncmec_file_id, options, hashes)
                self.reports.mark_details_sent(file.id)

    def finish(self, report_id: int, organisation_id: int) -> ReportRecord:
        """Finish the report at NCMEC. A report NCMEC already holds as finished is recorded so."""
        record = self._at_ncmec(report_id, organisation_id)
        client = self.clients(record.environment)
        ncmec_id = record.ncmec_report_id or ""
        try:
            self._send_pending_details(record, client)
            client.finish(ncmec_id)
        except NcmecReportFinished:
            pass
        except NcmecReportMissing as error:
            self._changed(self.reports.set_state(record.id, ReportState.FAILED, failure=str(error)))
            raise
        return self._changed(self.reports.set_state(record.id, ReportState.FINISHED))

    def retract(self, report_id: int, organisation_id: int) -> ReportRecord:
        """Withdraw a report that is not finished; a draft is simply closed."""
        record = self.reports.get(report_id, organisation_id)
        if record.state is ReportState.DRAFT:
            return self._changed(self.reports.set_state(record.id, ReportState.RETRACTED))
        record = self._at_ncmec(report_id, organisation_id)
        try:
            self.clients(record.environment).retract(record.ncmec_report_id or "")
        except NcmecReportFinished:
            self._changed(self.reports.set_state(record.id, ReportState.FINISHED))
            raise ReportError(
                f"report {report_id} is already finished at NCMEC and cannot be retracted"
            ) from None
        except NcmecReportMissing:
            pass  # NCMEC no longer has it: the outcome the caller wanted
        return self._changed(self.reports.set_state(record.id, ReportState.RETRACTED))

    def get(self, report_id: int, organisation_id: int | None) -> ReportRecord:
        return self.reports.get(report_id, organisation_id)

    def recent(self, organisation_id: int | None, limit: int = 100) -> list[ReportRecord]:
        return self.reports.recent(organisation_id, limit)

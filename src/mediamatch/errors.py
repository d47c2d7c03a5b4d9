"""Domain exceptions raised by the core.

Front ends translate these once: the CLI's ``main()`` maps them to messages and
exit codes, the service (later) to HTTP statuses. Code below the front ends
never prints, exits or builds HTTP responses.
"""

from __future__ import annotations


class MediamatchError(Exception):
    """Base of every error mediamatch raises on purpose."""


class MediaError(MediamatchError):
    """The input media cannot be turned into pixels."""


class UnsupportedMedia(MediaError):
    """The bytes are not a media type we decode (sniffed from magic bytes, not the name)."""


class CorruptMedia(MediaError):
    """The bytes claim a supported type but are empty, truncated or malformed."""


class ImageTooLarge(MediaError):
    """The input exceeds a configured byte or pixel limit; checked before a full decode."""


class DecodeBusy(MediaError):
    """The picture fits the limits, but the memory for decoding it is taken by others now: retry."""


class VideoTooLarge(ImageTooLarge):
    """A video exceeds a configured byte, duration, frame or pixel limit; checked from the container first."""


class InvalidHash(MediamatchError):
    """A hash text or value is malformed for its algorithm."""


class DegenerateHash(InvalidHash):
    """A well-formed hash that would match unrelated content (all zeros, an empty file's digest):
    banks refuse it unless told to keep it."""


class UnknownAlgorithm(MediamatchError):
    """No algorithm with this name is registered."""


class DuplicateAlgorithm(MediamatchError):
    """Two plug-ins tried to register the same algorithm name."""


class CapabilityNotSupported(MediamatchError):
    """The algorithm does not declare the optional capability that was asked for."""


class LowQuality(MediamatchError):
    """The media is too flat or too small for a hash that can be trusted for matching."""


class IndexSnapshotError(MediamatchError):
    """An index snapshot is corrupt, truncated, of another format version, kind or algorithm."""


class StoreUnavailable(MediamatchError):
    """The database cannot be reached now (stopped, restarting, or cut off): retry later.

    Raised in place of the driver's connection errors. The operation that raised it may or
    may not have been carried out if the connection broke while it committed.
    """


class BankError(MediamatchError):
    """A bank operation cannot be carried out."""


class BankNotFound(BankError):
    """No bank has this name."""


class BankExists(BankError):
    """A bank with this name already exists."""


class InvalidBank(BankError):
    """A bank name, classification or setting is malformed."""


class ImportFailed(MediamatchError):
    """A hash-list file has bad rows; nothing from it was stored. ``errors`` lists (line, message)."""

    def __init__(self, message: str, errors: list[tuple[int, str]]) -> None:
        super().__init__(message)
        self.errors = errors


class ScanError(MediamatchError):
    """A scan cannot start or go on: a bad ignore list, a case folder in use or of another kind."""


class AuthenticationFailed(MediamatchError):
    """No API key, an unknown one, or a revoked one."""


class PermissionDenied(MediamatchError):
    """The API key is valid but lacks the scope, or the resource belongs to another organisation."""


class WebhookError(MediamatchError):
    """A webhook endpoint or delivery operation cannot be carried out (bad URL or event, unknown id)."""


class InvalidSignature(MediamatchError):
    """A webhook signature header is malformed, stale, or does not match the body."""


class FeedbackRejected(MediamatchError):
    """Feedback names a tracking id or entry that did not match for the caller's organisation."""


class InvalidPeriod(MediamatchError):
    """A usage period has a malformed date or ends before it starts."""


class AccountError(MediamatchError):
    """An organisation or API key operation cannot be carried out (bad name, duplicate, unknown)."""


class RateLimited(MediamatchError):
    """Too many requests for this key now (rate limit) or this month (quota); wait ``retry_after`` s."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InvalidReport(MediamatchError):
    """A report's details are missing or malformed; ``field`` names the first bad one."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ReportError(MediamatchError):
    """A report operation is not possible in the report's state, or the report is unknown."""


class ReportConflict(ReportError):
    """A report request conflicts with one made before: an idempotency key reused with another body,
    or matches that a report already names (HTTP 409)."""


class ReportNotFound(ReportError):
    """No report with this id belongs to the caller's organisation."""


class NcmecError(MediamatchError):
    """NCMEC's reporting service refused a request or could not be reached.

    ``code`` is NCMEC's response code (0 success, 1000 server error, 2000 authentication,
    3100 not authorised to submit, 4100 validation failed, 5001 no such report, 5102 report
    already finished), or None when no NCMEC answer was read.
    """

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class NcmecUnavailable(NcmecError):
    """No usable answer: connection failure, timeout, HTTP 5xx or NCMEC's server error (1000)."""


class NcmecOutcomeUnknown(NcmecUnavailable):
    """A request that must not be repeated was sent but no answer came back."""


class NcmecAuthenticationFailed(NcmecError):
    """NCMEC refused the configured credentials (HTTP 401 or code 2000) or submission rights (3100)."""


class NcmecValidationFailed(NcmecError):
    """NCMEC found the XML invalid for its schema (code 4100)."""


class NcmecReportMissing(NcmecError):
    """NCMEC has no such report (code 5001): never opened, retracted, or deleted after 24 hours."""


class NcmecReportFinished(NcmecError):
    """The report is already finished at NCMEC (code 5102)."""


class UploadCorrupted(NcmecError):
    """The MD5 NCMEC computed for an upload differs from the bytes we sent."""


class ReportingNotConfigured(ReportError):
    """No NCMEC credentials are configured for the environment a report would go to."""

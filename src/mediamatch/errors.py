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


class InvalidHash(MediamatchError):
    """A hash text or value is malformed for its algorithm."""


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


class AccountError(MediamatchError):
    """An organisation or API key operation cannot be carried out (bad name, duplicate, unknown)."""


class RateLimited(MediamatchError):
    """Too many requests for this key now (rate limit) or this month (quota); wait ``retry_after`` s."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

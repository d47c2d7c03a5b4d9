"""Plain records the scanner passes between processes and stores in the case database."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mediamatch.scan.kinds import FileKind

MEMBER_SEPARATOR = "!"
"""Separates an archive's path from a member's path inside it: ``evidence.zip!photos/a.jpg``."""


class Status(enum.Enum):
    """Outcome for one file. ``hashed``: every hash that applies was made; ``ignored``: on an
    ignore list (digests kept, nothing else); ``error``: a read, archive or decode failure."""

    HASHED = "hashed"
    IGNORED = "ignored"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Times:
    """File times in seconds since the epoch (UTC); None when the source does not record one.

    Archive members carry only a modification time (zip: local time as stored, read as UTC).
    """

    modified: float | None = None
    changed: float | None = None
    accessed: float | None = None


@dataclass(frozen=True, slots=True)
class Unit:
    """One piece of planned work: a regular file on disk with everything inside it, or for a
    large zip archive, a range of its members (``members``: first and end index in the
    archive's directory; the range starting at 0 also records the archive itself)."""

    id: int
    path: str
    size: int
    members: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Hash:
    """One hash in its algorithm's canonical text, with its quality where the algorithm has one."""

    algorithm: str
    text: str
    quality: int | None = None
    variant: str = ""
    """Empty for the file's own hash; else the resilience stage's label (``flipx``, ``box1``)."""


@dataclass(frozen=True, slots=True)
class FileRecord:
    """What the scan learned about one file or archive member."""

    path: str
    size: int
    times: Times
    kind: FileKind
    type_name: str | None = None
    status: Status = Status.HASHED
    md5: str | None = None
    sha1: str | None = None
    hashes: tuple[Hash, ...] = ()
    width: int | None = None
    height: int | None = None
    error_kind: str | None = None
    error_message: str | None = None
    note: str | None = None

    def hash_text(self, algorithm: str) -> str | None:
        return next((h.text for h in self.hashes if h.algorithm == algorithm and not h.variant), None)

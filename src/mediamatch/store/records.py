"""Plain values the store hands out and takes in; no SQLAlchemy types leak past the store."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from mediamatch.errors import InvalidBank

BANK_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
KEYPOINTS_REGION = "keypoints"
"""The stored region that holds a bank picture's keypoints (``algorithms.keypoints``), not a hash:
region indexes leave it out."""


class Classification(enum.Enum):
    """Industry classification of known material, as NCMEC and the Tech Coalition use it."""

    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"

    @classmethod
    def parse(cls, text: str | None) -> Classification | None:
        """None for an empty value; raises InvalidBank for anything but A1, A2, B1 or B2."""
        if text is None or not text.strip():
            return None
        try:
            return cls(text.strip().upper())
        except ValueError:
            raise InvalidBank(f"classification must be A1, A2, B1 or B2, not {text!r}") from None


def as_utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; every time the store writes is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def as_utc_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)


def check_bank_name(name: str) -> str:
    """Bank names are stored constants: upper case letters, digits and underscores, 1-64 long."""
    if not BANK_NAME.fullmatch(name):
        raise InvalidBank(f"bank name {name!r} must match {BANK_NAME.pattern} (for example NCMEC_IMAGES)")
    return name


@dataclass(frozen=True, slots=True)
class Bank:
    id: int
    name: str
    description: str
    enabled: bool
    suppression: bool
    thresholds: dict[str, int]
    created_at: datetime
    organisation_id: int | None = None
    """The owning organisation; None for a bank shared with every organisation."""


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry to add; ``hash`` is the algorithm's raw bytes.

    ``regions``: ``(region name, raw hash)`` of sub-regions of the same image with the same
    algorithm, stored with the entry (see ``engine.resilience``); empty for hash lists.
    """

    algorithm: str
    hash: bytes
    quality: int | None = None
    classification: Classification | None = None
    tags: tuple[str, ...] = ()
    source: str | None = None
    external_id: str | None = None
    note: str | None = None
    regions: tuple[tuple[str, bytes], ...] = ()
    picture: str | None = None
    """Entries of one ``add_entries`` call that share this key were hashed from one picture: they are
    linked (``Entry.picture_id``) to the one among them that carries ``KEYPOINTS_REGION``."""


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    bank_id: int
    algorithm: str
    hash: bytes
    quality: int | None
    classification: Classification | None
    tags: tuple[str, ...]
    source: str | None
    external_id: str | None
    added_at: datetime
    disabled_until: datetime | None
    note: str | None
    quarantined: bool = False
    """Withheld from matching after disputes, until a curator reinstates or suppresses it."""
    picture_id: int | None = None
    """The entry whose stored regions hold the keypoints of the picture this entry was hashed from
    (``Store.keypoints``); None for entries imported as hashes."""

    def active(self, now: datetime) -> bool:
        """Not disabled at ``now`` (quarantine aside: see ``may_match``)."""
        return self.disabled_until is None or self.disabled_until <= now

    def may_match(self, now: datetime) -> bool:
        """Whether the entry itself may produce a match at ``now``: not disabled, not quarantined.

        The entry's half of ``Store``'s rule for matchable entries; the other half, that the
        bank is enabled, is the bank's (``Bank.enabled``).
        """
        return self.active(now) and not self.quarantined

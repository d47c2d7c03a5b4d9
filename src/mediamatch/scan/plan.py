"""Planning a scan: the units of work, with large zip archives cut into ranges of members.

A zip's central directory lists its members, so a large zip can be hashed by several
workers at once and committed part by part: a scan interrupted inside it keeps the
parts already done. (Tar archives are read as a stream, so each stays one unit.)
"""

from __future__ import annotations

from collections.abc import Sequence

from mediamatch.errors import MediamatchError
from mediamatch.scan.archives import ARCHIVE_ERRORS, zip_directory
from mediamatch.scan.evidence import open_evidence
from mediamatch.scan.kinds import HEAD_BYTES, ArchiveKind, archive_kind
from mediamatch.scan.records import Unit

SPLIT_MIN_BYTES = 16 << 20
PART_BYTES = 8 << 20
PART_MEMBERS = 64


def _zip_parts(path: str, size: int) -> list[Unit]:
    try:
        with open_evidence(path) as handle:
            if archive_kind(handle.read(HEAD_BYTES)) is not ArchiveKind.ZIP:
                return []
            handle.seek(0)
            directory = zip_directory(handle)
    except (MediamatchError, *ARCHIVE_ERRORS):
        return []  # hashing the file as one unit reports what is wrong with it
    parts: list[tuple[int, int, int]] = []
    first = stored = 0
    for index, info in enumerate(directory):
        stored += info.compress_size
        if stored >= PART_BYTES or index + 1 - first >= PART_MEMBERS or index + 1 == len(directory):
            parts.append((first, index + 1, stored))
            first, stored = index + 1, 0
    if len(parts) < 2:
        return []
    rest = size - sum(part_size for _, _, part_size in parts)  # headers: counted with the first part
    return [Unit(0, path, part_size + (rest if not first_index else 0), (first_index, end))
            for first_index, end, part_size in parts]  # fmt: skip


def plan_units(files: Sequence[tuple[str, int]]) -> list[Unit]:
    """Units for the walked files, in order (ids are given when the plan is stored)."""
    units: list[Unit] = []
    for path, size in files:
        parts = _zip_parts(path, size) if size >= SPLIT_MIN_BYTES else []
        units += parts or [Unit(0, path, size)]
    return units

"""Ignore lists: known-good files (NSRL and the like) skipped by MD5 or SHA-1.

Accepted: plain lists of hex digests (MD5 is 32 digits, SHA-1 40; one per line, a first
column of CSV or whitespace-separated text; ``#`` comments), and NSRL RDS CSV files whose
header names ``"SHA-1"`` and ``"MD5"`` columns. Any other line is an error naming the
file and line, so a wrong file is never silently half used.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from mediamatch.errors import ScanError

_HEX = re.compile(r"^[0-9a-fA-F]+$")
_LENGTHS = {32: "md5", 40: "sha1"}


@dataclass(slots=True)
class IgnoreSet:
    """MD5 and SHA-1 digests (raw bytes) of files to skip; ``sources`` names each list and its SHA-256."""

    md5: set[bytes] = field(default_factory=set)
    sha1: set[bytes] = field(default_factory=set)
    sources: list[tuple[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.md5) + len(self.sha1)

    def contains(self, md5: bytes, sha1: bytes) -> bool:
        return md5 in self.md5 or sha1 in self.sha1

    def add(self, text: str) -> bool:
        """Add one hex digest; False if it is neither an MD5 nor a SHA-1."""
        text = text.strip().strip('"')
        kind = _LENGTHS.get(len(text))
        if kind is None or not _HEX.match(text):
            return False
        (self.md5 if kind == "md5" else self.sha1).add(bytes.fromhex(text))
        return True


def _nsrl_columns(header: list[str]) -> list[int] | None:
    names = [name.strip().strip('"').upper() for name in header]
    columns = [names.index(n) for n in ("SHA-1", "MD5") if n in names]
    return columns or None


def _read_text(text: str, ignore: IgnoreSet, name: str) -> None:
    lines = text.splitlines()
    header = next(csv.reader([lines[0]])) if lines else []
    columns = _nsrl_columns(header)
    rows = csv.reader(io.StringIO("\n".join(lines[1:]))) if columns else None
    if rows is not None and columns is not None:
        for number, row in enumerate(rows, start=2):
            if row and not all(ignore.add(row[c]) for c in columns if c < len(row) and row[c].strip()):
                raise ScanError(f"{name} line {number}: not an MD5 or SHA-1 digest")
        return
    for number, line in enumerate(lines, start=1):
        body = line.split("#", 1)[0].replace(",", " ").split()
        if body and not ignore.add(body[0]):
            raise ScanError(f"{name} line {number}: not an MD5 or SHA-1 digest: {body[0][:50]!r}")


def load_ignore_lists(paths: list[Path]) -> IgnoreSet:
    """Read every list into one set; raises ScanError for an unreadable file or a bad line."""
    ignore = IgnoreSet()
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise ScanError(f"cannot read ignore list {path}: {error}") from None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ScanError(f"ignore list {path} is not UTF-8 text") from None
        _read_text(text, ignore, str(path))
        ignore.sources.append((str(path.resolve()), hashlib.sha256(data).hexdigest()))
    return ignore

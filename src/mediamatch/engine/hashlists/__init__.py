"""Hash-list formats the field exchanges: plain lists, HMA CSV, NCMEC XML, Project VIC VICS JSON."""

from __future__ import annotations

import enum
from typing import IO

from mediamatch.engine.hashlists import hma_csv, ncmec_xml, plain, vics_json
from mediamatch.engine.hashlists.base import Parsed, Reader, Record, RowError, Writer


class ListFormat(enum.Enum):
    PLAIN = "plain"
    HMA_CSV = "hma-csv"
    NCMEC_XML = "ncmec-xml"
    VICS_JSON = "vics-json"


READERS: dict[ListFormat, Reader] = {
    ListFormat.PLAIN: plain.read,
    ListFormat.HMA_CSV: hma_csv.read,
    ListFormat.NCMEC_XML: ncmec_xml.read,
    ListFormat.VICS_JSON: vics_json.read,
}
WRITERS: dict[ListFormat, Writer] = {
    ListFormat.PLAIN: plain.write,
    ListFormat.HMA_CSV: hma_csv.write,
    ListFormat.NCMEC_XML: ncmec_xml.write,
    ListFormat.VICS_JSON: vics_json.write,
}


def detect_format(stream: IO[bytes]) -> ListFormat:
    """Guess the format from the first bytes (the stream must be seekable; it is rewound)."""
    head = stream.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    stream.seek(0)
    if head.startswith(b"<"):
        return ListFormat.NCMEC_XML
    if head.startswith(b"{"):
        return ListFormat.VICS_JSON
    first_line = head.split(b"\n", 1)[0].lower()
    if b"signal_type" in first_line and b"signal_value" in first_line:
        return ListFormat.HMA_CSV
    return ListFormat.PLAIN


__all__ = ["READERS", "WRITERS", "ListFormat", "Parsed", "Record", "RowError", "detect_format"]

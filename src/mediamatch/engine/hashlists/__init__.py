"""Hash-list formats the field exchanges (plain lists, HMA CSV, NCMEC XML, Project VIC VICS JSON),
and the three outputs of ``mediamatch hash``, so that what it writes imports back."""

from __future__ import annotations

import enum
import re
from typing import IO

from mediamatch.engine.hashlists import hash_output, hma_csv, ncmec_xml, plain, te_csv, vics_json
from mediamatch.engine.hashlists.base import Parsed, Reader, Record, RowError, Writer


class ListFormat(enum.Enum):
    PLAIN = "plain"
    HMA_CSV = "hma-csv"
    NCMEC_XML = "ncmec-xml"
    VICS_JSON = "vics-json"
    THREATEXCHANGE_CSV = "threatexchange-csv"
    HASH_JSONL = "mediamatch-jsonl"
    HASH_CSV = "mediamatch-csv"
    HASH_TEXT = "mediamatch-text"


READERS: dict[ListFormat, Reader] = {
    ListFormat.PLAIN: plain.read,
    ListFormat.HMA_CSV: hma_csv.read,
    ListFormat.NCMEC_XML: ncmec_xml.read,
    ListFormat.VICS_JSON: vics_json.read,
    ListFormat.THREATEXCHANGE_CSV: te_csv.read,
    ListFormat.HASH_JSONL: hash_output.read_jsonl,
    ListFormat.HASH_CSV: hash_output.read_csv,
    ListFormat.HASH_TEXT: hash_output.read_text,
}
WRITERS: dict[ListFormat, Writer] = {
    ListFormat.PLAIN: plain.write,
    ListFormat.HMA_CSV: hma_csv.write,
    ListFormat.NCMEC_XML: ncmec_xml.write,
    ListFormat.VICS_JSON: vics_json.write,
    ListFormat.THREATEXCHANGE_CSV: te_csv.write,
    ListFormat.HASH_JSONL: hash_output.write_jsonl,
    ListFormat.HASH_CSV: hash_output.write_csv,
    ListFormat.HASH_TEXT: hash_output.write_text,
}
DETECT_BYTES = 1 << 20
HASH_JSONL_START = re.compile(rb'\{\s*"path"\s*:')
HASH_CSV_START = ",".join(hash_output.CSV_LEAD).encode() + b","


def detect_format(stream: IO[bytes]) -> ListFormat:
    """Guess the format from the first bytes (the stream must be seekable; it is rewound).

    Up to ``DETECT_BYTES`` are read, so that a first line holding a whole video's hash is seen whole.
    """
    head = stream.read(DETECT_BYTES).lstrip(b"\xef\xbb\xbf \t\r\n")
    stream.seek(0)
    if head.startswith(b"<"):
        return ListFormat.NCMEC_XML
    if HASH_JSONL_START.match(head):
        return ListFormat.HASH_JSONL
    if head.startswith(b"{"):
        return ListFormat.VICS_JSON
    first_line = head.split(b"\n", 1)[0].lower()
    if b"signal_type" in first_line and b"signal_value" in first_line:
        return ListFormat.HMA_CSV
    if b"signal_type" in first_line and b"signal_str" in first_line:
        return ListFormat.THREATEXCHANGE_CSV
    if first_line.startswith(HASH_CSV_START):
        return ListFormat.HASH_CSV
    lines = (line for line in head.decode("utf-8", "replace").splitlines() if line.strip())
    first_record = next((line for line in lines if not line.startswith("#")), "")
    if first_record.startswith(hash_output.TEXT_ERROR) or hash_output.TEXT_FIELD.match(first_record):
        return ListFormat.HASH_TEXT
    return ListFormat.PLAIN


__all__ = ["READERS", "WRITERS", "ListFormat", "Parsed", "Record", "RowError", "detect_format"]

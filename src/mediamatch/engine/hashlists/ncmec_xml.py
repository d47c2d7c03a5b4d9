"""NCMEC hash-sharing XML (``queryResult`` with ``images`` and ``videos``).

Each ``image`` or ``video`` becomes entries for its ``md5``, ``sha1`` and ``pdq``
fingerprints, with NCMEC's ``id`` as the external id, its ``classification``, and the
sharing member as the source. A record for an id the bank already holds is an update, applied
in file order: the entries keep their ids (feedback and curation stay) and take the record's
classification, source and tags; fingerprints it no longer lists are deleted. Fingerprints we
cannot match (PhotoDNA, NetClean, Videntifier, TMK) are skipped and counted.
``deletedImage``/``deletedVideo`` delete the entries with that external id. Namespaces are
ignored. The file is parsed incrementally; element memory is released as each record is
handled. Errors name the line where the record's element starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import groupby
from typing import IO, Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from mediamatch.algorithms import AlgorithmRegistry
from mediamatch.engine.hashlists.base import Parsed, Record, RowError, entry_new, error_at
from mediamatch.errors import MediamatchError
from mediamatch.store import Classification, Entry, NewEntry

NAMESPACE = "https://hashsharing.ncmec.org/hashsharing/v2"
FINGERPRINTS = {"md5": "md5", "sha1": "sha1", "pdq": "pdq"}
RECORDS = {"image", "video"}
DELETIONS = {"deletedimage", "deletedvideo"}


def _local(tag: str) -> str:
    return tag.rpartition("}")[2].lower()


def _child(element: ElementTree.Element, name: str) -> ElementTree.Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


def _text(element: ElementTree.Element, name: str) -> str | None:
    child = _child(element, name)
    return child.text.strip() if child is not None and child.text and child.text.strip() else None


def _source(element: ElementTree.Element) -> str | None:
    member = _child(element, "member")
    if member is None:
        return None
    name = (member.text or "").strip()
    return f"NCMEC member {member.get('id', '?')}" + (f" ({name})" if name else "")


def _entries(element: ElementTree.Element, registry: AlgorithmRegistry) -> tuple[list[NewEntry], int]:
    external_id = _text(element, "id")
    if external_id is None:
        raise ValueError(f"<{_local(element.tag)}> has no <id>")
    common = {
        "classification": Classification.parse(_text(element, "classification")),
        "external_id": external_id,
        "source": _source(element),
        "tags": (_local(element.tag),),
    }
    fingerprints = _child(element, "fingerprints")
    found, skipped = [], 0
    for fingerprint in [] if fingerprints is None else list(fingerprints):
        algorithm = FINGERPRINTS.get(_local(fingerprint.tag))
        if algorithm is None or not (fingerprint.text or "").strip():
            skipped += 1
            continue
        found.append(entry_new(registry, algorithm, fingerprint.text or "", **common))
    return found, skipped


def _record(element: ElementTree.Element, line: int, registry: AlgorithmRegistry) -> Record:
    if _local(element.tag) in DELETIONS:
        external_id = _text(element, "id")
        if external_id is None:
            return RowError(line, f"<{element.tag}> has no <id>")
        return Parsed(line, deleted_external_ids=[external_id])
    try:
        entries, skipped = _entries(element, registry)
    except (MediamatchError, ValueError) as error:
        return error_at(line, error)
    return Parsed(line, entries, skipped=skipped, updates=True)


def _events(parser: Any) -> Iterator[tuple[str, ElementTree.Element]]:
    for event, element in parser.read_events():
        if isinstance(element, ElementTree.Element):
            yield event, element


def read(stream: IO[bytes], registry: AlgorithmRegistry, algorithm: str | None) -> Iterator[Record]:
    parser: Any = ElementTree.XMLPullParser(events=("start", "end"))
    open_elements: list[ElementTree.Element] = []
    record_start = 0
    line = 0
    try:
        for line, raw in enumerate(stream, start=1):
            parser.feed(raw)
            for event, element in _events(parser):
                if event == "start":
                    open_elements.append(element)
                    if _local(element.tag) in RECORDS | DELETIONS:
                        record_start = line
                    continue
                open_elements.pop()
                if _local(element.tag) in RECORDS | DELETIONS:
                    yield _record(element, record_start, registry)
                    if open_elements:
                        open_elements[-1].remove(element)  # release what has been handled
        parser.close()
    except ElementTree.ParseError as error:
        yield RowError(line, f"malformed XML: {error}")


def _is_video(group: list[Entry]) -> bool:
    """Entries read from an NCMEC ``video`` (the reader tags them so)."""
    return any("video" in e.tags for e in group)


def _image_xml(external_id: str, group: list[Entry], registry: AlgorithmRegistry) -> str:
    classification = next((e.classification for e in group if e.classification), None)
    element = "video" if _is_video(group) else "image"
    parts = [f"<{element}><id>{escape(external_id)}</id>"]
    if classification is not None:
        parts.append(f"<classification>{classification.value}</classification>")
    parts.append("<fingerprints>")
    for entry in group:
        chosen = registry.get(entry.algorithm)
        parts.append(f"<{entry.algorithm}>{chosen.format(chosen.from_bytes(entry.hash))}</{entry.algorithm}>")
    parts.append(f"</fingerprints></{element}>\n")
    return "".join(parts)


def write(
    entries: Iterable[Entry], stream: IO[bytes], registry: AlgorithmRegistry, algorithm: str | None
) -> int:
    """Entries sharing an external id (consecutive in id order) become one ``image`` element, or
    one ``video`` element in ``videos`` after the images when they came from a video."""
    stream.write(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<queryResult xmlns="{NAMESPACE}">\n<images>\n'.encode()
    )
    written = 0
    exportable = (
        e for e in entries if e.algorithm in FINGERPRINTS and (algorithm is None or e.algorithm == algorithm)
    )
    videos: list[str] = []
    for external_id, group in groupby(exportable, key=lambda e: e.external_id or f"mediamatch-{e.id}"):
        members = list(group)
        element = _image_xml(external_id, members, registry)
        if _is_video(members):
            videos.append(element)
        else:
            stream.write(element.encode())
        written += len(members)
    stream.write(b"</images>\n")
    if videos:
        stream.write(b"<videos>\n" + "".join(videos).encode() + b"</videos>\n")
    stream.write(b"</queryResult>\n")
    return written

"""Matching a case's hashes against banks, with each entry's classification carried into the case.

Each distinct content (MD5 and SHA-1) is matched once through the engine's ``Matcher``
(thresholds, quality floors and suppression banks apply as everywhere else) and the
result is copied to every file with that content. A VICS category is taken from a
matched entry's ``vics-category:N`` tag (as VICS imports write it), the most severe
(lowest non-zero) when several match.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from mediamatch.algorithms import AlgorithmRegistry, HashResult
from mediamatch.engine.matching import BankMatch, Matcher
from mediamatch.engine.resilience import ORIGINAL, QueryVariant, Resilience
from mediamatch.engine.verification import QueryPicture
from mediamatch.media import decode_image
from mediamatch.model import RGBPixels
from mediamatch.scan.archives import ARCHIVE_ERRORS
from mediamatch.scan.caseview import FileView
from mediamatch.scan.thumbnails import read_evidence
from mediamatch.store import Entry

if TYPE_CHECKING:
    from mediamatch.store import Store

MatchRow = tuple[int, str, int, str | None, str | None, str, int, bool, int | None]


def _results(item: FileView, registry: AlgorithmRegistry) -> dict[str, HashResult]:
    texts = {name: (text, quality) for name, (text, quality) in item.hashes.items()}
    if item.md5:
        texts["md5"] = (item.md5, None)
    if item.sha1:
        texts["sha1"] = (item.sha1, None)
    known = set(registry.names())
    return {
        name: HashResult(registry.get(name).parse(text), quality)
        for name, (text, quality) in texts.items()
        if name in known
    }


def _variants(
    item: FileView, results: dict[str, HashResult], registry: AlgorithmRegistry
) -> dict[str, list[QueryVariant]]:
    """The resilience stage's query hashes kept for the file, each list led by the plain hash."""
    return {
        name: [QueryVariant(ORIGINAL, results[name])]
        + [QueryVariant(label, HashResult(registry.get(name).parse(text), q)) for label, text, q in found]
        for name, found in item.variants.items()
        if name in results
    }


def _evidence_pixels(item: FileView) -> RGBPixels | None:
    """The file's pixels, read again from the evidence (archives included) for verification; None
    when it no longer reads, decodes or has the content that was hashed (the hash alone decides)."""
    try:
        data = read_evidence(item.unit_path, item.path)
    except (OSError, *ARCHIVE_ERRORS):
        return None
    if hashlib.md5(data, usedforsecurity=False).hexdigest() != item.md5:
        return None
    return decode_image(data).pixels


def vics_category(entry: Entry | None) -> int | None:
    categories = [
        int(tag.split(":", 1)[1])
        for tag in (entry.tags if entry else ())
        if tag.startswith("vics-category:") and tag.split(":", 1)[1].isdigit()
    ]
    severe = [c for c in categories if c > 0]
    return min(severe) if severe else (categories[0] if categories else None)


def match_case(
    files: Sequence[FileView],
    store: Store,
    registry: AlgorithmRegistry,
    banks: Sequence[str],
    resilience: bool = True,
) -> list[MatchRow]:
    """Match rows for every file that was hashed (ignored and failed files are not matched);
    with ``resilience``, through the stage, with the query hashes the scan kept."""
    matcher = Matcher(store, registry, banks, resilience=Resilience() if resilience else Resilience.off())
    found: dict[tuple[str | None, str | None], list[tuple[BankMatch, bool]]] = {}
    for item in files:
        key = (item.md5, item.sha1)
        if item.status != "hashed" or item.md5 is None or key in found:
            continue
        results = _results(item, registry)
        variants = _variants(item, results, registry) if resilience else None
        picture = QueryPicture.later(partial(_evidence_pixels, item)) if resilience else None
        result = matcher.match_results(item.path, results, variants=variants, picture=picture)
        found[key] = [(m, False) for m in result.matches] + [(m, True) for m in result.suppressed]
    entry_ids = {m.entry_id for hits in found.values() for m, _ in hits}
    entries = {e.id: e for e in store.get_entries(entry_ids)} if entry_ids else {}
    rows: list[MatchRow] = []
    for item in files:
        for match, suppressed in found.get((item.md5, item.sha1), []) if item.status == "hashed" else []:
            rows.append(_row(item.id, match, suppressed, entries.get(match.entry_id)))
    return rows


def _row(file_id: int, match: BankMatch, suppressed: bool, entry: Entry | None) -> MatchRow:
    classification = match.classification.value if match.classification else None
    return (
        file_id, match.bank, match.entry_id, match.external_id, classification,
        match.algorithm, match.distance, suppressed, vics_category(entry),
    )  # fmt: skip

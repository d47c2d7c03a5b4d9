"""Hashing and matching the items of one request (called in a worker thread)."""

from __future__ import annotations

from typing import Any

from mediamatch.algorithms import HashResult
from mediamatch.engine import FileHasher
from mediamatch.engine.hashing import FileHashes
from mediamatch.engine.matching import BankMatch, Matcher
from mediamatch.engine.records import video_match_to_dict
from mediamatch.engine.testbank import TEST_BANK
from mediamatch.errors import MediamatchError
from mediamatch.service.errors import status_of, status_of_kind
from mediamatch.service.fetch import fetch
from mediamatch.service.inputs import Item
from mediamatch.service.settings import decode_options, fetch_policy
from mediamatch.service.state import ServiceState
from mediamatch.store import Bank
from mediamatch.store.accounts import ApiKey, Environment


def _error(index: int, kind: str, message: str, status: int) -> dict[str, Any]:
    return {"index": index, "error": {"kind": kind, "message": message, "status": status}}


def _domain_error(index: int, error: MediamatchError) -> dict[str, Any]:
    return _error(index, type(error).__name__, str(error), status_of(error))


def _bytes_of(state: ServiceState, item: Item) -> bytes:
    if item.url is not None:
        return fetch(item.url, fetch_policy(state.settings))
    return item.data or b""


def hash_items(state: ServiceState, items: list[Item], algorithms: list[str]) -> list[dict[str, Any]]:
    """Per item: the hashes by algorithm with quality, or an error with its HTTP status."""
    chosen = [state.registry.get(name) for name in algorithms]
    hasher = FileHasher(chosen, decode_options=decode_options(state.settings, state.decode_budget))
    results = []
    for index, item in enumerate(items):
        try:
            data = _bytes_of(state, item)
        except MediamatchError as error:
            results.append(_domain_error(index, error))
            continue
        record = hasher.hash_data(item.name, data)
        if record.error is not None:
            kind = record.error.kind
            results.append(_error(index, kind, record.error.message, status_of_kind(kind)))
            continue
        hashes = {
            name: {"hash": state.registry.get(name).format(r.value), "quality": r.quality}
            for name, r in record.results.items()
        }
        results.append({"index": index, "hashes": hashes})
    return results


def visible(bank: Bank, key: ApiKey) -> bool:
    """Test keys see only the Test bank; live keys see shared banks and their organisation's."""
    if key.environment is Environment.TEST:
        return bank.name == TEST_BANK
    return bank.name != TEST_BANK and bank.organisation_id in (None, key.organisation_id)


def _match_dict(match: BankMatch, with_distance: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "bank": match.bank,
        "entry_id": match.entry_id,
        "external_id": match.external_id,
        "classification": match.classification.value if match.classification else None,
        "algorithm": match.algorithm,
        "verified": match.verified,
    }
    if with_distance:
        out["distance"] = match.distance
        out["variant"] = match.variant
    if match.video is not None:
        # The shares tell how close a video came, as a distance does; the ranges only where it matched.
        video = video_match_to_dict(match.video)
        out["video"] = video if with_distance else {k: video[k] for k in ("query_ranges", "bank_ranges")}
    return out


def _item_hashes(matcher: Matcher, state: ServiceState, item: Item) -> FileHashes:
    """The item's hashes; for media the service decodes, also the resilience stage's variants, the
    picture verification looks at, and the error that kept some algorithms from applying (a
    digest of bytes that do not decode)."""
    if item.data is not None or item.url is not None:
        if matcher.hasher is None:
            return FileHashes(item.name)
        record = matcher.hasher.hash_data(item.name, _bytes_of(state, item))
        if record.error is not None and not record.results:
            raise _ItemFailed(record.error.kind, record.error.message)
        return record
    parsed = {}
    for name, text in item.hashes.items():
        parsed[name] = HashResult(state.registry.get(name.lower()).parse(text))
    return FileHashes(item.name, parsed)


class _ItemFailed(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def match_items(
    state: ServiceState,
    matcher: Matcher,
    key: ApiKey,
    items: list[Item],
    sizes: dict[int, tuple[int, int]] | None = None,
) -> tuple[list[dict[str, Any]], list[int]]:
    """Per item: the visible matches (distances only with ``match:distance``), or an error.
    ``sizes``, when given, receives each decoded picture's (width, height) by item index."""
    with_distance = "match:distance" in key.scopes or "admin" in key.scopes
    seen = {bank.id for bank in matcher.banks.values() if visible(bank, key)}
    results, matched_ids = [], []
    for index, item in enumerate(items):
        try:
            record = _item_hashes(matcher, state, item)
            if sizes is not None and record.size is not None:
                sizes[index] = record.size
            found = matcher.match_results(item.name, record.results, seen, record.variants, record.picture)
        except MediamatchError as error:
            results.append(_domain_error(index, error))
            continue
        except _ItemFailed as failure:
            results.append(_error(index, failure.kind, str(failure), status_of_kind(failure.kind)))
            continue
        shown = found.matches
        matched_ids += [m.entry_id for m in shown]
        result: dict[str, Any] = {"index": index, "matches": [_match_dict(m, with_distance) for m in shown]}
        if found.suppressed_by:  # a hit on a known false positive is not "no hit": say which, and why
            result["suppressed"] = [_match_dict(m, with_distance) for m in found.suppressed]
            result["suppressed_by"] = [_match_dict(m, with_distance) for m in found.suppressed_by]
        if found.held:  # met on layout-dominated content: a lead for review, never a match
            result["held"] = [_match_dict(m, with_distance) for m in found.held]
        if found.low_quality:
            result["low_quality"] = found.low_quality
        partial = record.error
        if partial is not None:  # checked only in part: never an unqualified "no match"
            result["error"] = {
                "kind": partial.kind,
                "message": partial.message,
                "status": status_of_kind(partial.kind),
            }
            result["algorithms"] = sorted(record.results)
        results.append(result)
    return results, matched_ids

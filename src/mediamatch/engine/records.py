"""Plain-data views of hashing outcomes, shared by every output format."""

from __future__ import annotations

from typing import Any

from mediamatch.algorithms import AlgorithmRegistry, HashAlgorithm, HashResult
from mediamatch.engine.hashing import FileHashes
from mediamatch.engine.matching import BankMatch, FileMatches, VideoMatch
from mediamatch.engine.video import VideoStats


def file_hashes_to_dict(record: FileHashes, registry: AlgorithmRegistry) -> dict[str, Any]:
    """JSON-ready dict: path, media type, width/height, hashes by algorithm (or the error)."""
    out: dict[str, Any] = {"path": record.path}
    if record.media_type is not None:
        out["media_type"] = record.media_type.value.lower()
    if record.size is not None:
        out["width"], out["height"] = record.size
    if record.results:
        out["hashes"] = {
            name: _result_to_dict(registry.get(name), result) for name, result in record.results.items()
        }
    if record.video is not None:
        out["video"] = video_stats_to_dict(record.video)
    if record.error is not None:
        out["error"] = {"kind": record.error.kind, "message": record.error.message}
    return out


def video_stats_to_dict(stats: VideoStats) -> dict[str, Any]:
    """Duration (s), frame rate, codec and frame counts of a hashed video."""
    return {
        "codec": stats.codec,
        "duration": stats.duration,
        "frame_rate": stats.frame_rate,
        "decoded_frames": stats.decoded_frames,
        "sampled_frames": stats.sampled_frames,
        "corrupt_packets": stats.corrupt_packets,
    }


def video_match_to_dict(video: VideoMatch) -> dict[str, Any]:
    """Both match shares (whole percent) and the matched time ranges (seconds) of each video."""
    return {
        "query_pct": video.query_pct,
        "bank_pct": video.bank_pct,
        "query_ranges": [list(r) for r in video.query_ranges],
        "bank_ranges": [list(r) for r in video.bank_ranges],
    }


def _result_to_dict(algorithm: HashAlgorithm, result: HashResult) -> dict[str, Any]:
    """Hash text and quality; ``usable`` is false when the quality is below the algorithm's minimum."""
    out: dict[str, Any] = {"hash": algorithm.format(result.value), "quality": result.quality}
    if algorithm.has_quality:
        out["usable"] = algorithm.is_usable(result)
    return out


def file_hashes_to_row(record: FileHashes, algorithms: list[str], registry: AlgorithmRegistry) -> list[str]:
    """CSV row: path, media_type, width, height, then ``hash, quality`` per algorithm, then error."""
    data = file_hashes_to_dict(record, registry)
    hashes = data.get("hashes", {})
    row = [
        record.path,
        data.get("media_type") or "",
        str(data.get("width") or ""),
        str(data.get("height") or ""),
    ]
    for name in algorithms:
        entry = hashes.get(name, {})
        quality = entry.get("quality")
        row += [entry.get("hash", ""), "" if quality is None else str(quality)]
    error = data.get("error")
    row += [error["kind"], error["message"]] if error else ["", ""]
    return row


def csv_header(algorithms: list[str]) -> list[str]:
    columns = ["path", "media_type", "width", "height"]
    for name in algorithms:
        columns += [name, f"{name}_quality"]
    return [*columns, "error_kind", "error"]


def _match_to_dict(match: BankMatch) -> dict[str, Any]:
    return {
        "bank": match.bank,
        "entry_id": match.entry_id,
        "external_id": match.external_id,
        "classification": match.classification.value if match.classification else None,
        "algorithm": match.algorithm,
        "distance": match.distance,
        "variant": match.variant,
        "verified": match.verified,
    } | ({} if match.video is None else {"video": video_match_to_dict(match.video)})


def file_matches_to_dict(found: FileMatches) -> dict[str, Any]:
    """JSON-ready dict: path, matches, matches cancelled by suppression banks, leads held on
    layout-dominated content (``held``, never matches), low-quality hashes, error."""
    out: dict[str, Any] = {"path": found.path, "matches": [_match_to_dict(m) for m in found.matches]}
    if found.suppressed_by:
        out["suppressed"] = [_match_to_dict(m) for m in found.suppressed]
        out["suppressed_by"] = [_match_to_dict(m) for m in found.suppressed_by]
    if found.held:
        out["held"] = [_match_to_dict(m) for m in found.held]
    if found.low_quality:
        out["low_quality"] = found.low_quality
    if found.error is not None:
        out["error"] = {"kind": found.error.kind, "message": found.error.message}
    return out

"""Adding images to a bank: their hashes, and with the resilience stage the hashes of their sub-regions.

A bank built from images (rather than imported as a hash list) can hold, with each entry,
hashes of fixed sub-regions of the image (``resilience.REGIONS``), so that crops of the
image still match. Images are decoded in memory and dropped; only hashes are stored.

Batch contract: every file gets a line in the report; a file that cannot be read or
decoded is reported and skipped, the others are stored (in one transaction at the end).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mediamatch.algorithms import AlgorithmRegistry, FileHashAlgorithm, ImageHashAlgorithm
from mediamatch.algorithms.keypoints import bank_keypoints
from mediamatch.engine.hashing import FileHasher, ItemError, iter_files, regular_file_size
from mediamatch.engine.resilience import REGION_ALGORITHMS, region_hashes
from mediamatch.errors import MediamatchError, UnknownAlgorithm
from mediamatch.media import DecodeOptions, decode_image
from mediamatch.media.image import read_limited
from mediamatch.media.sniff import SNIFF_BYTES, sniff
from mediamatch.media.video import VideoOptions
from mediamatch.model import RGBPixels
from mediamatch.store import KEYPOINTS_REGION, Classification, NewEntry

if TYPE_CHECKING:
    from mediamatch.store import Store

DEFAULT_ALGORITHMS = ("pdq", "gradgrid144")
FILE_DIGESTS = ("md5", "sha1")
"""Digests of each image file's bytes, stored beside its perceptual hashes (``digests=True``), so
that an exact copy is reported as the exact match it is (distance 0 on ``md5``), as NCMEC's and
Project VIC's lists report them, whatever a re-decode does to the perceptual hashes."""


@dataclass(frozen=True, slots=True)
class ImagesReport:
    """Files read, entries new to the bank, region hashes offered, and the files that failed."""

    files: int
    added: int
    regions: int
    errors: list[tuple[str, ItemError]] = field(default_factory=list)


def image_entries(
    pixels: RGBPixels,
    algorithms: Sequence[ImageHashAlgorithm],
    *,
    regions: bool = True,
    external_id: str | None = None,
    classification: Classification | None = None,
    tags: tuple[str, ...] = (),
) -> list[NewEntry]:
    """One entry per algorithm for a decoded bank image, linked as one picture; with ``regions``,
    the region hashes of the algorithms in ``REGION_ALGORITHMS`` (only usable ones: a flat region
    never matches), and the picture's keypoints (``engine.verification``) with the first entry.
    The record is stored even when it holds too few keypoints to verify anything (a flat or
    periodic picture): it still marks the entries as hashed from a picture, for which only the
    algorithms of ``verification.TRUSTED_ALONE`` may decide by hash alone."""
    picture = uuid.uuid4().hex
    keypoints = bank_keypoints(pixels) if regions else None
    entries: list[NewEntry] = []
    for algorithm in algorithms:
        result = algorithm.hash_pixels(pixels)
        extra: tuple[tuple[str, bytes], ...] = ()
        if regions and algorithm.name in REGION_ALGORITHMS:
            found = region_hashes(pixels, algorithm).items()
            extra = tuple((name, r.value.data) for name, r in found if algorithm.is_usable(r))
        if not entries and keypoints is not None:
            extra += ((KEYPOINTS_REGION, keypoints.to_bytes()),)
        entries.append(
            NewEntry(
                algorithm.name,
                result.value.data,
                quality=result.quality,
                classification=classification,
                tags=tags,
                external_id=external_id,
                regions=extra,
                picture=picture,
            )
        )
    return entries


def add_images(
    store: Store,
    registry: AlgorithmRegistry,
    bank: str,
    paths: Iterable[str | os.PathLike[str]],
    *,
    algorithms: Sequence[str] = DEFAULT_ALGORITHMS,
    regions: bool = True,
    classification: Classification | None = None,
    tags: tuple[str, ...] = (),
    decode_options: DecodeOptions | None = None,
    digests: bool = True,
) -> ImagesReport:
    """Hash every image and video under ``paths`` into ``bank`` (external id: the file name; a video's
    vPDQ of every frame, with the same classification and tags); with
    ``digests``, also the MD5 and SHA-1 of each file's bytes (``FILE_DIGESTS``), decided by
    themselves (not linked to the picture's keypoints: an equal digest is the same file)."""
    chosen = [registry.get(name) for name in algorithms]
    image_algorithms = [a for a in chosen if isinstance(a, ImageHashAlgorithm)]
    if len(image_algorithms) != len(chosen) or not chosen:
        raise UnknownAlgorithm("bank images need image algorithms, such as pdq and gradgrid144")
    options = decode_options or DecodeOptions()
    store.bank(bank)
    entries: list[NewEntry] = []
    errors: list[tuple[str, ItemError]] = []
    files = 0
    videos = _video_hasher(registry, digests)
    for path in iter_files(paths):
        files += 1
        if videos is not None and _is_video(path):
            found = videos.hash_file(path)
            if found.error is not None:
                errors.append((str(path), found.error))
                continue
            entries += [
                NewEntry(name, result.value.data, result.quality, classification, tags, external_id=path.name)
                for name, result in found.results.items()
            ]
            continue
        try:
            regular_file_size(path)
            data = read_limited(path, options.max_bytes)
            pixels = decode_image(data, options).pixels
        except (MediamatchError, OSError) as error:
            errors.append((str(path), ItemError.from_exception(error)))
            continue
        if digests:
            for name in FILE_DIGESTS:
                digester = registry.get(name)
                if not isinstance(digester, FileHashAlgorithm):
                    continue
                digest = digester.hash_bytes(data)
                entries.append(
                    NewEntry(
                        name,
                        digest.value.data,
                        classification=classification,
                        tags=tags,
                        external_id=path.name,
                    )
                )
        entries += image_entries(
            pixels,
            image_algorithms,
            regions=regions,
            external_id=path.name,
            classification=classification,
            tags=tags,
        )
    added = store.add_entries(bank, entries)
    hashes = sum(1 for e in entries for name, _ in e.regions if name != KEYPOINTS_REGION)
    return ImagesReport(files, added, hashes, errors)


def _video_hasher(registry: AlgorithmRegistry, digests: bool) -> FileHasher | None:
    """vPDQ of every frame (a bank video is hashed whole; queries are sampled) and, with ``digests``,
    the file's digests; None when no video algorithm is registered."""
    if "vpdq" not in registry.names():
        return None
    chosen = [registry.get("vpdq"), *(registry.get(name) for name in FILE_DIGESTS if digests)]
    return FileHasher(chosen, video_options=VideoOptions(sample_interval=None))


def _is_video(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            found = sniff(handle.read(SNIFF_BYTES))
    except OSError:
        return False
    return found is not None and found.is_video

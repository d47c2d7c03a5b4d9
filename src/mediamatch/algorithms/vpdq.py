"""vPDQ: a video as the list of PDQ hashes of its sampled frames, compatible with Meta's vPDQ.

A value holds, per sampled frame, the decode-order frame number, the PDQ quality
(0-100), the 256-bit PDQ hash and the timestamp in milliseconds. Its canonical text is
vPDQ's own line format, ``frame,quality,hash,timestamp`` (timestamp in seconds with
three decimals), with the lines joined by ``;`` so that a whole video fits on one line
of a hash list; ``read_vpdq_text`` and ``format_vpdq_text`` read and write vPDQ's
one-line-per-frame files. The round trip is exact.

Comparison (``compare``, the brute-force reference of the video index): a frame is
usable when its quality reaches ``frame_min_quality`` (50, as PDQ recommends); a usable
query frame is matched when some usable frame of the other video is within
``frame_threshold`` bits (31, inclusive), and the same the other way. ``query_pct`` and
``bank_pct`` are the matched shares of each side's usable frames, in whole percent
(rounded down). Sampled at a fixed interval, a share of frames is a share of duration.
``distance`` is ``100 - min(query_pct, bank_pct)``: with the default threshold of 20, a
pair matches when both shares reach 80 %. Banks may set the two shares separately
(``bank_settings``).
"""

from __future__ import annotations

import math
import re
import struct
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from mediamatch.algorithms.base import Dihedral, HashResult, HashValue, RGBPixels, VideoHashAlgorithm
from mediamatch.algorithms.pdq import PdqAlgorithm, degenerate_pdq
from mediamatch.algorithms.vpdq_regions import Region, region_images
from mediamatch.errors import CorruptMedia, InvalidHash
from mediamatch.media.video import VideoFrame

FORMAT_VERSION = 1
_RECORD = struct.Struct(">IBB32sI")
PDQ_BYTES = 32
MAX_FRAMES = 5_000_000
MIN_PARTS = 2
"""Frames match on parts when at least this many halves or quadrants match (each with the same part)."""
_DECIMAL = re.compile(r"[0-9]+\.[0-9]+")
_REGION_NAMES = {region: region.name.lower() for region in Region if region is not Region.FULL}
_REGIONS_BY_NAME = {name: region for region, name in _REGION_NAMES.items()}


@dataclass(frozen=True, slots=True)
class VpdqFrame:
    """One frame hash: decode-order frame number, PDQ quality, region, PDQ bytes, timestamp in ms.

    vPDQ itself only has ``Region.FULL`` hashes; the other regions are mediamatch's
    additions (see ``vpdq_regions``) and share the frame's number and timestamp.
    """

    number: int
    quality: int
    pdq: bytes
    timestamp_ms: int
    region: Region = Region.FULL

    @property
    def timestamp(self) -> float:
        """Seconds from the start of the video."""
        return self.timestamp_ms / 1000.0


TimeRange = tuple[float, float]


@dataclass(frozen=True, slots=True)
class VideoComparison:
    """How two videos' frames match: counts of usable and matched frames on each side.

    ``bank_matched`` counts the other video's usable frames within half a query sampling
    step of a matched frame, so a query sampled at 1 fps covers a video hashed at every
    frame. ``query_ranges`` and ``bank_ranges`` are the matched stretches of each video,
    as ``(start, end)`` timestamps (seconds) of their first and last matched frame.
    """

    query_frames: int
    query_matched: int
    bank_frames: int
    bank_matched: int
    query_ranges: tuple[TimeRange, ...] = ()
    bank_ranges: tuple[TimeRange, ...] = ()

    @property
    def query_pct(self) -> int:
        return _percent(self.query_matched, self.query_frames)

    @property
    def bank_pct(self) -> int:
        return _percent(self.bank_matched, self.bank_frames)

    @property
    def distance(self) -> int:
        return 100 - min(self.query_pct, self.bank_pct)


@dataclass(frozen=True, slots=True)
class Position:
    """One sampled frame of a video with its usable hashes by region."""

    number: int
    timestamp_ms: int
    hashes: dict[Region, bytes]


def _percent(part: int, whole: int) -> int:
    return 0 if whole == 0 else part * 100 // whole


def encode_frames(frames: Sequence[VpdqFrame]) -> bytes:
    """The stored bytes of a frame list: a version byte, then 42 bytes per frame hash."""
    parts = [bytes([FORMAT_VERSION])]
    for f in frames:
        parts.append(_RECORD.pack(f.number, f.quality, int(f.region), f.pdq, f.timestamp_ms))
    return b"".join(parts)


def decode_frames(data: bytes) -> list[VpdqFrame]:
    """The frames of stored bytes; raises InvalidHash for a wrong version, length or region."""
    if not data or data[0] != FORMAT_VERSION:
        raise InvalidHash("vpdq value must start with format version 1")
    body = memoryview(data)[1:]
    if len(body) == 0 or len(body) % _RECORD.size:
        raise InvalidHash(f"vpdq value must hold whole frames of {_RECORD.size} bytes, got {len(body)}")
    try:
        return [VpdqFrame(n, q, bytes(h), t, Region(r)) for n, q, r, h, t in _RECORD.iter_unpack(body)]
    except ValueError:
        raise InvalidHash("vpdq value names an unknown frame region") from None


def _frame_from_fields(fields: list[str]) -> VpdqFrame:
    if len(fields) not in (4, 5):
        raise InvalidHash(f"a vpdq frame is 'frame,quality,hash,timestamp', got {len(fields)} fields")
    number_text, quality_text, hash_text, time_text = (f.strip() for f in fields[:4])
    region = Region.FULL
    if len(fields) == 5:
        region = _REGIONS_BY_NAME.get(fields[4].strip(), Region.FULL)
        if fields[4].strip() not in _REGIONS_BY_NAME:
            raise InvalidHash(f"unknown vpdq frame region {fields[4].strip()[:20]!r}")
    try:
        if not _DECIMAL.fullmatch(time_text):
            raise ValueError(time_text)
        number, quality, seconds = int(number_text), int(quality_text), float(time_text)
        pdq = bytes.fromhex(hash_text)
    except ValueError:
        raise InvalidHash(f"malformed vpdq frame {','.join(fields)[:100]!r}") from None
    if len(pdq) != PDQ_BYTES or not 0 <= quality <= 100 or not 0 <= number < 2**32:
        raise InvalidHash(f"vpdq frame {number_text}: need 64 hex digits and quality 0-100")
    if not (math.isfinite(seconds) and 0 <= seconds < 2**32 / 1000):
        raise InvalidHash(f"vpdq frame {number_text}: timestamp {time_text!r} out of range")
    return VpdqFrame(number, quality, pdq, round(seconds * 1000), region)


def _frame_text(frame: VpdqFrame) -> str:
    text = f"{frame.number},{frame.quality},{frame.pdq.hex()},{frame.timestamp_ms / 1000:.3f}"
    return text if frame.region is Region.FULL else f"{text},{_REGION_NAMES[frame.region]}"


def read_vpdq_text(text: str) -> list[VpdqFrame]:
    """Frames of a vPDQ hash file (one ``frame,quality,hash,timestamp`` line each; blank lines ignored).

    A fifth field names a mediamatch region (``content``, ``top``, ...); vPDQ's files have none.
    """
    frames = [_frame_from_fields(line.split(",")) for line in text.splitlines() if line.strip()]
    if not frames:
        raise InvalidHash("a vpdq hash has at least one frame")
    if len(frames) > MAX_FRAMES:
        raise InvalidHash(f"more than {MAX_FRAMES} frames in one vpdq hash")
    return frames


def format_vpdq_text(frames: Iterable[VpdqFrame], *, regions: bool = False) -> str:
    """vPDQ's file format: one ``frame,quality,hash,timestamp`` line per whole-frame hash.

    With ``regions`` the region hashes follow their frame, with the region as a fifth field.
    """
    chosen = (f for f in frames if regions or f.region is Region.FULL)
    return "".join(_frame_text(frame) + "\n" for frame in chosen)


def merge_ranges(times: Iterable[float], gap: float) -> tuple[TimeRange, ...]:
    """Timestamps grouped into sorted ``(start, end)`` runs; a run breaks where a step exceeds ``gap``."""
    ranges: list[list[float]] = []
    for moment in sorted(set(times)):
        if ranges and moment - ranges[-1][1] <= gap + 1e-9:
            ranges[-1][1] = moment
        else:
            ranges.append([moment, moment])
    return tuple((start, end) for start, end in ranges)


def median_step(positions: Sequence[Position]) -> float:
    """The median time (s) between consecutive positions; 0 for fewer than two."""
    if len(positions) < 2:
        return 0.0
    times = np.array([p.timestamp_ms for p in positions], dtype=np.float64) / 1000.0
    return float(np.median(np.diff(times)))


def comparison_from_pairs(
    query: Sequence[Position], bank: Sequence[Position], pairs: Iterable[tuple[int, int]]
) -> VideoComparison:
    """The comparison given the matched ``(query position, bank position)`` pairs.

    A query frame sampled every ``step`` seconds stands for the ``step`` after it, so a bank
    position counts as matched when it lies less than one query step after a bank
    position that matched directly.
    """
    query_hit = set()
    direct = set()
    for q, b in pairs:
        query_hit.add(q)
        direct.add(b)
    bank_times = np.array([p.timestamp_ms for p in bank], dtype=np.int64)
    reach_ms = max(0, round(median_step(query) * 1000) - 1)
    covered = np.zeros(len(bank), dtype=bool)
    for b in direct:
        high = np.searchsorted(bank_times, bank_times[b] + reach_ms, side="right")
        covered[b:high] = True
    query_gap, bank_gap = 2 * median_step(query), 2 * median_step(bank)
    return VideoComparison(
        len(query),
        len(query_hit),
        len(bank),
        int(covered.sum()),
        merge_ranges((query[q].timestamp_ms / 1000 for q in query_hit), query_gap),
        merge_ranges((bank[b].timestamp_ms / 1000 for b in np.flatnonzero(covered).tolist()), bank_gap),
    )


def pdq_matrix(hashes: Sequence[bytes]) -> npt.NDArray[np.uint8]:
    """PDQ hashes as an ``(n, 32)`` byte matrix."""
    return np.frombuffer(b"".join(hashes), dtype=np.uint8).reshape(len(hashes), PDQ_BYTES)


def _distances(left: npt.NDArray[np.uint8], right: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    """Pairwise Hamming distances (bits) between the rows of two byte matrices."""
    if len(left) == 0 or len(right) == 0:
        return np.zeros((len(left), len(right)), dtype=np.int64)
    xor = np.bitwise_xor(left[:, None, :], right[None, :, :])
    distances: npt.NDArray[np.int64] = np.unpackbits(xor, axis=2).sum(axis=2, dtype=np.int64)
    return distances


def _flatten(positions: Sequence[Position]) -> tuple[list[int], list[Region], list[bytes]]:
    owners, regions, hashes = [], [], []
    for index, position in enumerate(positions):
        for region, pdq in position.hashes.items():
            owners.append(index)
            regions.append(region)
            hashes.append(pdq)
    return owners, regions, hashes


def matched_pairs(query: Sequence[Position], bank: Sequence[Position], bits: int) -> set[tuple[int, int]]:
    """Brute force: the position pairs whose whole pictures match, or at least ``MIN_PARTS`` parts."""
    q_owner, q_region, q_hash = _flatten(query)
    b_owner, b_region, b_hash = _flatten(bank)
    close = _distances(pdq_matrix(q_hash), pdq_matrix(b_hash)) <= bits
    whole: set[tuple[int, int]] = set()
    parts: dict[tuple[int, int], set[Region]] = {}
    for i, j in zip(*np.nonzero(close), strict=True):
        pair_region = (q_region[i], b_region[j])
        pair = (q_owner[i], b_owner[j])
        if pair_region[0].group == 0 and pair_region[1].group == 0:
            whole.add(pair)
        elif pair_region[0] is pair_region[1]:
            parts.setdefault(pair, set()).add(pair_region[0])
    return whole | {pair for pair, found in parts.items() if len(found) >= MIN_PARTS}


class VpdqAlgorithm(VideoHashAlgorithm):
    """vPDQ as a registered algorithm (name ``vpdq``, version 1).

    ``regions=False`` hashes whole frames only, exactly as vPDQ does; by default the
    region hashes of ``vpdq_regions`` are added to each frame.
    """

    name: ClassVar[str] = "vpdq"
    summary: ClassVar[str] = (
        "Meta's video hash: PDQ of sampled frames, matched by the share of frames that match "
        "(survives re-encoding, resizing, trimming)"
    )
    version: ClassVar[int] = 1
    distance_unit: ClassVar[str] = "percent of frames unmatched (100 minus the smaller match share)"
    default_threshold: ClassVar[int] = 20
    has_quality: ClassVar[bool] = True
    bank_settings: ClassVar[Mapping[str, int]] = {"query_pct": 80, "bank_pct": 80}
    default_frame_threshold: ClassVar[int] = PdqAlgorithm.default_threshold
    default_frame_min_quality: ClassVar[int] = PdqAlgorithm.default_min_quality

    def __init__(
        self,
        *,
        threshold: int | None = None,
        frame_threshold: int | None = None,
        frame_min_quality: int | None = None,
        regions: bool = True,
    ) -> None:
        super().__init__(threshold=threshold, min_quality=0)
        self.frame_threshold = self.default_frame_threshold if frame_threshold is None else frame_threshold
        floor = self.default_frame_min_quality if frame_min_quality is None else frame_min_quality
        if not 0 <= floor <= 100:
            raise InvalidHash(f"vpdq frame_min_quality must be 0-100, got {floor}")
        self.frame_min_quality = floor
        self.regions = regions
        self.pdq = PdqAlgorithm(min_quality=floor)
        self._memo = threading.local()

    # -- values --------------------------------------------------------------------------

    def value_of(self, frames: Sequence[VpdqFrame]) -> HashValue:
        if not frames:
            raise InvalidHash("a vpdq hash has at least one frame")
        return HashValue(self.name, self.version, encode_frames(frames))

    def degenerate(self, value: HashValue) -> str | None:
        """Degenerate when every frame's PDQ is (a video of one flat colour, or made-up frames)."""
        reasons = [degenerate_pdq(frame.pdq) for frame in self.frames(value)]
        if all(reasons):
            return f"every frame's PDQ is degenerate: {reasons[0]}"
        return None

    def frames(self, value: HashValue) -> list[VpdqFrame]:
        return decode_frames(self.own(value).data)

    def from_bytes(self, data: bytes) -> HashValue:
        decode_frames(data)
        return HashValue(self.name, self.version, bytes(data))

    def parse(self, text: str) -> HashValue:
        return self.value_of(read_vpdq_text(text.strip().lower().replace(";", "\n")))

    def format(self, value: HashValue) -> str:
        return ";".join(_frame_text(frame) for frame in self.frames(value))

    def examples(self) -> Sequence[str]:
        first = "e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c"
        second = "c0f11178372c6aaccddea259648fbfd62f434c89c9e99b249772be216c8d055c"
        return (
            f"0,100,{first},0.000;30,100,{second},1.000",
            f"0,100,{first},0.000;0,96,{second},0.000,bottom",
            f"0,0,{'0' * 64},0.000",
        )

    # -- hashing -------------------------------------------------------------------------

    def keeps_frame(self, frame: VideoFrame) -> bool:
        """Sampling prefers frames whose whole-frame PDQ quality reaches ``frame_min_quality``."""
        return (self._whole_frame(frame.pixels).quality or 0) >= self.frame_min_quality

    def _whole_frame(self, pixels: RGBPixels) -> HashResult:
        """PDQ of the frame, remembered (per thread) for the frame ``keeps_frame`` just saw."""
        memo = getattr(self._memo, "last", None)
        if memo is not None and memo[0] is pixels:
            return memo[1]  # type: ignore[no-any-return]
        result = self.pdq.hash_pixels(pixels)
        self._memo.last = (pixels, result)
        return result

    def hash_frame(self, number: int, timestamp: float, pixels: RGBPixels) -> list[VpdqFrame]:
        """The whole-frame hash and, with ``regions``, the region hashes of one frame."""
        return self._frame(number, timestamp, pixels)[0]

    def _frame(
        self, number: int, timestamp: float, pixels: RGBPixels
    ) -> tuple[list[VpdqFrame], dict[Region, RGBPixels]]:
        """``hash_frame``'s hashes and the region images they were made from."""
        timestamp_ms = round(timestamp * 1000)
        result = self._whole_frame(pixels)
        self._memo.last = None
        hashed = [VpdqFrame(number, result.quality or 0, result.value.data, timestamp_ms)]
        images = region_images(pixels) if self.regions else {}
        for region, image in images.items():
            part = self.pdq.hash_pixels(image)
            hashed.append(VpdqFrame(number, part.quality or 0, part.value.data, timestamp_ms, region))
        return hashed, images

    def hash_frames(self, frames: Iterable[VideoFrame]) -> HashResult:
        """Hashes of every frame given; the result's quality is the share (%) of usable frames."""
        hashed: list[VpdqFrame] = []
        for frame in frames:
            hashed += self.hash_frame(frame.number, frame.timestamp, frame.pixels)
        return self._result(hashed)

    def hash_frames_turned(
        self, frames: Iterable[VideoFrame], turns: Sequence[Dihedral]
    ) -> dict[Dihedral, HashResult]:
        """The video's hash (under ``Dihedral.ORIGINAL``, identical to ``hash_frames``) and, for
        each of ``turns``, the hash of the video with every frame turned or mirrored so.

        Turned videos carry whole-frame hashes and, where bars were cut, the content's; part
        hashes are not turned. PDQ derives the eight turns of a picture from one transform, so
        a turned video costs about one more PDQ per frame. The resilience stage matches these
        as query variants (a mirrored upload of a bank video)."""
        wanted = [turn for turn in turns if turn is not Dihedral.ORIGINAL]
        hashed: dict[Dihedral, list[VpdqFrame]] = {turn: [] for turn in (Dihedral.ORIGINAL, *wanted)}
        for frame in frames:
            timestamp_ms = round(frame.timestamp * 1000)
            plain, images = self._frame(frame.number, frame.timestamp, frame.pixels)
            hashed[Dihedral.ORIGINAL] += plain
            if not wanted:
                continue
            pictures = {Region.FULL: frame.pixels}
            if Region.CONTENT in images:
                pictures[Region.CONTENT] = images[Region.CONTENT]
            for region, picture in pictures.items():
                turned = self.pdq.hash_dihedral(picture)
                for turn in wanted:
                    result = turned[turn]
                    hashed[turn].append(
                        VpdqFrame(frame.number, result.quality or 0, result.value.data, timestamp_ms, region)
                    )
        return {turn: self._result(frames_hashed) for turn, frames_hashed in hashed.items()}

    def _result(self, hashed: list[VpdqFrame]) -> HashResult:
        if not hashed:
            raise CorruptMedia("the video yielded no frames to hash")
        whole = [f for f in hashed if f.region is Region.FULL]
        return HashResult(self.value_of(hashed), _percent(len(self.usable(whole)), len(whole)))

    def usable(self, frames: Iterable[VpdqFrame]) -> list[VpdqFrame]:
        """The frame hashes whose PDQ quality reaches ``frame_min_quality``."""
        return [f for f in frames if f.quality >= self.frame_min_quality]

    def positions(self, value: HashValue) -> list[Position]:
        """The usable frames in time order (a frame is usable when its whole-frame hash is)."""
        by_frame: dict[tuple[int, int], dict[Region, bytes]] = {}
        for frame in self.usable(self.frames(value)):
            by_frame.setdefault((frame.timestamp_ms, frame.number), {})[frame.region] = frame.pdq
        return [
            Position(number, timestamp_ms, hashes)
            for (timestamp_ms, number), hashes in sorted(by_frame.items())
            if Region.FULL in hashes
        ]

    def is_usable(self, result: HashResult) -> bool:
        """A video can be matched when at least one of its frames is usable."""
        return bool(self.positions(result.value))

    # -- comparison ----------------------------------------------------------------------

    def compare(
        self, query: HashValue, other: HashValue, frame_threshold: int | None = None
    ) -> VideoComparison:
        """Brute-force comparison of two videos' usable frames (the video index's reference)."""
        bits = self.frame_threshold if frame_threshold is None else frame_threshold
        left, right = self.positions(query), self.positions(other)
        return comparison_from_pairs(left, right, matched_pairs(left, right, bits))

    def distance(self, a: HashValue, b: HashValue) -> int:
        """Symmetric: the larger of the two directions' distances."""
        return max(self.compare(a, b).distance, self.compare(b, a).distance)

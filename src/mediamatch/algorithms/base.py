"""The hash plug-in interface: typed hash values and the small surface every algorithm provides.

An algorithm is identified by a constant ``name`` and an integer ``version`` that
are stored with every hash; neither is derived from a class name, so renaming a
class never orphans stored hashes. Optional capabilities (quality, dihedral
variants) are declared as class attributes on the base, never discovered with
``hasattr``.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar, cast

import numpy as np
import numpy.typing as npt

from mediamatch.errors import CapabilityNotSupported, InvalidHash, LowQuality
from mediamatch.media.video import VideoFrame
from mediamatch.model import RGBPixels as RGBPixels

ArrayT = TypeVar("ArrayT", bound=npt.NDArray[Any])


WindowLayout = tuple[float, Sequence[tuple[float, float]]]
"""``(share, corners)``: square-share windows and their top-left corners (see ``hash_windows``)."""


class MediaKind(enum.Enum):
    """What an algorithm hashes."""

    IMAGE = "image"
    VIDEO = "video"
    FILE = "file"


class Dihedral(enum.Enum):
    """The eight rotations and reflections of a rectangle, named as Meta's PDQ reference names them."""

    ORIGINAL = "original"
    ROTATE_90 = "rotate90"
    ROTATE_180 = "rotate180"
    ROTATE_270 = "rotate270"
    FLIP_X = "flipx"
    FLIP_Y = "flipy"
    FLIP_PLUS_1 = "flipplus1"
    FLIP_MINUS_1 = "flipminus1"

    def apply(self, pixels: ArrayT) -> ArrayT:
        """The same transform applied to an image array (2-D, or 3-D with channels last).

        Rotations are counter-clockwise; ``FLIP_X`` mirrors top to bottom (across the
        x axis), ``FLIP_Y`` left to right, ``FLIP_PLUS_1`` is the transpose and
        ``FLIP_MINUS_1`` the anti-transpose, matching the reference's test images.
        """
        turned = np.ascontiguousarray(_DIHEDRAL_TRANSFORMS[self](pixels))
        return cast(ArrayT, turned)


_DIHEDRAL_TRANSFORMS: dict[Dihedral, Callable[[npt.NDArray[Any]], npt.NDArray[Any]]] = {
    Dihedral.ORIGINAL: lambda a: a,
    Dihedral.ROTATE_90: lambda a: np.rot90(a, 1),
    Dihedral.ROTATE_180: lambda a: np.rot90(a, 2),
    Dihedral.ROTATE_270: lambda a: np.rot90(a, -1),
    Dihedral.FLIP_X: np.flipud,
    Dihedral.FLIP_Y: np.fliplr,
    Dihedral.FLIP_PLUS_1: lambda a: np.swapaxes(a, 0, 1),
    Dihedral.FLIP_MINUS_1: lambda a: np.swapaxes(np.rot90(a, 2), 0, 1),
}


@dataclass(frozen=True, slots=True)
class HashValue:
    """A hash that knows what produced it: algorithm name, algorithm version and raw bytes.

    Two values are equal only when all three are equal. The canonical text form
    belongs to the algorithm (``HashAlgorithm.format``); ``registry.format``
    prefixes it with the algorithm name for a self-describing string.
    """

    algorithm: str
    version: int
    data: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.data, bytes):
            raise InvalidHash(f"hash data must be bytes, not {type(self.data).__name__}")


@dataclass(frozen=True, slots=True)
class HashResult:
    """A computed hash and, for algorithms that define it, its quality from 0 (useless) to 100."""

    value: HashValue
    quality: int | None = None


class HashAlgorithm(ABC):
    """The required surface of every hash type.

    Implementations guarantee: ``parse(format(v)) == v`` for every value they
    produce; ``distance`` is a non-negative integer in ``distance_unit``, zero for
    equal values and symmetric; a pair matches when ``distance <= threshold``
    (inclusive).
    """

    name: ClassVar[str]
    version: ClassVar[int]
    media_kind: ClassVar[MediaKind]
    distance_unit: ClassVar[str]
    default_threshold: ClassVar[int]
    has_quality: ClassVar[bool] = False
    has_dihedral: ClassVar[bool] = False
    has_negative: ClassVar[bool] = False
    """True when ``negative`` derives, from a picture's hash, the hash of its colour negative."""
    summary: ClassVar[str] = ""
    """One line for listings (``mediamatch algorithms``): what the hash is and what it survives."""
    bank_settings: ClassVar[Mapping[str, int]] = {}
    """Extra per-bank integer settings beside the threshold, with defaults (stored as
    ``"<name>.<setting>"`` in a bank's thresholds); empty for most algorithms."""

    def __init__(self, *, threshold: int | None = None, min_quality: int = 0) -> None:
        self.threshold = self.default_threshold if threshold is None else threshold
        self.min_quality = min_quality

    @abstractmethod
    def parse(self, text: str) -> HashValue:
        """Parse the algorithm's text form, normalising case and surrounding space, or raise InvalidHash."""

    @abstractmethod
    def format(self, value: HashValue) -> str:
        """The one canonical text form of ``value``."""

    @abstractmethod
    def distance(self, a: HashValue, b: HashValue) -> int:
        """Distance between two values of this algorithm, in ``distance_unit``."""

    @abstractmethod
    def examples(self) -> Sequence[str]:
        """Canonical texts of a few valid hashes, for documentation and contract tests."""

    def from_bytes(self, data: bytes) -> HashValue:
        """Wrap raw bytes as this algorithm's value; implementations check the length."""
        return HashValue(self.name, self.version, bytes(data))

    def degenerate(self, value: HashValue) -> str | None:
        """Why ``value`` would match unrelated content (an all-zero hash, the digest of an empty
        file), or None for a value that carries information. Banks refuse such values unless told
        to keep them. Default: no value is degenerate."""
        return None

    def is_match(self, a: HashValue, b: HashValue, threshold: int | None = None) -> bool:
        """True when ``distance(a, b) <= threshold`` (the configured threshold by default)."""
        limit = self.threshold if threshold is None else threshold
        return self.distance(a, b) <= limit

    def is_usable(self, result: HashResult) -> bool:
        """True when the result's quality (if the algorithm has one) reaches ``min_quality``."""
        return result.quality is None or result.quality >= self.min_quality

    def require_usable(self, result: HashResult) -> HashValue:
        """The result's value if it may be matched; raises LowQuality below ``min_quality``."""
        if not self.is_usable(result):
            raise LowQuality(
                f"{self.name} quality {result.quality} is below the minimum of {self.min_quality}"
            )
        return result.value

    def own(self, value: HashValue) -> HashValue:
        """Return ``value`` after checking that it belongs to this algorithm and version."""
        if value.algorithm != self.name or value.version != self.version:
            raise InvalidHash(f"{value.algorithm} v{value.version} hash given to {self.name} v{self.version}")
        return value


class ImageHashAlgorithm(HashAlgorithm):
    """An algorithm that hashes decoded RGB pixels (decoding is the media layer's job)."""

    media_kind: ClassVar[MediaKind] = MediaKind.IMAGE

    @abstractmethod
    def hash_pixels(self, pixels: RGBPixels) -> HashResult:
        """Hash a C-contiguous ``(height, width, 3)`` uint8 RGB array."""

    def hash_reduced(self, pixels: RGBPixels, full_size: tuple[int, int]) -> HashResult:
        """Hash pixels decoded at reduced scale from a picture of ``full_size`` (width, height), as
        close as the algorithm can to ``hash_pixels`` of the full-scale picture (fast modes use it).
        Default: ``hash_pixels(pixels)``."""
        return self.hash_pixels(pixels)

    def hash_dihedral(self, pixels: RGBPixels) -> Mapping[Dihedral, HashResult]:
        """Hashes of all eight rotations and reflections; only where ``has_dihedral`` is declared."""
        raise CapabilityNotSupported(f"{self.name} does not compute dihedral variants")

    def negative(self, result: HashResult) -> HashResult:
        """The hash of the picture's colour negative, from the picture's own; only where
        ``has_negative`` is declared."""
        raise CapabilityNotSupported(f"{self.name} does not derive colour negatives")

    def hash_windows(self, pixels: RGBPixels, layouts: Sequence[WindowLayout]) -> list[list[HashResult]]:
        """Hashes of windows of the picture, per layout: a layout is ``(share, corners)``, windows
        ``share`` of the picture's height and width with their top-left corners at ``corners``,
        each ``(top, left)`` as shares of the height and width; results in the order given.

        Here each window is cut out and hashed (a window reaching past the edge is moved
        inside). An algorithm may compute them together more cheaply, as long as each result
        stays well within its matching tolerance of the window's ``hash_pixels``.
        """
        rows, cols = pixels.shape[0], pixels.shape[1]
        found = []
        for share, corners in layouts:
            height, width = max(1, round(share * rows)), max(1, round(share * cols))
            results = []
            for top, left in corners:
                y = max(0, min(rows - height, round(top * rows)))
                x = max(0, min(cols - width, round(left * cols)))
                results.append(self.hash_pixels(np.ascontiguousarray(pixels[y : y + height, x : x + width])))
            found.append(results)
        return found

    def hash_pixels_and_windows(
        self, pixels: RGBPixels, layouts: Sequence[WindowLayout]
    ) -> tuple[HashResult, list[list[HashResult]]]:
        """``hash_pixels(pixels)`` and ``hash_windows(pixels, layouts)``; an algorithm may share
        work between them, as long as the first stays exactly ``hash_pixels``."""
        return self.hash_pixels(pixels), self.hash_windows(pixels, layouts)


class VideoHashAlgorithm(HashAlgorithm):
    """An algorithm that hashes a sequence of decoded frames (sampling is the caller's choice)."""

    media_kind: ClassVar[MediaKind] = MediaKind.VIDEO

    @abstractmethod
    def hash_frames(self, frames: Iterable[VideoFrame]) -> HashResult:
        """Hash the frames in the order given; raises CorruptMedia if there is none."""

    def keeps_frame(self, frame: VideoFrame) -> bool:
        """Whether sampling may settle on this frame; a refused one is replaced by a later
        frame of the same sampling interval when there is one. Every frame by default."""
        return True


class FixedLengthHexAlgorithm(HashAlgorithm):
    """Values of a fixed byte length whose canonical text is lowercase hex."""

    hash_bits: ClassVar[int]

    @property
    def byte_length(self) -> int:
        return self.hash_bits // 8

    def from_bytes(self, data: bytes) -> HashValue:
        """Wrap raw bytes, checking their length."""
        if len(data) != self.byte_length:
            raise InvalidHash(f"{self.name} hashes are {self.byte_length} bytes, got {len(data)}")
        return HashValue(self.name, self.version, bytes(data))

    def parse(self, text: str) -> HashValue:
        cleaned = text.strip().lower()
        if len(cleaned) != 2 * self.byte_length:
            raise InvalidHash(
                f"{self.name} hash must be {2 * self.byte_length} hex digits, got {len(cleaned)}"
            )
        try:
            data = bytes.fromhex(cleaned)
        except ValueError:
            raise InvalidHash(f"{self.name} hash is not hexadecimal: {text[:80]!r}") from None
        return self.from_bytes(data)

    def format(self, value: HashValue) -> str:
        return self.own(value).data.hex()


class BitStringAlgorithm(FixedLengthHexAlgorithm):
    """Fixed-length bit strings written as lowercase hex and compared by Hamming distance (bits)."""

    distance_unit: ClassVar[str] = "bits"

    def distance(self, a: HashValue, b: HashValue) -> int:
        left = int.from_bytes(self.own(a).data, "big")
        right = int.from_bytes(self.own(b).data, "big")
        return (left ^ right).bit_count()

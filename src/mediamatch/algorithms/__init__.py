"""Hash algorithms behind one small interface, and the registry that names them."""

from mediamatch.algorithms.base import (
    BitStringAlgorithm,
    Dihedral,
    HashAlgorithm,
    HashResult,
    HashValue,
    ImageHashAlgorithm,
    MediaKind,
    RGBPixels,
    VideoHashAlgorithm,
)
from mediamatch.algorithms.digests import FileHashAlgorithm, Md5Algorithm, Sha1Algorithm, Sha256Algorithm
from mediamatch.algorithms.gradgrid import GradGridAlgorithm
from mediamatch.algorithms.pdq import PdqAlgorithm
from mediamatch.algorithms.registry import AlgorithmRegistry, default_registry
from mediamatch.algorithms.vpdq import VideoComparison, VpdqAlgorithm, VpdqFrame

__all__ = [
    "AlgorithmRegistry",
    "BitStringAlgorithm",
    "Dihedral",
    "FileHashAlgorithm",
    "GradGridAlgorithm",
    "HashAlgorithm",
    "HashResult",
    "HashValue",
    "ImageHashAlgorithm",
    "Md5Algorithm",
    "MediaKind",
    "PdqAlgorithm",
    "RGBPixels",
    "Sha1Algorithm",
    "Sha256Algorithm",
    "VideoComparison",
    "VideoHashAlgorithm",
    "VpdqAlgorithm",
    "VpdqFrame",
    "default_registry",
]

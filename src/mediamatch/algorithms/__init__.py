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
)
from mediamatch.algorithms.pdq import PdqAlgorithm
from mediamatch.algorithms.registry import AlgorithmRegistry, default_registry

__all__ = [
    "AlgorithmRegistry",
    "BitStringAlgorithm",
    "Dihedral",
    "HashAlgorithm",
    "HashResult",
    "HashValue",
    "ImageHashAlgorithm",
    "MediaKind",
    "PdqAlgorithm",
    "RGBPixels",
    "default_registry",
]

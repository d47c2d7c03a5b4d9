"""Public test helpers: the algorithm contract suite and generated images.

Importing this package needs pytest (the ``dev`` extra); the runtime never imports it.
"""

from mediamatch.samples import SMALL_EDITS, encode, flat_image, synthetic_photo
from mediamatch.testing.contract import (
    AlgorithmContract,
    FileAlgorithmContract,
    ImageAlgorithmContract,
    VideoAlgorithmContract,
    panning_frames,
)

__all__ = [
    "SMALL_EDITS",
    "AlgorithmContract",
    "FileAlgorithmContract",
    "ImageAlgorithmContract",
    "VideoAlgorithmContract",
    "encode",
    "flat_image",
    "panning_frames",
    "synthetic_photo",
]

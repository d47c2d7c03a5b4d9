"""Range-search indexes over hashes: a brute-force reference and fast exact indexes."""

from mediamatch.index.base import HashIndex, IndexMatch
from mediamatch.index.bruteforce import BruteForceIndex
from mediamatch.index.euclidean import EuclideanScanIndex
from mediamatch.index.exact import ExactIndex
from mediamatch.index.hamming import HammingMultiIndex
from mediamatch.index.video import VideoFrameIndex

__all__ = [
    "BruteForceIndex",
    "EuclideanScanIndex",
    "ExactIndex",
    "HammingMultiIndex",
    "HashIndex",
    "IndexMatch",
    "VideoFrameIndex",
]

"""The engine every front end shares: hashing files now; banks and matching later."""

from mediamatch.engine.hashing import FileHasher, FileHashes, HashMode, ItemError, iter_files
from mediamatch.engine.resilience import QueryVariant, Resilience, query_variants

__all__ = [
    "FileHasher",
    "FileHashes",
    "HashMode",
    "ItemError",
    "QueryVariant",
    "Resilience",
    "iter_files",
    "query_variants",
]

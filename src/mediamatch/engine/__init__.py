"""The engine every front end shares: hashing files now; banks and matching later."""

from mediamatch.engine.hashing import FileHasher, FileHashes, HashMode, ItemError, iter_files

__all__ = ["FileHasher", "FileHashes", "HashMode", "ItemError", "iter_files"]

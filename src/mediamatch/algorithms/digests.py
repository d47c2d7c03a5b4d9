"""Cryptographic digests of a file's bytes, for exact-match hash lists (NCMEC, Project VIC).

They hash the original file bytes, never decoded pixels, so any re-encoding changes them.
Distance is 0 for identical digests and 1 otherwise; the threshold is 0.
"""

from __future__ import annotations

import hashlib
from abc import abstractmethod
from collections.abc import Iterable, Sequence
from typing import ClassVar, Protocol

from mediamatch.algorithms.base import FixedLengthHexAlgorithm, HashResult, HashValue, MediaKind


class Digest(Protocol):
    """The part of hashlib's interface the engine uses to stream a file through a digest."""

    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...


class FileHashAlgorithm(FixedLengthHexAlgorithm):
    """An exact-match hash of raw file bytes, computed by streaming through ``new_digest()``."""

    media_kind: ClassVar[MediaKind] = MediaKind.FILE
    distance_unit: ClassVar[str] = "mismatch (0 identical, 1 different)"
    default_threshold: ClassVar[int] = 0

    @abstractmethod
    def new_digest(self) -> Digest:
        """A fresh incremental digest."""

    def hash_chunks(self, chunks: Iterable[bytes]) -> HashResult:
        digest = self.new_digest()
        for chunk in chunks:
            digest.update(chunk)
        return self.result_of(digest)

    def hash_bytes(self, data: bytes) -> HashResult:
        return self.hash_chunks([data])

    def result_of(self, digest: Digest) -> HashResult:
        return HashResult(self.from_bytes(digest.digest()))

    def distance(self, a: HashValue, b: HashValue) -> int:
        return 0 if self.own(a).data == self.own(b).data else 1


class _HashlibAlgorithm(FileHashAlgorithm):
    summary: ClassVar[str] = "digest of the file's bytes: finds exact copies only, of any kind of file"

    hashlib_name: ClassVar[str]
    example_inputs: ClassVar[tuple[bytes, ...]] = (b"", b"abc")

    def new_digest(self) -> Digest:
        return hashlib.new(self.hashlib_name, usedforsecurity=False)

    def degenerate(self, value: HashValue) -> str | None:
        if self.own(value).data == hashlib.new(self.hashlib_name, b"", usedforsecurity=False).digest():
            return "the digest of an empty file (it matches every empty upload)"
        return None

    def examples(self) -> Sequence[str]:
        return tuple(self.format(self.hash_bytes(data).value) for data in self.example_inputs)


class Md5Algorithm(_HashlibAlgorithm):
    name: ClassVar[str] = "md5"
    version: ClassVar[int] = 1
    hash_bits: ClassVar[int] = 128
    hashlib_name: ClassVar[str] = "md5"


class Sha1Algorithm(_HashlibAlgorithm):
    name: ClassVar[str] = "sha1"
    version: ClassVar[int] = 1
    hash_bits: ClassVar[int] = 160
    hashlib_name: ClassVar[str] = "sha1"


class Sha256Algorithm(_HashlibAlgorithm):
    name: ClassVar[str] = "sha256"
    version: ClassVar[int] = 1
    hash_bits: ClassVar[int] = 256
    hashlib_name: ClassVar[str] = "sha256"

from __future__ import annotations

import hashlib

import pytest

from mediamatch.algorithms import FileHashAlgorithm, Md5Algorithm, Sha1Algorithm, Sha256Algorithm
from mediamatch.testing import FileAlgorithmContract

KNOWN_ABC = {
    "md5": "900150983cd24fb0d6963f7d28e17f72",
    "sha1": "a9993e364706816aba3e25717850c26c9cd0d89d",
    "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
}


@pytest.fixture(params=[Md5Algorithm, Sha1Algorithm, Sha256Algorithm], ids=lambda cls: cls.name)
def digest_algorithm(request: pytest.FixtureRequest) -> FileHashAlgorithm:
    algorithm: FileHashAlgorithm = request.param()
    return algorithm


class TestDigestContract(FileAlgorithmContract):
    @pytest.fixture
    def algorithm(self, digest_algorithm: FileHashAlgorithm) -> FileHashAlgorithm:
        return digest_algorithm


def test_published_test_vectors(digest_algorithm: FileHashAlgorithm) -> None:
    value = digest_algorithm.hash_bytes(b"abc").value
    assert digest_algorithm.format(value) == KNOWN_ABC[digest_algorithm.name]
    assert value.data == hashlib.new(digest_algorithm.name, b"abc").digest()


def test_identity_and_units_are_pinned(digest_algorithm: FileHashAlgorithm) -> None:
    assert digest_algorithm.version == 1
    assert digest_algorithm.threshold == 0
    assert digest_algorithm.distance_unit.startswith("mismatch")


def test_uppercase_lists_normalise(digest_algorithm: FileHashAlgorithm) -> None:
    text = KNOWN_ABC[digest_algorithm.name]
    assert digest_algorithm.format(digest_algorithm.parse(text.upper() + "\r\n")) == text

from __future__ import annotations

import pytest

from mediamatch.algorithms import ImageHashAlgorithm, PdqAlgorithm
from mediamatch.testing import ImageAlgorithmContract


class TestPdqContract(ImageAlgorithmContract):
    @pytest.fixture
    def algorithm(self) -> ImageHashAlgorithm:
        return PdqAlgorithm()

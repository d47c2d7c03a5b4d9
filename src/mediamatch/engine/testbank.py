"""The built-in benign Test bank: hashes of generated sample images, so integrations can see a hit.

Nothing here is abuse material and nothing is downloaded: the images are computed from
fixed seeds (``mediamatch.samples``). ``test`` API keys match only this bank and ``live``
keys never see it.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from mediamatch.algorithms import AlgorithmRegistry, ImageHashAlgorithm
from mediamatch.engine.bank_images import image_entries
from mediamatch.errors import BankExists
from mediamatch.model import RGBPixels
from mediamatch.samples import encode, synthetic_photo

if TYPE_CHECKING:
    from mediamatch.store import Store

TEST_BANK = "TEST"
TEST_IMAGE_SEEDS = (90001, 90002, 90003, 90004, 90005)
TEST_ALGORITHMS = ("pdq", "gradgrid144")


def sample_image(number: int) -> RGBPixels:
    """Test image ``number`` (1-based), 640x480."""
    if not 1 <= number <= len(TEST_IMAGE_SEEDS):
        raise KeyError(number)
    return synthetic_photo(TEST_IMAGE_SEEDS[number - 1], 640, 480)


def sample_image_png(number: int) -> bytes:
    return encode(sample_image(number), "PNG")


def ensure_test_bank(store: Store, registry: AlgorithmRegistry) -> None:
    """Create the Test bank with every test image's hashes.

    Writes nothing when the bank is already complete, so starting a service does not bump
    the store revision (which would make the other workers rebuild their indexes).
    """
    expected = len(TEST_IMAGE_SEEDS) * len(TEST_ALGORITHMS)
    if any(b.name == TEST_BANK for b in store.banks()) and store.count_entries(TEST_BANK) >= expected:
        return
    with contextlib.suppress(BankExists):
        store.create_bank(TEST_BANK, description="Built-in benign test images (GET /v1/test-images)")
    algorithms = [registry.get(name) for name in TEST_ALGORITHMS]
    image_algorithms = [a for a in algorithms if isinstance(a, ImageHashAlgorithm)]
    entries = []
    for number in range(1, len(TEST_IMAGE_SEEDS) + 1):
        entries += image_entries(
            sample_image(number), image_algorithms, external_id=f"test-image-{number}", tags=("test",)
        )
    store.add_entries(TEST_BANK, entries)

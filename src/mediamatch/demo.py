"""``make demo``: hash a few generated images and their edits, and show what matches.

Until the matching service exists this is the demo: it writes sample images (generated,
nothing downloaded) to a folder, hashes them with PDQ in exact and fast mode, and prints
each image's distance to the original.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from mediamatch.algorithms import Dihedral, PdqAlgorithm
from mediamatch.engine import FileHasher, HashMode
from mediamatch.model import RGBPixels
from mediamatch.samples import brightness, encode, jpeg_recompress, resize, synthetic_photo

SAMPLES: dict[str, Callable[[RGBPixels], RGBPixels]] = {
    "original": lambda pixels: pixels,
    "JPEG quality 30": jpeg_recompress(30),
    "resized to 40 %": resize(0.4),
    "20 % brighter": brightness(1.2),
    "mirrored": Dihedral.FLIP_Y.apply,
    "unrelated image": lambda pixels: synthetic_photo(7, 640, 480),
}


def write_samples(folder: Path) -> dict[str, Path]:
    """The original photo-like image, its edits and an unrelated image, as PNG files in ``folder``."""
    original = np.ascontiguousarray(np.repeat(np.repeat(synthetic_photo(2024, 400, 300), 4, 0), 4, 1))
    paths = {}
    for index, (label, make) in enumerate(SAMPLES.items()):
        paths[label] = folder / f"sample-{index}.png"
        paths[label].write_bytes(encode(make(original), "PNG"))
    return paths


def run(folder: Path, console: Console) -> None:
    pdq = PdqAlgorithm()
    exact, fast = FileHasher([pdq]), FileHasher([pdq], mode=HashMode.FAST)
    paths = write_samples(folder)
    reference = exact.hash_file(paths["original"]).results["pdq"].value
    table = Table(title=f"PDQ, threshold {pdq.threshold} bits inclusive; samples in {folder}")
    for column in ("image", "PDQ hash (exact)", "quality", "distance", "fast-mode distance", "verdict"):
        table.add_column(column)
    for label, path in paths.items():
        result = exact.hash_file(path).results["pdq"]
        fast_distance = pdq.distance(reference, fast.hash_file(path).results["pdq"].value)
        distance = pdq.distance(reference, result.value)
        verdict = "match" if distance <= pdq.threshold else "no match"
        row = (
            label,
            pdq.format(result.value),
            str(result.quality),
            str(distance),
            str(fast_distance),
            verdict,
        )
        table.add_row(*row)
    console.print(table)
    console.print(f"Try: .venv/bin/mediamatch hash {folder}")
    console.print(f"     .venv/bin/mediamatch compare {paths['original']} {paths['JPEG quality 30']}")


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="mediamatch-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    run(folder, Console(width=140))


if __name__ == "__main__":
    main()

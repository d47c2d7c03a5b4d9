"""Hashing speed and memory: our PDQ (exact and fast) against ``pdqhash`` fed by a full Pillow decode.

Usage: python bench/hash_speed.py [--corpus DIR] [--images N] [--repeats R]

JPEGs of about 1 MP and 12 MP are built from real photos (``../shared/corpus/collect.sh``
puts them in ./.corpus/photos); without the corpus, generated images are used and a
warning is printed. Times are medians per image, decode included. Ratios are
throughput ratios: peer time / our time (higher is better for us).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image

from mediamatch.algorithms import GradGridAlgorithm, PdqAlgorithm
from mediamatch.engine import FileHasher, HashMode
from mediamatch.samples import synthetic_photo

SIZES = {"1 MP": (1152, 864), "12 MP": (4000, 3000)}
PDQ = PdqAlgorithm()
GRADGRID = GradGridAlgorithm()


def source_photos(corpus: Path, count: int) -> list[Image.Image]:
    """The ``count`` largest corpus photos, or generated stand-ins when the corpus is absent."""
    files = sorted(p for p in corpus.glob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    if not files:
        print(f"WARNING: no photos in {corpus}; using generated images (run ../shared/corpus/collect.sh)")
        return [Image.fromarray(synthetic_photo(seed, 1600, 1200)) for seed in range(count)]
    sized = sorted(files, key=lambda p: -np.prod(Image.open(p).size))[:count]
    return [Image.open(p).convert("RGB") for p in sized]


def build_jpegs(photos: list[Image.Image], folder: Path) -> dict[str, list[Path]]:
    """Each photo centre-cropped to 4:3 and resampled to each size, saved at JPEG quality 90."""
    built: dict[str, list[Path]] = {}
    for label, (width, height) in SIZES.items():
        built[label] = []
        for index, photo in enumerate(photos):
            scale = max(width / photo.width, height / photo.height)
            resized = photo.resize(
                (round(photo.width * scale), round(photo.height * scale)), Image.Resampling.LANCZOS
            )
            left, top = (resized.width - width) // 2, (resized.height - height) // 2
            path = folder / f"{label.replace(' ', '')}-{index}.jpg"
            resized.crop((left, top, left + width, top + height)).save(path, "JPEG", quality=90)
            built[label].append(path)
    return built


def pdqhash_with_pillow(path: Path) -> None:
    pixels = np.asarray(Image.open(path).convert("RGB"))
    pdqhash.compute(pixels)


def methods() -> dict[str, Callable[[Path], object]]:
    exact, fast = FileHasher([PDQ]), FileHasher([PDQ], mode=HashMode.FAST)
    grad, both = FileHasher([GRADGRID]), FileHasher([PDQ, GRADGRID])
    return {
        "ours exact": exact.hash_file,
        "ours fast": fast.hash_file,
        "gradgrid144": grad.hash_file,
        "pdq+gradgrid144, one decode": both.hash_file,
        "pdqhash + Pillow": pdqhash_with_pillow,
    }


def median_ms(function: Callable[[Path], object], paths: list[Path], repeats: int) -> float:
    function(paths[0])
    samples = []
    for _ in range(repeats):
        for path in paths:
            start = time.perf_counter()
            function(path)
            samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def peak_memory_mb(method: str, path: Path) -> float:
    """Peak RSS growth while one method hashes one file, measured in a fresh process."""
    output = subprocess.run(
        [sys.executable, __file__, "--memory-probe", method, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(output.stdout.strip())


def _proc_status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def memory_probe(method: str, path: Path) -> None:
    function = methods()[method]
    tiny = Path(tempfile.mkdtemp()) / "tiny.jpg"
    Image.fromarray(synthetic_photo(1, 64, 48)).save(tiny)
    function(tiny)  # compile and import everything first
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak-RSS counter
    before = _proc_status_kb("VmRSS")
    function(path)
    print((_proc_status_kb("VmHWM") - before) / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=Path(".corpus/photos"))
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory-probe", nargs=2, metavar=("METHOD", "PATH"))
    args = parser.parse_args()
    if args.memory_probe:
        memory_probe(args.memory_probe[0], Path(args.memory_probe[1]))
        return
    with tempfile.TemporaryDirectory() as folder:
        jpegs = build_jpegs(source_photos(args.corpus, args.images), Path(folder))
        report(jpegs, args.repeats)


def report(jpegs: dict[str, list[Path]], repeats: int) -> None:
    print("| size | method | median ms/image | images/s | vs pdqhash | goal |")
    print("|---|---|---|---|---|---|")
    goals = {("1 MP", "ours exact"): 1.0, ("12 MP", "ours exact"): 1.5, ("12 MP", "ours fast"): 15.0}
    for label, paths in jpegs.items():
        timings = {name: median_ms(function, paths, repeats) for name, function in methods().items()}
        peer = timings["pdqhash + Pillow"]
        for name, ms in timings.items():
            goal = goals.get((label, name))
            verdict = "" if goal is None else f">= {goal}x: {'met' if peer / ms >= goal else 'MISSED'}"
            if name == "gradgrid144":
                faster = timings["ours exact"] >= ms
                verdict = f"<= ours exact ({timings['ours exact']:.1f} ms): {'met' if faster else 'MISSED'}"
            print(f"| {label} | {name} | {ms:.1f} | {1000 / ms:.1f} | {peer / ms:.2f}x | {verdict} |")
    large = jpegs["12 MP"][0]
    with Image.open(large) as image:
        rgb_mb = image.width * image.height * 3 / 2**20
    limit = 2 * rgb_mb + 60
    print()
    print(f"| peak memory, one 12 MP JPEG | MB | goal <= 2 x {rgb_mb:.1f} MB RGB + 60 MB = {limit:.0f} MB |")
    print("|---|---|---|")
    for name in ("ours exact", "ours fast", "gradgrid144", "pdqhash + Pillow"):
        peak = peak_memory_mb(name, large)
        verdict = "" if name.startswith("pdqhash") else ("met" if peak <= limit else "MISSED")
        print(f"| {name} | {peak:.1f} | {verdict} |")


if __name__ == "__main__":
    main()

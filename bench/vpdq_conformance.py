"""vPDQ conformance: our frame hashes against the reference hash files, every frame of every video.

Usage: python bench/vpdq_conformance.py [--reference DIR]

For each sample video in ``DIR/videos`` and each reference variant in ``DIR/vpdq-hashes``
(``<video>.txt``: full-size frames; ``<video>-128x128.txt``: frames scaled to 128x128
first), hashes every frame as the reference did and prints the distribution of the
per-frame Hamming distances (bits): over all frames, and over the frames the reference
rates usable (quality >= 50, PDQ's matching floor). Goal: median 0 and >= 99 % of frames
within 10 bits.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from mediamatch.testing.vpdq_conformance import VARIANTS, compare_with_reference

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"


def row(label: str, distances: list[int]) -> str:
    d = np.array(distances or [0])
    return (
        f"| {label} | {len(distances)} | {np.median(d):.0f} | {np.percentile(d, 99):.0f} | {d.max()} | "
        f"{100 * (d == 0).mean():.1f} | {100 * (d <= 10).mean():.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=REFERENCE)
    args = parser.parse_args()
    videos = sorted((args.reference / "videos").glob("*.mp4"))
    if not videos:
        sys.exit(f"no videos in {args.reference / 'videos'}")
    for suffix, scale in VARIANTS.items():
        label = "128x128 frames" if scale else "full-size frames"
        print(f"\n### {label} (reference files `<video>{suffix}.txt`), distances in bits\n")
        print("| video | frames | median | p99 | max | exact % | <= 10 bits % |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        everything: list[int] = []
        usable: list[int] = []
        for video in videos:
            reference = args.reference / "vpdq-hashes" / f"{video.stem}{suffix}.txt"
            if not reference.is_file():
                continue
            result = compare_with_reference(video, reference, scale)
            if result.frames_missing:
                print(f"WARNING: {video.stem}: {result.frames_missing} reference frames not produced")
            print(row(video.stem, result.distances))
            everything += result.distances
            usable += [d for d, ok in zip(result.distances, result.usable, strict=True) if ok]
        print(row("**all frames**", everything))
        print(row("**usable frames (quality >= 50)**", usable))


if __name__ == "__main__":
    main()

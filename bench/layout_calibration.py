"""How often ``engine.layout`` calls a picture layout-dominated, per content class of the hard-negative
corpus (``bench/negatives.py``) and for the corpus photographs, as files and recompressed.

Usage: python bench/layout_calibration.py [--negatives .negatives] [--photos .corpus/photos]
[--per-class 60] [--seed 3] [--families N]

Prints one row per class: pictures looked at, the share called layout-dominated as stored, and
the share after a JPEG recompression at quality 40. The rule's thresholds were set from this
table; a class of templated pictures that falls far below the others, or photographs above a few
per cent, say the rule no longer holds.

With ``--families N``, also why the rule exists: for N templated families (documents, charts,
diagrams, icons, screenshots, web pages), one member as the bank picture, and as queries another
member (a sibling) and the bank picture under everyday edits, how often keypoint verification
passes and the share of visible bank keypoints it confirms (10th, 50th and 90th percentiles of
the passing pairs). Siblings and edited copies overlap there: no setting of verification tells
them apart.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

from edits import EXTENDED
from mediamatch.algorithms.keypoints import Keypoints, bank_keypoints, verify
from mediamatch.engine.layout import layout_figures, reduced_copy
from mediamatch.engine.verification import MIN_BANK_KEYPOINTS, QueryPicture, passes

TEMPLATED = ("charts", "diagrams", "documents", "icons", "screenshots", "webpages")
EDITS = (
    "jpeg q30", "resize 50%", "greyscale", "mirror (left-right flip)", "crop 5%", "crop 10%",
    "border 10% black", "letterbox 10%", "rotate +3", "perspective 8%", "caption bar", "screenshot",
    "sticker 5%", "watermark text", "chain of 2 everyday edits",
)  # fmt: skip


def dominated(image: Image.Image) -> bool:
    return layout_figures(reduced_copy(np.asarray(image.convert("RGB")))).dominated


def recompressed(image: Image.Image, quality: int = 40) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return Image.open(buffer)


def best_view(bank: Keypoints, query: QueryPicture) -> tuple[bool, float]:
    """Whether any view passes, and the confirmed share of the best one."""
    found = []
    for view in query.views_for("original"):
        shown = query.keypoints(*view)
        figures = verify(bank, shown)
        found.append((passes(bank, shown), figures.confirmed / max(1, figures.visible)))
    return max(found)


def verification_table(rows: list[dict[str, str]], folder: Path, families: int, seed: int) -> None:
    members: dict[str, list[Path]] = defaultdict(list)
    for row in rows:
        if row["template"] != "-" and row["class"] in TEMPLATED:
            members[row["template"]].append(folder / row["path"])
    rng = random.Random(seed)
    chosen = [paths for _, paths in sorted(members.items()) if len(paths) >= 2]
    rng.shuffle(chosen)
    outcomes: dict[str, list[tuple[bool, float]]] = defaultdict(list)
    for paths in chosen[:families]:
        first, second = rng.sample(paths, 2)
        with Image.open(first) as opened:
            bank_image = opened.convert("RGB")
        bank = bank_keypoints(np.asarray(bank_image))
        if len(bank) < MIN_BANK_KEYPOINTS:
            continue
        with Image.open(second) as opened:
            outcomes["sibling"].append(best_view(bank, QueryPicture.of(np.asarray(opened.convert("RGB")))))
        for edit in EDITS:
            edited = EXTENDED[edit](bank_image, random.Random(1)).convert("RGB")
            outcomes[edit].append(best_view(bank, QueryPicture.of(np.asarray(edited))))
    print()
    print("| query | pairs | verified | confirmed share p10 / p50 / p90 (verified pairs) |")
    print("| --- | --- | --- | --- |")
    for name, found in outcomes.items():
        shares = sorted(share for ok, share in found if ok)
        cut = [shares[min(len(shares) - 1, int(q * len(shares)))] for q in (0.1, 0.5, 0.9)] if shares else []
        quantiles = " / ".join(f"{v:.2f}" for v in cut) or "-"
        print(f"| {name} | {len(found)} | {sum(ok for ok, _ in found) / len(found):.2f} | {quantiles} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--negatives", type=Path, default=Path(".negatives"))
    parser.add_argument("--photos", type=Path, default=Path(".corpus/photos"))
    parser.add_argument("--per-class", type=int, default=60)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--families", type=int, default=0, help="families for the verification table")
    args = parser.parse_args()
    with (args.negatives / "manifest.tsv").open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    by_class: dict[str, list[Path]] = defaultdict(list)
    for row in rows:
        if row["class"] != "photos":
            by_class[row["class"]].append(args.negatives / row["path"])
    rng = random.Random(args.seed)
    chosen = {name: rng.sample(paths, min(args.per_class, len(paths))) for name, paths in by_class.items()}
    chosen = dict(sorted(chosen.items()))
    chosen["corpus photos"] = sorted(
        p for p in args.photos.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"}
    )
    print("| class | pictures | layout-dominated | after JPEG q40 |")
    print("| --- | --- | --- | --- |")
    for name, paths in chosen.items():
        plain = jpeg = 0
        for path in paths:
            with Image.open(path) as image:
                plain += dominated(image)
                jpeg += dominated(recompressed(image))
        print(f"| {name} | {len(paths)} | {plain / len(paths):.2f} | {jpeg / len(paths):.2f} |")
    if args.families:
        verification_table(rows, args.negatives, args.families, args.seed)


if __name__ == "__main__":
    main()

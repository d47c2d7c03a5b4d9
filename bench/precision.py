"""Precision and recall at the shipped defaults, for both kinds of bank, with peer hashers on the same files.

Usage: python bench/precision.py --negatives DIR [--photos DIR] [--bank N] [--queries N] [--edited N]
       [--recall-photos N] [--jobs N] [--seed S]

Corpus: the hard negatives of ``bench/negatives.py`` (its manifest.tsv: class and template of
each picture) and the real photographs of ``../shared/corpus/collect.sh``. Every class of
negatives is split in two at random, *templates included*: pages of one site, screens of one
app and codes of one generator land on both sides, so the bank holds the siblings of the
queries, the hardest negatives there are.

- Bank: every photograph (the recall targets) and the bank half of the negatives, up to --bank
  pictures. Built twice through the engine: ``IMAGES`` as ``bank add-images`` builds it (PDQ and
  gradgrid144 with stored regions and the picture's keypoints) and ``HASHLIST`` as an imported
  PDQ hash list.
- Precision: the query half of the negatives (--queries), plain and, for --edited of them, with a
  random edit of ``edits.EXTENDED``; each against every bank picture through the engine's
  ``Matcher`` (resilience on, as shipped). A pair is a false match when any hash of the query
  meets any hash of the bank picture within the shipped threshold of its algorithm.
- Recall: --recall-photos photographs of the bank, each edited by every family of
  ``edits.EXTENDED``; a hit is the photograph's own entry matched.
- Peers, on the same pixels: pdqhash (plain and its 8 dihedral variants) at <= 31, imagehash
  phash and dhash (64 bits) at <= 10, each also at its zero-false-match threshold (the largest
  at which no unrelated pair of this run matches). Ours at zero false matches takes, per
  algorithm, the largest threshold at which no unrelated pair matches, at most the shipped one.

IMAGES is matched at the shipped defaults and its decisions are the engine's own (verification
included), made in the worker processes by their own ``Matcher``: it has no single threshold to
loosen, so its "@0 FM" column is its shipped recall when the run saw no false match and 0
otherwise. HASHLIST's index is searched with a wide threshold (``PROBE``) so that the distances of
near pairs are seen, and the shipped threshold is applied here, as ``Matcher`` would.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import imagehash
import numpy as np
import pdqhash
from PIL import Image

from edits import EXTENDED
from mediamatch.algorithms import ImageHashAlgorithm, default_registry
from mediamatch.engine.bank_images import image_entries
from mediamatch.engine.matching import Matcher
from mediamatch.engine.resilience import QueryVariant, Resilience, query_views
from mediamatch.engine.verification import QueryPicture
from mediamatch.media import decode_image
from mediamatch.store import NewEntry, Store

REGISTRY = default_registry()
ALGORITHMS: list[ImageHashAlgorithm] = [REGISTRY.get("pdq"), REGISTRY.get("gradgrid144")]  # type: ignore[list-item]
STAGE = Resilience()
SHIPPED = {a.name: STAGE.thresholds.get(a.name, a.threshold) for a in ALGORITHMS}
PROBE = {"pdq": 56, "gradgrid144": 130}
"""Per-bank thresholds the indexes are searched with: wider than shipped, to read the tail."""
PEERS = {"pdqhash": 31, "pdqhash dihedral": 31, "imagehash phash": 10, "imagehash dhash": 10}
MAX_SIDE = 1024
FAR = 10**6


@dataclass(frozen=True, slots=True)
class Picture:
    path: Path
    group: str
    """The content class (``photos`` for the recall targets)."""
    template: str


@dataclass
class Hashed:
    """What a worker returns for one picture or edited copy: our query variants (or bank entries)
    and the peers' hashes (a list of variants each)."""

    key: str
    group: str
    template: str = "-"
    variants: dict[str, list[QueryVariant]] = field(default_factory=dict)
    near: dict[str, Near] = field(default_factory=dict)
    """Per bank kind, what the engine's matcher met (made in the worker, verification included)."""
    entries: list[NewEntry] = field(default_factory=list)
    peers: dict[str, list[np.ndarray]] = field(default_factory=dict)
    error: str | None = None


def _pixels(path: Path) -> Image.Image:
    image = Image.fromarray(decode_image(path.read_bytes()).pixels)
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return image


def _bits(value: imagehash.ImageHash) -> np.ndarray:
    return np.packbits(np.asarray(value.hash, dtype=bool).ravel())


def peer_hashes(image: Image.Image) -> dict[str, list[np.ndarray]]:
    rgb = np.ascontiguousarray(np.asarray(image.convert("RGB")))
    plain, _ = pdqhash.compute(rgb)
    turned, _ = pdqhash.compute_dihedral(rgb)
    return {
        "pdqhash": [np.packbits(plain.astype(bool))],
        "pdqhash dihedral": [np.packbits(np.asarray(v).astype(bool)) for v in turned],
        "imagehash phash": [_bits(imagehash.phash(image))],
        "imagehash dhash": [_bits(imagehash.dhash(image))],
    }


def hash_bank(picture: Picture) -> Hashed:
    try:
        image = _pixels(picture.path)
    except Exception as error:
        return Hashed(str(picture.path), picture.group, error=f"{type(error).__name__}: {error}")
    pixels = np.ascontiguousarray(np.asarray(image.convert("RGB")))
    entries = image_entries(pixels, ALGORITHMS, external_id=str(picture.path))
    return Hashed(str(picture.path), picture.group, entries=entries, peers=peer_hashes(image))


def hash_query(job: tuple[Picture, str, str, int]) -> Hashed:
    """``(picture, key, edit name or '', seed)``: the picture, edited, as a query."""
    picture, key, edit, seed = job
    try:
        image = _pixels(picture.path)
        if edit:
            image = EXTENDED[edit](image, random.Random(seed)).convert("RGB")
    except Exception as error:
        return Hashed(key, picture.group, error=f"{type(error).__name__}: {error}")
    pixels = np.ascontiguousarray(np.asarray(image))
    variants, parts = query_views(pixels, ALGORITHMS, STAGE)
    seen = QueryPicture.of(pixels, parts)
    near = {kind: near_pictures(matcher, key, variants, seen) for kind, matcher in _MATCHERS.items()}
    return Hashed(key, picture.group, picture.template, near=near, peers=peer_hashes(image))


_MATCHERS: dict[str, Matcher] = {}
"""The worker's own matchers, one per bank kind, over the run's store (``open_matchers``)."""


def open_matchers(url: str) -> None:
    """Pool initializer: each worker matches its queries itself, verification included."""
    store = Store(url)
    _MATCHERS.update({kind: Matcher(store, REGISTRY, [kind]) for kind in OURS})


def load_negatives(folder: Path) -> list[Picture]:
    manifest = folder / "manifest.tsv"
    if not manifest.is_file():
        sys.exit(f"no {manifest}: run python bench/negatives.py --out {folder} first")
    with manifest.open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [Picture(folder / r["path"], r["class"], r.get("template", "-")) for r in rows]


def load_photos(folder: Path | None) -> list[Picture]:
    if folder is None or not folder.is_dir():
        return []
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    return [Picture(p, "photos", "-") for p in files]


def split(pictures: Sequence[Picture], seed: int) -> tuple[list[Picture], list[Picture]]:
    """Each class halved at random (templates land on both sides)."""
    by_class: dict[str, list[Picture]] = defaultdict(list)
    for picture in pictures:
        by_class[picture.group].append(picture)
    bank, queries = [], []
    rng = random.Random(seed)
    for group in sorted(by_class):
        members = sorted(by_class[group], key=lambda p: str(p.path))
        rng.shuffle(members)
        bank += members[::2]
        queries += members[1::2]
    return bank, queries


def run_pool(
    function: object, jobs: Sequence[object], workers: int, label: str, store_url: str | None = None
) -> Iterator[Hashed]:
    started, done = time.monotonic(), 0
    setup = {} if store_url is None else {"initializer": open_matchers, "initargs": (store_url,)}
    with ProcessPoolExecutor(workers, **setup) as pool:  # type: ignore[arg-type]
        for result in pool.map(function, jobs, chunksize=16):  # type: ignore[arg-type]
            done += 1
            if done % 1000 == 0:
                print(f"  {label}: {done}/{len(jobs)} in {time.monotonic() - started:.0f} s", file=sys.stderr)
            yield result


# -- the engine's side ------------------------------------------------------------------------


def build_store(bank: Sequence[Hashed], folder: Path) -> Store:
    """Both banks; external ids name the bank pictures. IMAGES at the shipped defaults (its
    decisions are verified, not a distance); HASHLIST searched with the probe threshold, the
    shipped one applied here."""
    store = Store(f"sqlite:///{folder / 'bench.sqlite3'}")
    store.create_bank("IMAGES")
    store.create_bank("HASHLIST", thresholds={"pdq": PROBE["pdq"]})
    store.add_entries("IMAGES", [e for h in bank for e in h.entries])
    listed = [
        NewEntry("pdq", e.hash, external_id=e.external_id)
        for h in bank
        for e in h.entries
        if e.algorithm == "pdq"
    ]
    store.add_entries("HASHLIST", listed)
    return store


Near = dict[str, dict[str, tuple[int, str, bool]]]
"""Per bank picture met: per algorithm, (distance, variant label, verified)."""


def near_pictures(
    matcher: Matcher, key: str, variants: dict[str, list[QueryVariant]], picture: QueryPicture
) -> Near:
    results = {name: found[0].result for name, found in variants.items()}
    answer = matcher.match_results(key, results, variants=variants, picture=picture)
    near: Near = defaultdict(dict)
    for match in [*answer.matches, *answer.suppressed]:
        owner = match.external_id or ""
        if match.algorithm not in near[owner] or match.distance < near[owner][match.algorithm][0]:
            near[owner][match.algorithm] = (match.distance, match.variant, match.verified)
    return dict(near)


def matches_at(found: dict[str, tuple[int, str, bool]], thresholds: dict[str, int]) -> bool:
    return any(distance <= thresholds.get(name, -1) for name, (distance, _, _) in found.items())


# -- the peers' side ---------------------------------------------------------------------------


def peer_distances(variants: list[np.ndarray], bank: np.ndarray) -> np.ndarray:
    """Per bank picture, the smallest Hamming distance over the query's variants."""
    best = np.full(len(bank), FAR, dtype=np.int64)
    for value in variants:
        xor = np.bitwise_xor(bank, value[None, :])
        best = np.minimum(best, np.bitwise_count(xor).sum(axis=1, dtype=np.int64))
    return best


# -- the run ----------------------------------------------------------------------------------

OURS = ("IMAGES", "HASHLIST")


@dataclass
class Tally:
    """Precision of one content class: queries, and per column the false pairs, the queries that
    matched anything and the smallest unrelated distances."""

    queries: int = 0
    false_pairs: Counter[str] = field(default_factory=Counter)
    matched_queries: Counter[str] = field(default_factory=Counter)
    closest: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def near(self, column: str, distance: int) -> None:
        self.closest[column] = sorted([*self.closest[column], distance])[:3]


@dataclass
class Run:
    bank_keys: list[str]
    peer_bank: dict[str, np.ndarray]
    bank_templates: dict[str, str] = field(default_factory=dict)
    false_rows: list[tuple[str, ...]] = field(default_factory=list)
    """Every false pair of ours: kind, query, its class and template, bank picture, its template,
    algorithm, distance, path, verified (``--false-pairs`` writes them)."""
    tallies: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    paths: Counter[str] = field(default_factory=Counter)
    own: dict[str, list[dict[str, int]]] = field(default_factory=lambda: defaultdict(list))
    """Per edit family, per recall query, the own picture's distance per column (ours per algorithm)."""

    def unrelated(self, query: Hashed) -> None:
        tally = self.tallies[query.group]
        tally.queries += 1
        for kind in OURS:
            near = query.near[kind]
            if kind == "IMAGES":  # the matcher's own decisions
                hits = list(near)
                self._record(kind, query, {owner: near[owner] for owner in hits})
                for found in near.values():
                    for name, (_, label, _) in found.items():
                        self.paths[f"{name} {label.split('/')[0].rstrip('0123456789')}"] += 1
            else:
                hits = [owner for owner, found in near.items() if matches_at(found, SHIPPED)]
                self._record(kind, query, {owner: near[owner] for owner in hits})
                for found in near.values():
                    for name, (distance, _, _) in found.items():
                        tally.near(f"{kind}:{name}", distance)
            tally.false_pairs[kind] += len(hits)
            tally.matched_queries[kind] += bool(hits)
        for peer, threshold in PEERS.items():
            distances = peer_distances(query.peers[peer], self.peer_bank[peer])
            hits = int((distances <= threshold).sum())
            tally.false_pairs[peer] += hits
            tally.matched_queries[peer] += bool(hits)
            tally.near(peer, int(distances.min()))

    def _record(self, kind: str, query: Hashed, hits: Near) -> None:
        for owner, found in hits.items():
            for name, (distance, label, verified) in found.items():
                if kind == "HASHLIST" and distance > SHIPPED[name]:
                    continue
                self.false_rows.append(
                    (
                        kind,
                        query.key,
                        query.group,
                        query.template,
                        owner,
                        self.bank_templates.get(owner, "-"),
                        name,
                        str(distance),
                        label,
                        "verified" if verified else "hash alone",
                    )
                )

    def edited_own(self, query: Hashed, edit: str, own: int) -> None:
        row: dict[str, int] = {}
        for kind in OURS:
            found = query.near[kind].get(self.bank_keys[own], {})
            for name in SHIPPED:
                row[f"{kind}:{name}"] = found[name][0] if name in found else FAR
        row["IMAGES"] = (
            0 if any(f"IMAGES:{name}" in row and row[f"IMAGES:{name}"] < FAR for name in SHIPPED) else FAR
        )
        for peer in PEERS:
            row[peer] = int(peer_distances(query.peers[peer], self.peer_bank[peer][own : own + 1])[0])
        self.own[edit].append(row)

    def zero_false(self) -> dict[str, int]:
        """Per column the largest threshold no unrelated pair of the run meets (ours: at most shipped)."""
        lowest: dict[str, int] = {}
        for tally in self.tallies.values():
            for column, distances in tally.closest.items():
                if distances:
                    lowest[column] = min(lowest.get(column, FAR), distances[0])
        limits = {column: distance - 1 for column, distance in lowest.items()}
        for name, shipped in SHIPPED.items():
            column = f"HASHLIST:{name}"
            limits[column] = min(limits.get(column, PROBE[name]), shipped)
        # IMAGES decides by verification, not by one distance: at its shipped defaults, or not at all
        limits["IMAGES"] = 0 if not any(t.false_pairs["IMAGES"] for t in self.tallies.values()) else -1
        return limits


def recall(rows: list[dict[str, int]], kind_or_peer: str, limits: dict[str, int]) -> float:
    """Share of rows whose own picture is met within ``limits`` (ours: by either algorithm)."""
    if not rows:
        return float("nan")
    if kind_or_peer == "IMAGES":
        return sum(row["IMAGES"] <= limits.get("IMAGES", 0) for row in rows) / len(rows)
    if kind_or_peer in OURS:
        columns = [f"{kind_or_peer}:{name}" for name in SHIPPED]
        hit = [any(row[c] <= limits.get(c, -1) for c in columns) for row in rows]
    else:
        hit = [row[kind_or_peer] <= limits[kind_or_peer] for row in rows]
    return sum(hit) / len(rows)


def print_precision(run: Run, bank_size: int) -> None:
    columns = [*OURS, *PEERS]
    print(f"\n### False matches per content class (bank of {bank_size} pictures; pairs = queries x bank)\n")
    print(
        "| class | queries | pairs | "
        + " | ".join(f"{c}: false pairs / queries matching" for c in columns)
        + " |"
    )
    print("|" + " --- |" * (3 + len(columns)))
    totals: Counter[str] = Counter()
    for group in sorted(run.tallies):
        tally = run.tallies[group]
        cells = [f"{tally.false_pairs[c]} / {tally.matched_queries[c]}" for c in columns]
        totals.update({c: tally.false_pairs[c] for c in columns})
        totals["queries"] += tally.queries
        print(f"| {group} | {tally.queries} | {tally.queries * bank_size:.2e} | " + " | ".join(cells) + " |")
    print(
        f"| all | {totals['queries']} | {totals['queries'] * bank_size:.2e} | "
        + " | ".join(str(totals[c]) for c in columns)
        + " |"
    )
    print(
        "\n### Closest unrelated distances (three smallest per class; HASHLIST within the probe threshold)\n"
    )
    near_columns = ["HASHLIST:pdq", *PEERS]
    print("| class | " + " | ".join(near_columns) + " |")
    print("|" + " --- |" * (1 + len(near_columns)))
    for group in sorted(run.tallies):
        closest = run.tallies[group].closest
        print(
            f"| {group} | "
            + " | ".join(",".join(map(str, closest.get(c, []))) or ">probe" for c in near_columns)
            + " |"
        )
    print(f"\nshipped thresholds: {SHIPPED}; peers' customary: {PEERS}")
    if run.paths:
        print(
            "false matches of IMAGES by the path that made them: "
            + ", ".join(f"{k} {v}" for k, v in run.paths.most_common())
        )


def print_recall(run: Run) -> None:
    limits = run.zero_false()
    customary = {**{f"{k}:{n}": t for k in OURS for n, t in SHIPPED.items()}, **PEERS, "IMAGES": 0}
    columns = [("IMAGES", customary), ("IMAGES", limits), ("HASHLIST", customary), ("HASHLIST", limits)]
    columns += [(peer, table) for peer in PEERS for table in (customary, limits)]
    names = [f"{c} {'shipped' if t is customary else '@0 FM'}" for c, t in columns]
    print("\n### Recall per edit family (own bank picture matched)\n")
    print("| edit | n | " + " | ".join(names) + " |")
    print("|" + " --- |" * (2 + len(names)))
    means: dict[str, list[float]] = defaultdict(list)
    for edit, rows in run.own.items():
        values = [recall(rows, column, table) for column, table in columns]
        for name, value in zip(names, values, strict=True):
            means[name].append(value)
        print(f"| {edit} | {len(rows)} | " + " | ".join(f"{v:.2f}" for v in values) + " |")
    print("| **mean** | | " + " | ".join(f"**{np.mean(means[n]):.3f}**" for n in names) + " |")
    print(
        "\nzero-false-match thresholds of this run: "
        + ", ".join(f"{k} {v}" for k, v in sorted(limits.items()))
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--negatives", type=Path, default=Path(".negatives"))
    parser.add_argument("--photos", type=Path, default=Path(".corpus/photos"))
    parser.add_argument("--bank", type=int, default=10_000, help="bank pictures at most")
    parser.add_argument("--queries", type=int, default=10_000, help="unedited unrelated queries at most")
    parser.add_argument("--edited", type=int, default=2_000, help="edited unrelated queries")
    parser.add_argument("--recall-photos", type=int, default=60, help="photos edited by every family")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--false-pairs", type=Path, help="write every false pair of ours to this TSV")
    args = parser.parse_args(argv)
    started = time.monotonic()
    photos = load_photos(args.photos)
    negatives = load_negatives(args.negatives)
    if photos:  # the corpus's photographs are the photos class: a second copy would meet the first
        negatives = [p for p in negatives if p.group != "photos"]
    bank_pictures, query_pictures = split(negatives + photos, args.seed)
    rng = random.Random(args.seed)
    # photos first (the recall targets), then every class in proportion: a truncated bank that
    # followed the classes' order would hold the first classes only
    others = [p for p in bank_pictures if p.group != "photos"]
    rng.shuffle(others)
    bank_pictures = ([p for p in bank_pictures if p.group == "photos"] + others)[: args.bank]
    rng.shuffle(query_pictures)
    plain = query_pictures[: args.queries]
    bank = [h for h in run_pool(hash_bank, bank_pictures, args.jobs, "bank") if h.error is None]
    keys = [h.key for h in bank]
    peer_bank = {peer: np.stack([h.peers[peer][0] for h in bank]) for peer in PEERS}
    with tempfile.TemporaryDirectory() as folder:
        store = build_store(bank, Path(folder))
        templates = {str(p.path): p.template for p in bank_pictures}
        run = Run(keys, peer_bank, templates)
        edits = [e for e in EXTENDED if e != "identity"]
        jobs = [(p, f"{p.path}", "", 0) for p in plain]
        jobs += [
            (p, f"{p.path}#{n}", rng.choice(edits), n)
            for n, p in enumerate(rng.choices(query_pictures, k=args.edited))
        ]
        for query in run_pool(hash_query, jobs, args.jobs, "unrelated queries", store.url):
            if query.error is None:
                run.unrelated(query)
        targets = [i for i, h in enumerate(bank) if h.group == "photos"]
        chosen = random.Random(args.seed).sample(targets, min(args.recall_photos, len(targets)))
        by_key = bank_pictures_by_key(bank_pictures)
        recall_jobs = [(by_key[keys[i]], f"{keys[i]}#{e}", e, i) for i in chosen for e in EXTENDED]
        owners = {job[1]: (job[2], job[3]) for job in recall_jobs}
        for query in run_pool(hash_query, recall_jobs, args.jobs, "recall queries", store.url):
            if query.error is None:
                edit, own = owners[query.key]
                run.edited_own(query, edit, own)
        store.close()
    unrelated = sum(t.queries for t in run.tallies.values())
    print(
        f"bank: {len(bank)} pictures ({len(targets)} photos); unrelated queries: {unrelated}; "
        f"recall: {len(chosen)} photos x {len(EXTENDED)} edits; {time.monotonic() - started:.0f} s"
    )
    if args.false_pairs is not None:
        columns = "kind query class template bank_picture bank_template algorithm distance path decided"
        lines = ["\t".join(columns.split()), *("\t".join(row) for row in run.false_rows)]
        args.false_pairs.write_text("\n".join(lines) + "\n")
    print_precision(run, len(bank))
    print_recall(run)


def bank_pictures_by_key(pictures: Sequence[Picture]) -> dict[str, Picture]:
    return {str(p.path): p for p in pictures}


if __name__ == "__main__":
    main()

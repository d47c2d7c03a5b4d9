"""Forensic scan speed: ``mediamatch scan`` (fast mode, all cores) against a plain single-process loop.

Usage: python bench/scan_speed.py [--corpus DIR] [--files N] [--workdir DIR] [--skip-baseline]

Builds (once, under ``.bench/scan``) an evidence tree of at least N (default 5,000) files
from the real photos that ``../shared/corpus/collect.sh`` puts in ``.corpus/photos``:
the originals, exact copies in backup folders, copies renamed without extensions,
near duplicates (halved and re-encoded as JPEG q80; full size re-encoded as JPEG q60)
and a zip of the originals. Then, in this order, on a warm page cache:

* the baseline: one process, for every image file (zip members included) read the
  bytes, ``hashlib.md5`` + ``hashlib.sha1``, decode with Pillow, ``pdqhash.compute``;
* ``mediamatch scan --mode fast --no-report`` (hash, stack, match against an empty
  bank store), then ``mediamatch case report`` for the outputs, timed separately;
* resume: a scan killed with SIGKILL (the whole process group) once half of the
  bytes are committed, then ``--resume``; extra time = killed + resumed - uninterrupted.
  Uninterrupted and killed-then-resumed scans alternate ``--repeats`` times (default 5)
  and medians are reported, since other processes on the machine make single runs noisy;
* for reading the resume's extra seconds, what any scan process pays whatever its size: a
  whole scan of a folder of one photo (start-up, imports, hash kernels, workers, stacking,
  matching, exit).

Files counted for rates are the image files (the zip container is not counted); MB
are the bytes of those files. Wall-clock times include process start-up.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
MAIN = "from mediamatch.cli import main; main()"
TREE_VERSION = "1"


def build_tree(photos: list[Path], tree: Path, target: int) -> None:
    """The evidence tree; reused when a previous run built the same one."""
    stamp = tree / ".built"
    wanted = f"{TREE_VERSION} {len(photos)} {target}"
    if stamp.is_file() and stamp.read_text() == wanted:
        return
    shutil.rmtree(tree, ignore_errors=True)
    for folder in ("originals", "renamed", "near_small", "near_q60"):
        (tree / folder).mkdir(parents=True)
    for number, photo in enumerate(photos):
        name = f"{number:04d}{photo.suffix.lower()}"
        shutil.copyfile(photo, tree / "originals" / name)
        shutil.copyfile(photo, tree / "renamed" / f"{number:04d}")
        image = Image.open(photo).convert("RGB")
        half = image.resize((max(1, image.width // 2), max(1, image.height // 2)), Image.Resampling.BILINEAR)
        half.save(tree / "near_small" / f"{number:04d}.jpg", "JPEG", quality=80)
        image.save(tree / "near_q60" / f"{number:04d}.jpg", "JPEG", quality=60)
    with zipfile.ZipFile(tree / "originals.zip", "w", zipfile.ZIP_STORED) as archive:
        for path in sorted((tree / "originals").iterdir()):
            archive.write(path, f"camera/{path.name}")
    copies = max(0, target - 5 * len(photos))
    for index in range(copies):
        source = photos[index % len(photos)]
        folder = tree / "backups" / f"set{index // len(photos):02d}"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / f"IMG_{index:05d}{source.suffix.lower()}")
    stamp.write_text(wanted)


def image_sources(tree: Path) -> list[tuple[str, Path, str | None]]:
    """(label, file, zip member or None) for every image in the tree."""
    found: list[tuple[str, Path, str | None]] = []
    for folder, _, names in sorted(os.walk(tree)):
        for name in sorted(names):
            path = Path(folder) / name
            if name == ".built":
                continue
            if name.endswith(".zip"):
                with zipfile.ZipFile(path) as archive:
                    found += [(f"{path}!{m}", path, m) for m in archive.namelist()]
            else:
                found.append((str(path), path, None))
    return found


def read_source(path: Path, member: str | None) -> bytes:
    if member is None:
        return path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        return archive.read(member)


def baseline(sources: list[tuple[str, Path, str | None]]) -> tuple[float, int]:
    started = time.perf_counter()
    size = 0
    for _, path, member in sources:
        data = read_source(path, member)
        size += len(data)
        hashlib.md5(data, usedforsecurity=False).hexdigest()
        hashlib.sha1(data, usedforsecurity=False).hexdigest()
        with Image.open(io.BytesIO(data)) as image:
            pixels = np.asarray(image.convert("RGB"))
        pdqhash.compute(pixels)
    return time.perf_counter() - started, size


def scan_command(workdir: Path, *args: str) -> list[str]:
    store = f"sqlite:///{workdir / 'banks.sqlite3'}"
    return [sys.executable, "-c", MAIN, "--db", store, *args]


@dataclass(frozen=True)
class Cost:
    """Wall-clock seconds and CPU seconds (user + system, every process of the run)."""

    wall: float
    cpu: float

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.wall + other.wall, self.cpu + other.cpu)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str]) -> Cost:
    """Cost of a command run to completion (its worker processes included: it waits for them)."""
    started, cpu = time.perf_counter(), children_cpu()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return Cost(time.perf_counter() - started, children_cpu() - cpu)


def session_cpu(session: int) -> float:
    """CPU seconds used so far by the live processes of a session and the children they reaped."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[3]) == session:
            total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")


def done_fraction(case: Path) -> float:
    """Fraction of the planned bytes committed (what the progress bar shows)."""
    try:
        with sqlite3.connect(f"file:{case / 'case.sqlite'}?mode=ro", uri=True, timeout=5) as db:
            query = "SELECT coalesce(sum(size * done), 0), coalesce(sum(size), 0) FROM units"
            done, total = db.execute(query).fetchone()
    except sqlite3.OperationalError:
        return 0.0
    return done / total if total else 0.0


def killed_then_resumed(workdir: Path, tree: Path) -> tuple[Cost, float, Cost]:
    """Cost until the kill, fraction of bytes committed at the kill, cost of the resumed run."""
    case = workdir / "case-killed"
    shutil.rmtree(case, ignore_errors=True)
    command = scan_command(workdir, "scan", str(tree), "--case", str(case), "--no-progress", "--no-report")
    started = time.perf_counter()
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL)
    while (fraction := done_fraction(case)) < 0.5 and process.poll() is None:
        time.sleep(0.05)
    cpu = session_cpu(process.pid)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    killed = Cost(time.perf_counter() - started, cpu)
    resumed = timed(
        scan_command(workdir, "scan", "--case", str(case), "--resume", "--no-progress", "--no-report")
    )
    return killed, fraction, resumed


def one_photo_scan(workdir: Path, photo: Path) -> Cost:
    """Cost of a whole scan of a folder that holds one photo: the scale of what any scan process
    pays, whatever its size (start-up, store, case, hash kernels, workers, stacking, matching, exit)."""
    folder, case = workdir / "one-photo", workdir / "case-one-photo"
    folder.mkdir(exist_ok=True)
    shutil.copyfile(photo, folder / photo.name)
    shutil.rmtree(case, ignore_errors=True)
    command = scan_command(workdir, "scan", str(folder), "--case", str(case), "--no-progress", "--no-report")
    return timed(command)


def row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / ".corpus" / "photos")
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--workdir", type=Path, default=ROOT / ".bench" / "scan")
    parser.add_argument("--skip-baseline", action="store_true", help="Only time the scan (for iterating).")
    parser.add_argument("--repeats", type=int, default=5)
    options = parser.parse_args()
    photos = sorted(p for p in options.corpus.glob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    if not photos:
        sys.exit(f"no photos in {options.corpus}: run ../shared/corpus/collect.sh first")
    tree = options.workdir / "tree"
    build_tree(photos, tree, options.files)
    sources = image_sources(tree)
    total_bytes = sum(len(read_source(path, member)) for _, path, member in sources)  # also warms the cache
    count, megabytes = len(sources), total_bytes / 1e6
    print(f"tree: {count} image files ({megabytes:.0f} MB) from {len(photos)} photos; {os.cpu_count()} cores")

    base_seconds = baseline(sources)[0] if not options.skip_baseline else float("nan")
    scans: list[Cost] = []
    kills: list[tuple[Cost, float, Cost]] = []
    one_photo: list[Cost] = []
    for _ in range(options.repeats):
        one_photo.append(one_photo_scan(options.workdir, photos[0]))
        case = options.workdir / "case"
        shutil.rmtree(case, ignore_errors=True)
        command = scan_command(options.workdir, "scan", str(tree), "--case", str(case), "--no-progress")
        scans.append(timed([*command, "--no-report"]))
        kills.append(killed_then_resumed(options.workdir, tree))
    report = timed(scan_command(options.workdir, "case", "report", str(options.workdir / "case")))
    print_speed(count, megabytes, base_seconds, scans, report)
    print_resume(scans, kills, one_photo)


def print_speed(count: int, megabytes: float, base_seconds: float, scans: list[Cost], report: Cost) -> None:
    scan_seconds = statistics.median(c.wall for c in scans)
    print()
    print(row(["run", "files", "MB", "seconds", "files/s", "MB/s", "files/s vs baseline"]))
    print(row(["---"] * 3 + ["---:"] * 4))
    for label, seconds in (
        ("baseline: 1 process, md5 + sha1 + Pillow decode + pdqhash", base_seconds),
        (f"mediamatch scan --mode fast (hash, stack, match), median of {len(scans)}", scan_seconds),
    ):
        ratio = base_seconds / seconds
        print(
            row(
                [label, str(count), f"{megabytes:.0f}", f"{seconds:.1f}", f"{count / seconds:.0f}",
                 f"{megabytes / seconds:.0f}", f"{ratio:.2f}x"]
            )
        )  # fmt: skip
    print(
        row(["mediamatch case report (thumbnails, CSV, JSON, VICS)", "", "", f"{report.wall:.1f}"] + [""] * 3)
    )


def print_resume(scans: list[Cost], kills: list[tuple[Cost, float, Cost]], one_photo: list[Cost]) -> None:
    """Extra = killed + resumed - uninterrupted, in wall-clock and in CPU seconds; beside it, a whole
    scan of one photo, for scale: a resume pays the start-up part of that once more."""
    print()
    print(row(["resume run", "uninterrupted", "killed at", "killed", "resumed", "extra wall", "extra CPU"]))
    print(row(["---"] + ["---:"] * 6))
    walls, cpus, seconds = [], [], []
    for number, (full, (killed, fraction, resumed)) in enumerate(zip(scans, kills, strict=True), start=1):
        extra = killed + resumed
        walls.append(extra.wall / full.wall - 1)
        seconds.append(extra.wall - full.wall)
        cpus.append(extra.cpu / full.cpu - 1)
        cells = [f"{c.wall:.1f} s wall, {c.cpu:.1f} s CPU" for c in (full, killed, resumed)]
        print(
            row(
                [
                    str(number),
                    cells[0],
                    f"{fraction:.0%} of bytes",
                    *cells[1:],
                    f"{walls[-1]:+.1%}",
                    f"{cpus[-1]:+.1%}",
                ]
            )
        )
    full = statistics.median(c.wall for c in scans)
    small = Cost(statistics.median(c.wall for c in one_photo), statistics.median(c.cpu for c in one_photo))
    print()
    print(f"median extra time of a resume: {statistics.median(walls):+.1%} wall-clock "
          f"({statistics.median(seconds):+.2f} s), {statistics.median(cpus):+.1%} CPU "
          "(goal <= 5 %)")  # fmt: skip
    print(f"a whole scan of a folder of one photo (start-up to exit), median of {len(one_photo)}: "
          f"{small.wall:.2f} s wall, {small.cpu:.2f} s CPU = {small.wall / full:.1%} of the uninterrupted "
          "scan's wall-clock")  # fmt: skip


if __name__ == "__main__":
    main()

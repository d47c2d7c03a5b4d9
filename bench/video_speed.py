"""Video hashing speed on one core: seconds of video hashed per second of wall time.

Usage: python bench/video_speed.py [--videos DIR] [--repeats R] [--vpdq-python PATH] [--only MODE]

Hashes every sample video in ``../shared/reference/videos`` at 1 frame per second and at
every frame, on one CPU core (the process is pinned to it and FFmpeg runs one thread),
with mediamatch's vpdq (whole frames plus region hashes, the default) and with its
whole-frame-only mode (exactly what vPDQ computes), full-size frames as vPDQ's default.
When Meta's ``vpdq`` package is importable (here, or by the interpreter named with
``--vpdq-python``), it hashes the same videos in the same run with one thread, and the
ratio column is ``vpdq time / our time`` (higher is better for us). Times are the best of
``--repeats`` runs. Prints markdown tables.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from mediamatch.algorithms import VpdqAlgorithm
from mediamatch.engine.video import hash_video
from mediamatch.media.video import VideoOptions, probe_video

REFERENCE_VIDEOS = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "videos"
SD_PIXELS = 720 * 576
PEER_SCRIPT = """
import json, sys, time, vpdq
path, seconds, repeats = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
best = None
for _ in range(repeats):
    start = time.perf_counter()
    features = vpdq.computeHash(path, seconds_per_hash=seconds, thread_count=1)
    elapsed = time.perf_counter() - start
    best = elapsed if best is None else min(best, elapsed)
print(json.dumps({"seconds": best, "frames": len(features)}))
"""


def pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def best_of(repeats: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def ours(path: Path, every_frame: bool, regions: bool, repeats: int) -> float:
    options = VideoOptions(sample_interval=None if every_frame else 1.0, threads=1)
    algorithm = VpdqAlgorithm(regions=regions)
    return best_of(repeats, lambda: hash_video(path, [algorithm], options))


def peer(python: str | None, path: Path, every_frame: bool, repeats: int) -> float | None:
    if python is None:
        return None
    command = [python, "-c", PEER_SCRIPT, str(path), "0" if every_frame else "1", str(repeats)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        print(f"WARNING: vpdq failed on {path.name}: {done.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    return float(json.loads(done.stdout)["seconds"])


def find_peer(explicit: str | None) -> str | None:
    candidates = [explicit] if explicit else [sys.executable]
    for python in candidates:
        probe = subprocess.run([python, "-c", "import vpdq"], capture_output=True, check=False)
        if probe.returncode == 0:
            return python
    return None


def rate(duration: float, seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{duration / seconds:.1f}x"


def ratio(mine: float, theirs: float | None) -> str:
    return "n/a" if theirs is None else f"{theirs / mine:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=Path, default=REFERENCE_VIDEOS)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--vpdq-python", default=os.environ.get("VPDQ_PYTHON"))
    parser.add_argument("--only", choices=["sampled", "every"], help="Run one sampling mode only.")
    args = parser.parse_args()
    pin_to_one_core()
    videos = sorted(args.videos.glob("*.mp4"))
    if not videos:
        sys.exit(f"no videos in {args.videos}")
    python = find_peer(args.vpdq_python)
    print(f"vpdq package: {'found (' + python + ')' if python else 'not installed: peer columns are n/a'}")
    modes = {None: (False, True), "sampled": (False,), "every": (True,)}[args.only]
    for every_frame in modes:
        title = "every frame" if every_frame else "1 frame per second"
        print(f"\n### {title}, one core, x real time (higher is faster)\n")
        print(
            "| video | size | seconds | mediamatch vpdq | whole frames only | vpdq package | ratio (whole) |"
        )
        print("|---|---|---:|---:|---:|---:|---:|")
        totals = {"sd": [0.0, 0.0, 0.0, 0.0], "all": [0.0, 0.0, 0.0, 0.0]}
        for path in videos:
            info = probe_video(path)
            duration = info.duration or 0.0
            full = ours(path, every_frame, True, args.repeats)
            whole = ours(path, every_frame, False, args.repeats)
            theirs = peer(python, path, every_frame, args.repeats)
            print(
                f"| {path.stem} | {info.width}x{info.height} | {duration:.1f} | {rate(duration, full)} | "
                f"{rate(duration, whole)} | {rate(duration, theirs)} | {ratio(whole, theirs)} |"
            )
            groups = ["all", "sd"] if info.width * info.height <= SD_PIXELS else ["all"]
            for group in groups:
                sums = totals[group]
                sums[0] += duration
                sums[1] += full
                sums[2] += whole
                sums[3] += theirs if theirs is not None else float("nan")
        for group, (duration, full, whole, theirs) in totals.items():
            peer_time = None if theirs != theirs else theirs  # NaN when any peer run was missing
            label = "all SD videos" if group == "sd" else "all videos"
            print(
                f"| **{label}** | | {duration:.1f} | {rate(duration, full)} | {rate(duration, whole)} | "
                f"{rate(duration, peer_time)} | {ratio(whole, peer_time)} |"
            )


if __name__ == "__main__":
    main()

"""The README's two quick starts run as written, end to end.

Each block is the fenced ``sh`` block right after its ``<!-- quickstart: NAME -->`` line. It runs
under ``bash`` with ``set -euo pipefail`` in a fresh folder, with this interpreter's ``bin`` first
on PATH (so ``mediamatch`` is the command under test), every ``MEDIAMATCH_*`` variable removed and
the user folders (home, data, cache) inside the test's temporary folder, so the default SQLite
database and the index cache are private to the run. The platform block starts a real server on
loopback; the test gives it a free port through ``MEDIAMATCH_PORT``, the variable the block reads,
and ends the block's process group whatever happens. The pictures the README asks the reader to
bring are generated here under the names the blocks use.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mediamatch.samples import encode, resize, synthetic_photo

README = Path(__file__).resolve().parents[1] / "README.md"
BIN = Path(sys.executable).parent
BLOCK_TIMEOUT_SECONDS = 120
GROUP_EXIT_SECONDS = 10
QUICKSTART = re.compile(r"^<!-- quickstart: (?P<name>[a-z]+) -->\n```sh\n(?P<body>.*?)^```$", re.M | re.S)

pytestmark = [
    pytest.mark.skipif(shutil.which("bash") is None, reason="the quick starts are bash scripts"),
    pytest.mark.skipif(shutil.which("curl") is None, reason="the platform quick start uses curl"),
    pytest.mark.skipif(
        not (BIN / "mediamatch").exists(), reason=f"no mediamatch command beside {sys.executable}"
    ),
]


def quickstart(name: str) -> str:
    """The one block marked ``<!-- quickstart: name -->``."""
    blocks = [m["body"] for m in QUICKSTART.finditer(README.read_text()) if m["name"] == name]
    assert len(blocks) == 1, f"README.md has {len(blocks)} blocks marked quickstart: {name}"
    return blocks[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sandbox(tmp_path: Path, **variables: str) -> dict[str, str]:
    """The environment a reader's fresh shell would have, with its user folders under tmp_path."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MEDIAMATCH_")}
    home = tmp_path / "home"
    folders = {"HOME": home, "XDG_DATA_HOME": home / "data", "XDG_CACHE_HOME": home / "cache"}
    folders["XDG_CONFIG_HOME"] = home / "config"
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    environ.update({name: str(folder) for name, folder in folders.items()})
    environ["PATH"] = f"{BIN}{os.pathsep}{environ.get('PATH', '')}"
    return environ | variables


def end_group(group: int) -> bool:
    """Wait for the process group to end; kill what is left. True when it ended by itself."""
    deadline = time.monotonic() + GROUP_EXIT_SECONDS
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    return False


def run_block(script: str, folder: Path, environ: dict[str, str]) -> tuple[str, str]:
    """Run ``script`` in ``folder``; its stdout and stderr. Fails the test unless it exits 0 and
    every process it started has ended by itself."""
    logs = folder.parent / f"{folder.name}-logs"
    logs.mkdir()
    with (logs / "stdout").open("wb") as stdout, (logs / "stderr").open("wb") as stderr:
        process = subprocess.Popen(
            ["bash", "-c", f"set -euo pipefail\n{script}"],
            cwd=folder,
            env=environ,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            returncode: int | None = process.wait(timeout=BLOCK_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            returncode = None
        finally:
            with contextlib.suppress(ProcessLookupError):
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            ended = end_group(process.pid)
    out, err = ((logs / name).read_text(errors="replace") for name in ("stdout", "stderr"))
    server_log = folder / "serve.log"
    context = f"stdout:\n{out}\nstderr:\n{err}"
    if server_log.exists():
        context += f"\nserve.log:\n{server_log.read_text(errors='replace')}"
    assert returncode == 0, f"exit status {returncode} (None: over {BLOCK_TIMEOUT_SECONDS} s)\n{context}"
    assert ended, f"processes the block started were still running {GROUP_EXIT_SECONDS} s after it\n{context}"
    return out, err


def match_answers(stdout: str) -> list[dict[str, Any]]:
    answers = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return [answer for answer in answers if "results" in answer]


def matched(answer: dict[str, Any]) -> set[tuple[str, str]]:
    (result,) = answer["results"]
    return {(m["bank"], m["external_id"]) for m in result["matches"]}


def test_platform_quick_start_serves_and_matches_on_loopback(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "photo.jpg").write_bytes(encode(synthetic_photo(4242, 640, 480), "JPEG", quality=90))
    port = free_port()
    out, _ = run_block(quickstart("platform"), folder, sandbox(tmp_path, MEDIAMATCH_PORT=str(port)))
    test_bank, own_bank = match_answers(out)
    assert matched(test_bank) == {("TEST", "test-image-1")}
    assert matched(own_bank) == {("OWN_HASHES", "photo.jpg")}
    assert all("distance" not in m for m in own_bank["results"][0]["matches"])  # no match:distance
    assert list((tmp_path / "home").rglob("mediamatch.sqlite3")), "the default database left the sandbox"
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))


def write_case_pictures(folder: Path) -> None:
    """known/beach.jpg and garden.jpg; evidence/ holds beach mirrored and halved, and another."""
    beach, garden, other = (synthetic_photo(seed, 800, 600) for seed in (101, 102, 103))
    (folder / "known").mkdir()
    (folder / "known" / "beach.jpg").write_bytes(encode(beach, "JPEG", quality=92))
    (folder / "known" / "garden.jpg").write_bytes(encode(garden, "JPEG", quality=92))
    camera = folder / "evidence" / "DCIM"
    camera.mkdir(parents=True)
    edited = resize(0.5)(np.ascontiguousarray(beach[:, ::-1]))
    (camera / "IMG_0042.jpg").write_bytes(encode(edited, "JPEG", quality=70))
    (camera / "IMG_0043.jpg").write_bytes(encode(other, "JPEG", quality=85))


def test_examiner_quick_start_scans_a_folder_into_a_case(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    write_case_pictures(folder)
    out, _ = run_block(quickstart("examiner"), folder, sandbox(tmp_path))
    assert "2 files: 0 errors, 0 ignored, 1 matched" in out
    listing = out.splitlines()
    rows = dict(line.rsplit(",", 1) for line in listing[listing.index("path,matches") + 1 :])
    by_name = {Path(path).name: matches for path, matches in rows.items()}
    assert by_name["IMG_0043.jpg"] == ""
    assert re.fullmatch(r"KNOWN_IMAGES entry \d+ \(beach\.jpg\) A1 pdq=\d+", by_name["IMG_0042.jpg"])
    case = folder / "cases" / "case-001"
    assert {p.name for p in case.iterdir()} >= {"report.html", "files.csv", "case.json", "vics.json"}

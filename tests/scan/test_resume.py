"""Interrupted scans (kill -9, Ctrl-C) resume to exactly the result of an uninterrupted scan."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mediamatch.samples import encode, synthetic_photo
from mediamatch.scan.casedb import DATABASE_NAME

FILES = 1500
MAIN = "from mediamatch.cli import main; main()"


@pytest.fixture(scope="module")
def many_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough small files that a single worker commits several batches before it ends."""
    root = tmp_path_factory.mktemp("many")
    photos = [encode(synthetic_photo(seed, 96, 72), "PNG") for seed in range(60)]
    for number in range(FILES):
        folder = root / f"d{number % 7}"
        folder.mkdir(exist_ok=True)
        data = photos[number % len(photos)] if number % 3 else f"text {number}\n".encode()
        (folder / f"f{number:05d}").write_bytes(data)
    return root


def _command(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", MAIN, "--db", f"sqlite:///{db}", "scan", *args, "--no-progress"]


def _done_units(case: Path) -> int:
    try:
        with sqlite3.connect(f"file:{case / DATABASE_NAME}?mode=ro", uri=True, timeout=5) as db:
            return int(db.execute("SELECT count(*) FROM units WHERE done = 1").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # not created yet


def _interrupt_when_half_started(command: list[str], case: Path, sent: signal.Signals) -> int:
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while _done_units(case) == 0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    done = _done_units(case)
    os.killpg(process.pid, sent) if sent is signal.SIGKILL else os.kill(process.pid, sent)
    process.wait(timeout=120)
    assert 0 < done < FILES, "the scan was not interrupted part-way"
    return process.returncode


def _result(case: Path) -> dict[str, Any]:
    loaded = json.loads((case / "case.json").read_text())
    return {key: loaded[key] for key in ("files", "stacks", "summary", "passed_over")}


@pytest.fixture(scope="module")
def uninterrupted(many_files: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("whole")
    subprocess.run(
        _command(folder / "db.sqlite", str(many_files), "--case", str(folder / "case")), check=True
    )
    return _result(folder / "case")


@pytest.mark.parametrize("sent", [signal.SIGKILL, signal.SIGINT])
def test_resume_gives_the_uninterrupted_result(
    sent: signal.Signals, many_files: Path, uninterrupted: dict[str, Any], tmp_path: Path
) -> None:
    case = tmp_path / "case"
    first = _command(tmp_path / "db.sqlite", str(many_files), "--case", str(case), "--workers", "1")
    code = _interrupt_when_half_started(first, case, sent)
    assert code == (-signal.SIGKILL if sent is signal.SIGKILL else 130)
    assert not (case / "case.json").exists()
    subprocess.run(_command(tmp_path / "db.sqlite", "--case", str(case), "--resume"), check=True)
    assert _result(case) == uninterrupted


def _session_members(session: int) -> list[int]:
    """Live processes of the session ``session`` (a scan started in its own session)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":  # session id, state
            members.append(int(entry.name))
    return members


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_with_a_killed_main_process_and_the_case_resumes(
    many_files: Path, uninterrupted: dict[str, Any], tmp_path: Path
) -> None:
    """Issue 19 item 2: only the main process is killed (as the OOM killer does); its workers
    must not live on holding the case's lock."""
    case = tmp_path / "case"
    command = _command(tmp_path / "db.sqlite", str(many_files), "--case", str(case), "--workers", "2")
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while _done_units(case) == 0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(_session_members(process.pid)) > 1, "no worker processes were seen"
    os.kill(process.pid, signal.SIGKILL)  # the main process alone
    process.wait(timeout=60)
    deadline = time.monotonic() + 30
    while _session_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _session_members(process.pid) == []
    subprocess.run(_command(tmp_path / "db.sqlite", "--case", str(case), "--resume"), check=True)
    assert _result(case) == uninterrupted


def test_a_case_in_use_names_the_process_that_holds_it(tmp_path: Path) -> None:
    from mediamatch.errors import ScanError
    from mediamatch.scan.casedb import CaseDB

    with (
        CaseDB(tmp_path / "case", create=True),
        pytest.raises(ScanError, match=rf"in use by another mediamatch process \(process {os.getpid()}\)"),
    ):
        CaseDB(tmp_path / "case", create=False)
    with CaseDB(tmp_path / "case", create=False):  # released with its holder
        pass

"""Bounded fuzz runs of every parser that reads untrusted bytes, and the findings kept as tests.

Each target of ``targets.py`` runs under atheris (coverage-guided) for ``RUNS`` inputs from its
seeds in a subprocess; any exception other than the parser's documented errors, a hang past 5 s
or a crash fails it. A longer run by hand: ``python -m tests.fuzz.run TARGET -runs=1000000``.
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mediamatch.scan.archives import ArchiveError, members
from mediamatch.scan.kinds import ArchiveKind
from mediamatch.service.inputs import BadRequest, _multipart_items
from tests.fuzz.targets import TARGETS

RUNS = 2000
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_a_bounded_fuzz_run_finds_nothing(target: str) -> None:
    pytest.importorskip("atheris", reason="atheris is a dev extra")
    command = [sys.executable, "-m", "tests.fuzz.run", target, f"-runs={RUNS}", "-max_len=4096", "-timeout=5"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"Done {RUNS} runs" in done.stderr


def test_finding_a_malformed_multipart_header_is_a_bad_request_not_a_crash() -> None:
    body = b'--B\r\nContent-Disposition: form-data; name="file"\r\n$\r\n\r\nxx\r\n--B--\r\n'
    with pytest.raises(BadRequest, match="malformed multipart body"):
        _multipart_items(body, b"B", 1 << 20)


def test_finding_a_zip_member_without_a_name_is_reported_unreadable_and_the_rest_read() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo(""), b"hidden")
        archive.writestr("kept.txt", b"kept")
    read: dict[str, bytes | str] = {}
    for member, stream in members(io.BytesIO(buffer.getvalue()), ArchiveKind.ZIP):
        try:
            read[member.name] = stream.read()
        except ArchiveError as error:
            read[member.name] = str(error)
    assert read == {
        "(member 0 without a name)": "cannot open member: the member has no name",
        "kept.txt": b"kept",
    }

"""``mediamatch scan`` end to end, in process, on generated evidence."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mediamatch import cli
from mediamatch.algorithms import PdqAlgorithm, default_registry
from mediamatch.engine import FileHasher, HashMode
from mediamatch.errors import BankNotFound
from mediamatch.scan import plan
from tests.scan.conftest import photo

RUNNER = CliRunner()
PDQ = PdqAlgorithm()


@pytest.fixture
def db(tmp_path: Path) -> list[str]:
    return ["--db", f"sqlite:///{tmp_path / 'banks.sqlite3'}"]


def run(db: list[str], *args: str, code: int = 0) -> str:
    result = RUNNER.invoke(cli.app, [*db, *args])
    assert result.exit_code == code, result.output
    return result.output


def scan(db: list[str], evidence: Path, case: Path, *args: str) -> dict[str, Any]:
    run(db, "scan", str(evidence), "--case", str(case), "--workers", "2", "--no-progress", *args)
    loaded: dict[str, Any] = json.loads((case / "case.json").read_text())
    return loaded


def by_path(case: dict[str, Any], evidence: Path) -> dict[str, dict[str, Any]]:
    return {f["path"].removeprefix(str(evidence) + "/"): f for f in case["files"]}


def test_scan_finds_files_in_folders_and_nested_archives(
    db: list[str], evidence: Path, tmp_path: Path
) -> None:
    files = by_path(scan(db, evidence, tmp_path / "case"), evidence)
    assert files["sub/renamed"]["kind"] == "image"
    assert files["sub/renamed"]["type"] == "jpeg"
    assert files["bundle.zip"]["kind"] == "archive"
    assert files["bundle.zip!a/photo0.jpg"]["md5"] == hashlib.md5(photo(0)).hexdigest()
    assert files["bundle.zip!a/photo0.jpg"]["times"]["modified"] == "2021-05-06T07:08:10+00:00"
    nested = files["bundle.zip!inner.tgz!deep/photo3.jpg"]
    assert nested["sha1"] == hashlib.sha1(photo(3)).hexdigest()
    assert nested["times"]["modified"] == "2020-09-13T12:26:40+00:00"
    for name in ("t.tar", "t.tar.bz2", "t.tar.xz"):
        assert files[f"{name}!in-{name}/photo5.jpg"]["status"] == "hashed"
    assert files["notes.txt"]["kind"] == "other"
    assert files["notes.txt"]["md5"] == hashlib.md5(b"not media\n").hexdigest()
    on_disk = files["photo1.jpg"]
    assert on_disk["size"] == len(photo(1))
    assert on_disk["times"]["modified"] is not None
    assert set(on_disk["hashes"]) == {"pdq", "gradgrid144"}


def test_a_bad_file_is_recorded_and_the_scan_goes_on(db: list[str], evidence: Path, tmp_path: Path) -> None:
    case = scan(db, evidence, tmp_path / "case")
    files = by_path(case, evidence)
    assert files["broken.jpg"]["status"] == "error"
    assert files["broken.jpg"]["error"]["kind"] == "CorruptMedia"
    assert files["broken.jpg"]["md5"] == hashlib.md5(photo(2)[:400]).hexdigest()
    assert files["photo2.jpg"]["status"] == "hashed"
    assert case["summary"]["status_error"] == 1
    assert {"path": str(evidence / "sub" / "loop"), "reason": "symbolic link (not followed)"} in case[
        "passed_over"
    ]


def _read_without_atime(path: Path) -> bytes:
    """The test's own reads must not move access times (we own the files, so O_NOATIME is allowed)."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOATIME)
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read()


def _snapshot(root: Path) -> dict[str, tuple[int, int, int, str]]:
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            status = path.lstat()
            digest = "" if path.is_symlink() else hashlib.sha256(_read_without_atime(path)).hexdigest()
            found[str(path)] = (status.st_mtime_ns, status.st_atime_ns, status.st_size, digest)
    return found


def test_evidence_is_never_written(db: list[str], evidence: Path, tmp_path: Path) -> None:
    before = _snapshot(evidence)
    folder_times = evidence.stat().st_mtime_ns
    scan(db, evidence, tmp_path / "case")
    run(db, "case", "report", str(tmp_path / "case"))
    assert _snapshot(evidence) == before  # contents, sizes, modification and access times
    assert evidence.stat().st_mtime_ns == folder_times  # nothing created or removed


def test_exact_mode_gives_the_engines_exact_hashes(db: list[str], evidence: Path, tmp_path: Path) -> None:
    files = by_path(scan(db, evidence, tmp_path / "case", "--mode", "exact"), evidence)
    hasher = FileHasher([default_registry().get("pdq")], mode=HashMode.EXACT)
    expected = hasher.hash_file(evidence / "photo1.jpg").results["pdq"]
    assert files["photo1.jpg"]["hashes"]["pdq"]["hash"] == PDQ.format(expected.value)
    assert files["photo1.jpg"]["hashes"]["pdq"]["quality"] == expected.quality


def test_fast_mode_stays_near_exact(db: list[str], evidence: Path, tmp_path: Path) -> None:
    fast = by_path(scan(db, evidence, tmp_path / "fast"), evidence)
    exact = by_path(scan(db, evidence, tmp_path / "exact", "--mode", "exact"), evidence)
    for name in ("photo0.jpg", "photo1.jpg", "sub/smaller.png"):
        a, b = (PDQ.parse(c[name]["hashes"]["pdq"]["hash"]) for c in (fast, exact))
        assert PDQ.distance(a, b) <= 16  # the tolerance the engine's fast-mode tests state


def test_stacks_group_exact_and_near_duplicates(db: list[str], evidence: Path, tmp_path: Path) -> None:
    case = scan(db, evidence, tmp_path / "case")
    stacks = {frozenset(p.removeprefix(str(evidence) + "/") for p in s["members"]): s for s in case["stacks"]}
    copies = frozenset({"photo0.jpg", "sub/renamed", "bundle.zip!a/photo0.jpg"})
    assert copies in stacks
    assert not stacks[copies]["near_duplicate"]
    near = stacks[frozenset({"photo1.jpg", "sub/smaller.png"})]
    assert near["near_duplicate"]
    assert near["representative"] == str(evidence / "photo1.jpg")  # the larger image
    tars = frozenset(f"{n}!in-{n}/photo5.jpg" for n in ("t.tar", "t.tar.bz2", "t.tar.xz"))
    assert tars in stacks
    assert case["summary"]["stacks"] == len(case["stacks"]) == 5  # photos 0, 1, 2, 3 and 5


def test_ignore_lists_skip_and_count(db: list[str], evidence: Path, tmp_path: Path) -> None:
    plain = tmp_path / "known.txt"
    plain.write_text(f"# known good\n{hashlib.md5(photo(2)).hexdigest()}\n")
    nsrl = tmp_path / "NSRLFile.txt"
    sha1 = hashlib.sha1(b"not media\n").hexdigest().upper()
    nsrl.write_text(
        '"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"\n'
        f'"{sha1}","{"0" * 32}","00000000","notes.txt",10,1,"358",""\n'
    )
    case = scan(db, evidence, tmp_path / "case", "--ignore-list", str(plain), "--ignore-list", str(nsrl))
    files = by_path(case, evidence)
    assert files["photo2.jpg"]["status"] == "ignored"
    assert files["photo2.jpg"]["hashes"] == {}
    assert files["photo2.jpg"]["stack"] is None
    assert files["notes.txt"]["status"] == "ignored"
    assert case["summary"]["status_ignored"] == 2


def test_a_bad_ignore_list_is_refused_before_scanning(db: list[str], evidence: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("d41d8cd98f00b204e9800998ecf8427e\nnot-a-digest\n")
    result = RUNNER.invoke(
        cli.app, [*db, "scan", str(evidence), "--case", str(tmp_path / "c"), "--ignore-list", str(bad)]
    )
    assert result.exit_code != 0
    assert "line 2" in str(result.exception)
    assert not (tmp_path / "c").exists()  # nothing made: a corrected run starts afresh


def test_inputs_are_checked_before_the_case_is_made(db: list[str], evidence: Path, tmp_path: Path) -> None:
    """Issue 19 items 3 and 4: a missing evidence root or a mistyped ignore list is an error that
    leaves no case behind, so the corrected command runs as a new scan."""
    for args, said in (
        ([str(tmp_path / "no-such-folder")], "evidence path"),
        ([str(evidence), "--ignore-list", str(tmp_path / "nsrl-typo.txt")], "cannot read ignore list"),
    ):
        result = RUNNER.invoke(cli.app, [*db, "scan", *args, "--case", str(tmp_path / "case")])
        assert result.exit_code != 0
        assert said in str(result.exception)
        assert not (tmp_path / "case").exists()
    unreadable = tmp_path / "locked"
    unreadable.mkdir()
    unreadable.chmod(0)
    try:
        if not os.access(unreadable, os.R_OK):  # root reads everything
            result = RUNNER.invoke(cli.app, [*db, "scan", str(unreadable), "--case", str(tmp_path / "case")])
            assert "cannot be read" in str(result.exception)
    finally:
        unreadable.chmod(0o755)
    scan(db, evidence, tmp_path / "case")  # the corrected command: a fresh case


def test_matches_carry_the_banks_classification(db: list[str], evidence: Path, tmp_path: Path) -> None:
    hashed = FileHasher([PDQ], mode=HashMode.EXACT).hash_file(evidence / "photo3.jpg").results["pdq"]
    listing = tmp_path / "list.csv"
    listing.write_text(
        f"signal_type,signal_value,classification,external_id\npdq,{PDQ.format(hashed.value)},A1,case-9\n"
    )
    run(db, "bank", "create", "KNOWN")
    run(db, "bank", "import", "KNOWN", str(listing))
    case = scan(db, evidence, tmp_path / "case", "--bank", "KNOWN")
    files = by_path(case, evidence)
    for name in ("photo3.jpg", "bundle.zip!inner.tgz!deep/photo3.jpg"):
        assert files[name]["classification"] == "A1"
        assert files[name]["matches"][0]["external_id"] == "case-9"
    assert files["photo0.jpg"]["matches"] == []
    assert case["summary"]["matched_A1"] == 2
    report = (tmp_path / "case" / "report.html").read_text()
    assert 'id="class-A1">A1: 2 files' in report
    assert "case-9" in (tmp_path / "case" / "files.csv").read_text()


def test_an_unknown_bank_fails_before_scanning(db: list[str], evidence: Path, tmp_path: Path) -> None:
    result = RUNNER.invoke(
        cli.app, [*db, "scan", str(evidence), "--case", str(tmp_path / "c"), "--bank", "NOPE"]
    )
    assert result.exit_code != 0
    assert not (tmp_path / "c").exists()


def test_a_resumed_scan_checks_its_banks_again(db: list[str], evidence: Path, tmp_path: Path) -> None:
    run(db, "bank", "create", "KNOWN")
    scan(db, evidence, tmp_path / "case", "--bank", "KNOWN")
    run(db, "bank", "delete", "KNOWN", "--yes")
    resumed = [*db, "scan", "--case", str(tmp_path / "case"), "--resume", "--no-progress"]
    result = RUNNER.invoke(cli.app, resumed)
    assert isinstance(result.exception, BankNotFound)
    run(db, "bank", "create", "KNOWN")
    run(db, *resumed[2:])


def test_vics_export_imports_as_a_bank(db: list[str], evidence: Path, tmp_path: Path) -> None:
    case = scan(db, evidence, tmp_path / "case")
    vics = json.loads((tmp_path / "case" / "vics.json").read_text())
    unique = {(f["md5"], f["sha1"]) for f in case["files"] if f["stack"] is not None}
    assert len(vics["Media"]) == len(unique) + 1  # the broken JPEG is media too, with digests only
    copies = next(m for m in vics["Media"] if m["MD5"] == hashlib.md5(photo(0)).hexdigest().upper())
    assert sorted(f["FileName"] for f in copies["MediaFiles"]) == ["photo0.jpg", "photo0.jpg", "renamed"]
    assert copies["AlternativeHashes"][0]["HashName"] == "PDQ"
    run(db, "bank", "create", "SEIZED")
    imported = run(db, "bank", "import", "SEIZED", str(tmp_path / "case" / "vics.json"))
    assert f"{len(vics['Media'])} records" in imported
    matched = json.loads(
        run(db, "match", str(evidence / "photo0.jpg"), "--bank", "SEIZED", "--no-index-cache")
    )
    assert {m["algorithm"] for m in matched["matches"]} >= {"md5", "sha1", "pdq"}
    assert {m["external_id"] for m in matched["matches"]} == {str(copies["MediaID"])}


def test_a_case_is_not_scanned_twice_without_resume(db: list[str], evidence: Path, tmp_path: Path) -> None:
    scan(db, evidence, tmp_path / "case")
    result = RUNNER.invoke(cli.app, [*db, "scan", str(evidence), "--case", str(tmp_path / "case")])
    assert result.exit_code != 0
    assert "--resume" in str(result.exception)


def test_zips_scanned_in_parts_give_the_same_case(
    db: list[str], evidence: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = scan(db, evidence, tmp_path / "whole")
    monkeypatch.setattr(plan, "SPLIT_MIN_BYTES", 0)
    monkeypatch.setattr(plan, "PART_MEMBERS", 1)
    parts = scan(db, evidence, tmp_path / "parts")
    with sqlite3.connect(tmp_path / "parts" / "case.sqlite") as database:
        ranges = database.execute("SELECT count(*) FROM units WHERE path LIKE '%bundle.zip'").fetchone()[0]
    assert ranges == 2
    for key in ("files", "stacks", "summary"):
        assert parts[key] == whole[key]


def test_progress_without_a_terminal_is_a_line_every_few_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 19 item 6: a scan logging to a file says how far it is, and a resumed one what was done."""
    from mediamatch.cli_scan import LineProgress

    progress = LineProgress(every=0.0)
    progress.start(10, 10_000_000, 2, 2_000_000)
    progress.advance(3, 3_000_000)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "resuming: 2 of 10 files (2.0 MB of 10.0 MB) were already done"
    assert lines[1].startswith("scanning: 5/10 files, 5.0 MB of 10.0 MB, ")
    assert "MB/s, ends about " in lines[1]


def test_scanning_a_video_leaves_its_access_time_alone(db: list[str], tmp_path: Path) -> None:
    """Issue 19 item 1: videos are decoded from a handle opened with O_NOATIME, as images are."""
    from tests.videosamples import encode_video, moving_frames

    evidence = tmp_path / "evidence"
    evidence.mkdir()
    clip = evidence / "clip.mp4"
    clip.write_bytes(encode_video(moving_frames(20, seed=4, size=(160, 120)), fps=10))
    picture = evidence / "photo.jpg"
    picture.write_bytes(photo(1))
    for path in (clip, picture):  # an access time older than the modification: relatime would move it
        status = path.stat()
        os.utime(path, ns=(status.st_mtime_ns - 400 * 86_400 * 10**9, status.st_mtime_ns))
    before = _snapshot(evidence)
    files = by_path(scan(db, evidence, tmp_path / "case"), evidence)
    assert files["clip.mp4"]["kind"] == "video"
    assert "vpdq" in files["clip.mp4"]["hashes"]
    assert _snapshot(evidence) == before


def test_names_that_contradict_the_content_are_noted(db: list[str], tmp_path: Path) -> None:
    """Issue 19 item 7: random bytes named .jpg and an empty .png are flagged in the case and the report."""
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "holiday.jpg").write_bytes(os.urandom(2000))
    (evidence / "empty.png").write_bytes(b"")
    (evidence / "real.jpg").write_bytes(photo(1))
    (evidence / "picture.zip").write_bytes(photo(2))
    files = by_path(scan(db, evidence, tmp_path / "case"), evidence)
    assert files["holiday.jpg"]["note"] == "named .jpg (an image) but its content is of no known type"
    assert files["empty.png"]["note"] == "named .png but empty"
    assert files["picture.zip"]["note"] == "named .zip (an archive) but its content is an image"
    assert files["real.jpg"]["note"] is None
    report = (tmp_path / "case" / "report.html").read_text()
    assert "named .png but empty" in report

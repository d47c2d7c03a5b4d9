"""Scanner parts on their own: file kinds, ignore lists, the case database, stacks."""

from __future__ import annotations

import hashlib
import random
import sqlite3
from pathlib import Path

import pytest

from mediamatch.algorithms import PdqAlgorithm, default_registry
from mediamatch.engine.hashing import HashMode
from mediamatch.errors import ScanError
from mediamatch.samples import encode, synthetic_photo
from mediamatch.scan import CaseDB, plan
from mediamatch.scan.casedb import DATABASE_NAME
from mediamatch.scan.filehash import ScanHasher
from mediamatch.scan.ignore import IgnoreSet, load_ignore_lists
from mediamatch.scan.kinds import FileKind, classify
from mediamatch.scan.records import FileRecord, Hash, Status, Unit
from mediamatch.scan.stacks import StackInput, build_stacks
from mediamatch.scan.workers import hash_unit
from tests.scan.conftest import tar_bytes, zip_bytes

PDQ = PdqAlgorithm()


@pytest.mark.parametrize(
    ("head", "kind", "name"),
    [
        (encode(synthetic_photo(1), "PNG")[:512], FileKind.IMAGE, "png"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", FileKind.VIDEO, "mp4"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", FileKind.IMAGE, "heif"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", FileKind.VIDEO, "avi"),
        (b"\x1a\x45\xdf\xa3\x01\x00", FileKind.VIDEO, "matroska"),
        (zip_bytes({"a": b"x"})[:512], FileKind.ARCHIVE, "zip"),
        (tar_bytes({"a": b"x"}, "w")[:512], FileKind.ARCHIVE, "tar"),
        (tar_bytes({"a": b"x"}, "w:xz")[:512], FileKind.ARCHIVE, "xz"),
        (b"hello world", FileKind.OTHER, None),
    ],
)
def test_kinds_come_from_magic_bytes(head: bytes, kind: FileKind, name: str | None) -> None:
    assert classify(head) == (kind, name)


def test_ignore_lists_plain_and_nsrl(tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("# comment\n\nD41D8CD98F00B204E9800998ECF8427E  empty file\n" + "ab" * 20 + ",x\n")
    nsrl = tmp_path / "nsrl.csv"
    nsrl.write_text('"SHA-1","MD5","FileName"\n"' + "cd" * 20 + '","' + "ef" * 16 + '","a.dll"\n')
    ignore = load_ignore_lists([plain, nsrl])
    assert ignore.md5 == {bytes.fromhex("d41d8cd98f00b204e9800998ecf8427e"), bytes.fromhex("ef" * 16)}
    assert ignore.sha1 == {bytes.fromhex("ab" * 20), bytes.fromhex("cd" * 20)}
    assert len(ignore.sources) == 2


@pytest.mark.parametrize("text", ["abc\n", "d41d8cd98f00b204e9800998ecf8427\n", '"SHA-1","MD5"\n"zz","yy"\n'])
def test_a_malformed_ignore_list_names_the_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "list.txt"
    path.write_text(text)
    with pytest.raises(ScanError, match="line"):
        load_ignore_lists([path])


def test_case_database_refuses_another_schema_version(tmp_path: Path) -> None:
    CaseDB(tmp_path, create=True).close()
    with sqlite3.connect(tmp_path / DATABASE_NAME) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(ScanError, match="schema 99"):
        CaseDB(tmp_path, create=False)


def test_one_process_writes_a_case_at_a_time(tmp_path: Path) -> None:
    with CaseDB(tmp_path, create=True), pytest.raises(ScanError, match="in use"):
        CaseDB(tmp_path, create=False)


def test_resume_needs_an_existing_case(tmp_path: Path) -> None:
    with pytest.raises(ScanError, match="no case database"):
        CaseDB(tmp_path / "none", create=False)


def _flip(hex_text: str, bits: list[int]) -> str:
    value = int(hex_text, 16)
    for bit in bits:
        value ^= 1 << bit
    return f"{value:064x}"


def _brute_components(items: list[StackInput], threshold: int) -> set[frozenset[int]]:
    groups = {i.file_id: {i.file_id} for i in items}
    for a in items:
        for b in items:
            same = (a.md5, a.sha1) == (b.md5, b.sha1)
            near = a.pdq and b.pdq and PDQ.distance(PDQ.parse(a.pdq), PDQ.parse(b.pdq)) <= threshold
            if same or near:
                merged = groups[a.file_id] | groups[b.file_id]
                for member in merged:
                    groups[member] = merged
    return {frozenset(g) for g in groups.values()}


def test_stacks_are_the_components_a_brute_force_finds() -> None:
    rng = random.Random(7)
    bases = [f"{rng.getrandbits(256):064x}" for _ in range(12)]
    items = []
    for number in range(80):
        base = bases[number % len(bases)]
        pdq = _flip(base, rng.sample(range(256), rng.choice([0, 5, 20, 40])))
        items.append(StackInput(number, f"/e/{number:03d}", pdq[:32], pdq[:40], pdq, 100, number))
    rows = build_stacks(items, default_registry(), 31)
    found: dict[int, set[int]] = {}
    for row in rows:
        found.setdefault(row.stack, set()).add(row.file_id)
    assert {frozenset(g) for g in found.values()} == _brute_components(items, 31)
    for members in found.values():
        chosen = [r for r in rows if r.file_id in members and r.representative]
        assert [r.file_id for r in chosen] == [max(members)]  # the most pixels


def test_low_quality_hashes_do_not_join_near_duplicate_stacks() -> None:
    flat = "0" * 64
    items = [StackInput(n, f"/e/{n}", f"{n:032x}", f"{n:040x}", flat, 0, 1) for n in range(2)]
    assert {r.stack for r in build_stacks(items, default_registry(), 31)} == {1, 2}


def test_an_unexpected_failure_becomes_an_error_record(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = ScanHasher(default_registry(), HashMode.FAST, IgnoreSet())

    def explode(path: str, members: tuple[int, int] | None) -> list[FileRecord]:
        raise MemoryError("decoder ran out of memory")

    monkeypatch.setattr(hasher, "hash_path", explode)
    (record,) = hash_unit(hasher, Unit(1, "/evidence/x.jpg", 10))
    assert (record.path, record.status, record.error_kind) == ("/evidence/x.jpg", Status.ERROR, "MemoryError")
    assert record.error_message == "unexpected error: decoder ran out of memory"


def _records(records: list[FileRecord]) -> list[tuple[str, str | None, str, tuple[Hash, ...]]]:
    return [(r.path, r.md5, r.status.value, r.hashes) for r in records]


def test_a_large_zip_is_planned_in_parts_that_add_up_to_the_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = {f"dir/{n}.png": encode(synthetic_photo(n, 64, 48), "PNG") for n in range(5)}
    archive = tmp_path / "big.zip"
    archive.write_bytes(zip_bytes({**members, "dir/": b""}))
    monkeypatch.setattr(plan, "SPLIT_MIN_BYTES", 0)
    monkeypatch.setattr(plan, "PART_MEMBERS", 2)
    units = plan.plan_units([(str(archive), archive.stat().st_size)])
    assert [u.members for u in units] == [(0, 2), (2, 4), (4, 6)]
    assert sum(u.size for u in units) == archive.stat().st_size
    hasher = ScanHasher(default_registry(), HashMode.FAST, IgnoreSet())
    parts = [record for unit in units for record in hasher.hash_path(unit.path, unit.members)]
    assert _records(parts) == _records(hasher.hash_path(str(archive)))
    assert len(parts) == 6  # the archive and its five files


def test_an_unreadable_zip_member_fails_alone(tmp_path: Path) -> None:
    data = bytearray(zip_bytes({"a.txt": b"first", "b.txt": b"second"}))
    data[6] |= 1  # mark the first member encrypted (local header flag bit 0)
    directory = data.index(b"PK\x01\x02")
    data[directory + 8] |= 1  # and in the central directory
    (tmp_path / "x.zip").write_bytes(bytes(data))
    records = ScanHasher(default_registry(), HashMode.FAST, IgnoreSet()).hash_path(str(tmp_path / "x.zip"))
    by_name = {r.path.rsplit("!", 1)[-1]: r for r in records}
    assert by_name["a.txt"].status is Status.ERROR
    assert "encrypted" in (by_name["a.txt"].error_message or "")
    assert by_name["b.txt"].md5 == hashlib.md5(b"second").hexdigest()


def test_an_ignored_archive_still_has_its_members_checked(tmp_path: Path) -> None:
    data = zip_bytes({"a.txt": b"first"})
    (tmp_path / "x.zip").write_bytes(data)
    ignore = IgnoreSet()
    ignore.add(hashlib.md5(data).hexdigest())
    archive, member = ScanHasher(default_registry(), HashMode.FAST, ignore).hash_path(str(tmp_path / "x.zip"))
    assert archive.status is Status.IGNORED
    assert (member.status, member.md5) == (Status.HASHED, hashlib.md5(b"first").hexdigest())

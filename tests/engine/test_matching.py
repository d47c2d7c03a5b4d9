"""The matching engine: thresholds per bank, suppression banks, disabled entries and banks, quality gate."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mediamatch.algorithms import HashResult, HashValue, PdqAlgorithm, default_registry
from mediamatch.engine import FileHasher
from mediamatch.engine.matching import Matcher
from mediamatch.samples import encode, flat_image, jpeg_recompress, synthetic_photo
from mediamatch.store import Classification, NewEntry, Store

REGISTRY = default_registry()
PDQ = PdqAlgorithm()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'banks.sqlite3'}")


def pdq_bytes(seed: int) -> bytes:
    return PDQ.hash_pixels(synthetic_photo(seed)).value.data


def query_hash(path: Path) -> HashValue:
    return FileHasher([PDQ]).hash_file(path).results["pdq"].value


def write_photo(folder: Path, seed: int, name: str) -> Path:
    path = folder / name
    path.write_bytes(encode(jpeg_recompress(60)(synthetic_photo(seed)), "JPEG", quality=80))
    return path


def test_matches_name_bank_entry_classification_and_distance(store: Store, tmp_path: Path) -> None:
    store.create_bank("KNOWN")
    store.add_entries(
        "KNOWN", [NewEntry("pdq", pdq_bytes(1), classification=Classification.A2, external_id="x1")]
    )
    photo = write_photo(tmp_path, 1, "upload.jpg")
    (match,) = Matcher(store, REGISTRY).match_file(photo).matches
    assert (match.bank, match.classification, match.external_id, match.algorithm) == (
        "KNOWN",
        Classification.A2,
        "x1",
        "pdq",
    )
    assert 0 <= match.distance <= PDQ.threshold
    assert Matcher(store, REGISTRY).match_file(write_photo(tmp_path, 2, "other.jpg")).matches == []


def test_exact_digests_match_the_file_bytes(store: Store, tmp_path: Path) -> None:
    photo = write_photo(tmp_path, 3, "upload.jpg")
    store.create_bank("EXACT")
    store.add_entries("EXACT", [NewEntry("md5", hashlib.md5(photo.read_bytes()).digest())])
    (match,) = Matcher(store, REGISTRY).match_file(photo).matches
    assert (match.algorithm, match.distance) == ("md5", 0)


def test_per_bank_thresholds_are_inclusive(store: Store, tmp_path: Path) -> None:
    photo = write_photo(tmp_path, 4, "upload.jpg")
    distance = PDQ.distance(PDQ.hash_pixels(synthetic_photo(4)).value, query_hash(photo))
    store.create_bank("EXACTLY", thresholds={"pdq": distance})
    store.create_bank("TIGHTER", thresholds={"pdq": max(distance - 1, 0)})
    for bank in ("EXACTLY", "TIGHTER"):
        store.add_entries(bank, [NewEntry("pdq", pdq_bytes(4))])
    banks = {m.bank for m in Matcher(store, REGISTRY).match_file(photo).matches}
    assert "EXACTLY" in banks
    assert ("TIGHTER" in banks) == (distance == 0)


def test_suppression_banks_cancel_other_matches(store: Store, tmp_path: Path) -> None:
    store.create_bank("KNOWN")
    store.create_bank("FALSE_POSITIVES", suppression=True)
    store.add_entries("KNOWN", [NewEntry("pdq", pdq_bytes(5))])
    store.add_entries("FALSE_POSITIVES", [NewEntry("pdq", pdq_bytes(5))])
    found = Matcher(store, REGISTRY, ["KNOWN"]).match_file(write_photo(tmp_path, 5, "meme.jpg"))
    assert found.matches == []
    assert [m.bank for m in found.suppressed] == ["KNOWN"]
    assert [m.bank for m in found.suppressed_by] == ["FALSE_POSITIVES"]


def test_disabled_banks_and_entries_and_other_banks_are_not_matched(store: Store, tmp_path: Path) -> None:
    for name in ("OFF", "PAUSED_ENTRY", "OTHER"):
        store.create_bank(name)
        store.add_entries(name, [NewEntry("pdq", pdq_bytes(6))])
    store.update_bank("OFF", enabled=False)
    (paused,) = store.entries("PAUSED_ENTRY")
    store.set_entry_disabled_until(paused.id, datetime.now(UTC) + timedelta(days=1))
    photo = write_photo(tmp_path, 6, "upload.jpg")
    assert {m.bank for m in Matcher(store, REGISTRY).match_file(photo).matches} == {"OTHER"}
    assert Matcher(store, REGISTRY, ["PAUSED_ENTRY"]).match_file(photo).matches == []


def test_low_quality_queries_are_not_matched(store: Store, tmp_path: Path) -> None:
    store.create_bank("FLAT")
    flat_hash = PDQ.hash_pixels(flat_image()).value.data
    store.add_entries("FLAT", [NewEntry("pdq", flat_hash)])
    path = tmp_path / "flat.png"
    path.write_bytes(encode(flat_image(), "PNG"))
    found = Matcher(store, REGISTRY).match_file(path)
    assert found.matches == []
    assert found.low_quality == ["pdq"]


def test_unreadable_files_become_error_records(store: Store, tmp_path: Path) -> None:
    store.create_bank("KNOWN")
    store.add_entries("KNOWN", [NewEntry("pdq", pdq_bytes(1))])
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff broken")
    found = Matcher(store, REGISTRY).match_file(broken)
    assert found.error is not None
    assert found.error.kind == "CorruptMedia"


def test_index_snapshots_are_reused_caught_up_by_the_change_log_and_rebuilt_for_whole_banks(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    store.create_bank("KNOWN")
    store.add_entries("KNOWN", [NewEntry("pdq", pdq_bytes(1)), NewEntry("md5", hashlib.md5(b"x").digest())])
    photo1, photo2 = write_photo(tmp_path, 1, "one.jpg"), write_photo(tmp_path, 2, "two.jpg")
    first = Matcher(store, REGISTRY, cache_dir=cache).match_file(photo1)
    assert len(list(cache.glob("*.mmindex"))) == 2

    def no_database_reads(*args: object) -> None:
        raise AssertionError("a fresh snapshot must be loaded, not rebuilt")

    with monkeypatch.context() as patch:
        patch.setattr(store, "active_hashes", no_database_reads)
        assert Matcher(store, REGISTRY, cache_dir=cache).match_file(photo1) == first
    store.add_entries("KNOWN", [NewEntry("pdq", pdq_bytes(2))])
    with monkeypatch.context() as patch:  # an entry change: the snapshot plus the change log
        patch.setattr(store, "active_hashes", no_database_reads)
        assert len(Matcher(store, REGISTRY, cache_dir=cache).match_file(photo2).matches) == 1
    store.update_bank("KNOWN", enabled=False)
    store.update_bank("KNOWN", enabled=True)  # a bank changed as a whole: built again
    assert len(Matcher(store, REGISTRY, cache_dir=cache, mapped=True).match_file(photo2).matches) == 1
    assert len(Matcher(store, REGISTRY, cache_dir=cache, mapped=True).match_file(photo1).matches) == 1
    for snapshot in cache.glob("*.mmindex"):
        snapshot.write_bytes(b"damaged")
    assert len(Matcher(store, REGISTRY, cache_dir=cache).match_file(photo2).matches) == 1


def test_a_stored_hash_below_the_quality_floor_never_matches(store: Store) -> None:
    """A flat picture's PDQ hash is degenerate (all zeros): stored with its quality it must not
    meet a query, as a query hash below the floor never does; a hash list entry without a
    quality is trusted."""
    pdq = PdqAlgorithm()
    flat = pdq.hash_pixels(flat_image())
    assert not pdq.is_usable(flat)
    store.create_bank("BANK")
    store.add_entries("BANK", [NewEntry("pdq", flat.value.data, quality=flat.quality, external_id="flat")])
    store.create_bank("LIST")
    store.add_entries("LIST", [NewEntry("pdq", pdq_bytes(3), quality=None, external_id="listed")])
    matcher = Matcher(store, default_registry())
    usable_query = HashResult(flat.value, 100)  # the same bits, as a usable variant could give
    assert matcher.match_results("q", {"pdq": usable_query}).matches == []
    listed = HashResult(pdq.from_bytes(pdq_bytes(3)), 100)
    assert [m.external_id for m in matcher.match_results("q", {"pdq": listed}).matches] == ["listed"]

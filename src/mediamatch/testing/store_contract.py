"""The contract every store backend passes (SQLite always, PostgreSQL when configured).

Subclass ``StoreContract`` and provide a ``store`` fixture yielding an empty ``Store``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from mediamatch.errors import BankExists, BankNotFound, InvalidBank
from mediamatch.store import Classification, NewEntry, Store


def md5_entry(text: str, **fields: object) -> NewEntry:
    return NewEntry("md5", hashlib.md5(text.encode()).digest(), **fields)  # type: ignore[arg-type]


class StoreContract:
    def test_banks_are_created_listed_and_found_by_constant_name(self, store: Store) -> None:
        store.create_bank("NCMEC_IMAGES", description="hash-sharing images", thresholds={"pdq": 28})
        store.create_bank("KNOWN_FALSE_POSITIVES", suppression=True)
        assert [b.name for b in store.banks()] == ["KNOWN_FALSE_POSITIVES", "NCMEC_IMAGES"]
        bank = store.bank("NCMEC_IMAGES")
        assert (bank.description, bank.enabled, bank.suppression, bank.thresholds) == (
            "hash-sharing images",
            True,
            False,
            {"pdq": 28},
        )
        assert bank.created_at.tzinfo is not None
        assert store.bank("KNOWN_FALSE_POSITIVES").suppression

    @pytest.mark.parametrize("name", ["lower", "HAS SPACE", "", "9STARTS_WITH_DIGIT", "X" * 65])
    def test_bad_bank_names_are_refused(self, store: Store, name: str) -> None:
        with pytest.raises(InvalidBank):
            store.create_bank(name)

    def test_duplicate_and_missing_banks_raise_domain_errors(self, store: Store) -> None:
        store.create_bank("TEST")
        with pytest.raises(BankExists):
            store.create_bank("TEST")
        with pytest.raises(BankNotFound):
            store.bank("NOPE")
        with pytest.raises(BankNotFound):
            store.add_entries("NOPE", [md5_entry("a")])

    def test_banks_can_be_disabled_and_reconfigured(self, store: Store) -> None:
        store.create_bank("TEST")
        assert not store.update_bank("TEST", enabled=False).enabled
        assert store.update_bank("TEST", thresholds={"pdq": 20}).thresholds == {"pdq": 20}
        with pytest.raises(InvalidBank):
            store.update_bank("TEST", created_at="yesterday")

    def test_entries_round_trip_with_their_metadata(self, store: Store) -> None:
        store.create_bank("TEST")
        entry = md5_entry(
            "a",
            quality=90,
            classification=Classification.A1,
            tags=("csam", "video"),
            source="NCMEC member 42",
            external_id="image1",
            note="from the 2026-11 list",
        )
        assert store.add_entries("TEST", [entry]) == 1
        (stored,) = store.entries("TEST")
        assert (stored.algorithm, stored.hash, stored.quality, stored.classification) == (
            "md5",
            entry.hash,
            90,
            Classification.A1,
        )
        assert (stored.tags, stored.source, stored.external_id, stored.note) == (
            ("csam", "video"),
            "NCMEC member 42",
            "image1",
            "from the 2026-11 list",
        )
        assert stored.added_at.tzinfo is not None
        assert stored.active(datetime.now(UTC))

    def test_a_hash_is_unique_per_bank_and_algorithm_and_adding_twice_adds_nothing(
        self, store: Store
    ) -> None:
        store.create_bank("ONE")
        store.create_bank("TWO")
        batch = [md5_entry(str(i)) for i in range(50)]
        assert store.add_entries("ONE", batch) == 50
        assert store.add_entries("ONE", batch) == 0
        assert store.add_entries("TWO", batch[:5]) == 5
        same_bytes_other_algorithm = NewEntry("sha1", batch[0].hash + bytes(4))
        assert store.add_entries("ONE", [same_bytes_other_algorithm, batch[1]]) == 1
        assert store.count_entries("ONE") == 51

    def test_video_sized_hashes_are_stored_once(self, store: Store) -> None:
        store.create_bank("VIDEOS")
        long_hashes = [bytes([1]) + hashlib.sha256(str(i).encode()).digest() * 3000 for i in range(2)]
        entries = [NewEntry("vpdq", data) for data in long_hashes]
        assert store.add_entries("VIDEOS", entries) == 2
        assert store.add_entries("VIDEOS", entries[:1]) == 0
        assert sorted(e.hash for e in store.entries("VIDEOS")) == sorted(long_hashes)

    def test_entries_stream_in_batches_and_filter(self, store: Store) -> None:
        store.create_bank("BIG")
        store.create_bank("SMALL")
        store.add_entries("BIG", (md5_entry(f"big-{i}") for i in range(25_000)))
        store.add_entries("SMALL", [md5_entry("small"), NewEntry("sha1", bytes(20))])
        ids = [e.id for e in store.entries("BIG")]
        assert len(ids) == 25_000
        assert ids == sorted(ids)
        assert [e.algorithm for e in store.entries(algorithm="sha1")] == ["sha1"]
        assert len(list(store.entries())) == 25_002
        assert [e.id for e in store.get_entries(ids[:3])] == ids[:3]

    def test_a_failed_transaction_stores_nothing(self, store: Store) -> None:
        store.create_bank("TEST")

        def import_then_fail() -> None:
            with store.transaction() as connection:
                store.add_entries("TEST", [md5_entry("a"), md5_entry("b")], connection)
                raise RuntimeError("bad row further down the file")

        with pytest.raises(RuntimeError):
            import_then_fail()
        assert store.count_entries("TEST") == 0

    def test_deleting_entries_and_banks(self, store: Store) -> None:
        store.create_bank("TEST")
        store.add_entries("TEST", [md5_entry(str(i), external_id=f"x{i}") for i in range(10)])
        ids = [e.id for e in store.entries("TEST")]
        assert store.delete_entries(ids[:3]) == 3
        with store.transaction() as connection:
            assert store.delete_by_external_id("TEST", ["x5", "x6", "missing"], connection) == 2
        assert store.count_entries("TEST") == 5
        store.delete_bank("TEST")
        with pytest.raises(BankNotFound):
            store.bank("TEST")
        assert list(store.entries()) == []

    def test_entries_can_be_disabled_until_a_time(self, store: Store) -> None:
        store.create_bank("TEST")
        store.add_entries("TEST", [md5_entry("a")])
        (entry,) = store.entries("TEST")
        later = datetime.now(UTC) + timedelta(days=1)
        store.set_entry_disabled_until(entry.id, later)
        (disabled,) = store.entries("TEST")
        assert not disabled.active(datetime.now(UTC))
        assert disabled.active(later + timedelta(seconds=1))

    def test_active_hashes_stream_the_chosen_banks_live_entries(self, store: Store) -> None:
        one, two = store.create_bank("ONE"), store.create_bank("TWO")
        store.add_entries("ONE", [md5_entry(str(i)) for i in range(5)])
        store.add_entries("TWO", [md5_entry("other")])
        first = min(e.id for e in store.entries("ONE"))
        store.set_entry_disabled_until(first, datetime.now(UTC) + timedelta(hours=1))
        found = list(store.active_hashes([one.id], datetime.now(UTC)))
        assert len(found) == 4
        assert {algorithm for _, algorithm, _ in found} == {"md5"}
        assert first not in {entry_id for entry_id, _, _ in found}
        assert len(list(store.active_hashes([one.id, two.id], datetime.now(UTC) + timedelta(hours=2)))) == 6
        assert list(store.active_hashes([], datetime.now(UTC))) == []

    def test_whole_and_region_hashes_come_only_from_entries_that_may_match(self, store: Store) -> None:
        """One rule for both loads: not disabled, not quarantined, bank enabled."""
        from mediamatch.store.feedback import FeedbackStore  # the quarantine's own writer

        bank = store.create_bank("IMAGES")
        regions = (("centre", b"\x01" * 16),)
        store.add_entries(
            "IMAGES", [md5_entry(str(i), external_id=str(i), regions=regions) for i in range(3)]
        )
        by_name = sorted(store.entries("IMAGES"), key=lambda e: e.external_id or "")
        held, disabled, live = (e.id for e in by_name)
        now = datetime.now(UTC)
        assert FeedbackStore(store).quarantine(held, 2, now)
        store.set_entry_disabled_until(disabled, now + timedelta(hours=1))
        assert {i for i, _, _ in store.active_hashes([bank.id], now)} == {live}
        assert {i for i, _, _, _ in store.active_region_hashes([bank.id], now)} == {live}
        flags = {e.id: (e.quarantined, e.may_match(now)) for e in store.get_entries([held, disabled, live])}
        assert flags == {held: (True, False), disabled: (False, False), live: (False, True)}
        assert [e.quarantined for e in store.entries("IMAGES")] == [True, False, False]
        store.update_bank("IMAGES", enabled=False)
        assert list(store.active_hashes([bank.id], now)) == []
        assert list(store.active_region_hashes([bank.id], now)) == []
        store.update_bank("IMAGES", enabled=True)
        FeedbackStore(store).reinstate(held)
        assert {i for i, _, _, _ in store.active_region_hashes([bank.id], now)} == {held, live}

    def test_every_write_changes_the_revision_and_reads_do_not(self, store: Store) -> None:
        seen = [store.revision()]
        store.create_bank("TEST")
        seen.append(store.revision())
        store.add_entries("TEST", [md5_entry("a")])
        seen.append(store.revision())
        list(store.entries("TEST"))
        store.banks()
        assert store.revision() == seen[-1]
        (entry,) = store.entries("TEST")
        store.set_entry_disabled_until(entry.id, datetime.now(UTC) + timedelta(days=1))
        seen.append(store.revision())
        assert len(set(seen)) == len(seen)
        assert store.algorithms([store.bank("TEST").id]) == ["md5"]
        assert store.next_activation([store.bank("TEST").id], datetime.now(UTC)) is not None

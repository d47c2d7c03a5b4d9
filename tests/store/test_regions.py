"""Region hashes stored with entries: idempotent, active with their entry, deleted with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mediamatch.store import NewEntry, Store


def test_regions_are_stored_once_and_follow_their_entry(store: Store) -> None:
    store.create_bank("IMAGES")
    entry = NewEntry("gradgrid144", b"\x01" * 144, regions=(("centre60", b"\x02" * 144),))
    plain = NewEntry("pdq", b"\x03" * 32)
    assert store.add_entries("IMAGES", [entry, plain]) == 2
    assert store.add_entries("IMAGES", [entry]) == 0
    assert store.count_regions("IMAGES") == 1
    (stored,) = [e for e in store.entries("IMAGES") if e.algorithm == "gradgrid144"]
    bank_ids = [store.bank("IMAGES").id]
    now = datetime.now(UTC)
    assert list(store.active_region_hashes(bank_ids, now)) == [
        (stored.id, "gradgrid144", "centre60", b"\x02" * 144)
    ]
    store.set_entry_disabled_until(stored.id, now + timedelta(days=1))
    assert list(store.active_region_hashes(bank_ids, now)) == []
    assert store.delete_entries([stored.id]) == 1
    assert store.count_regions("IMAGES") == 0


def test_a_revision_bump_comes_with_new_regions(store: Store) -> None:
    store.create_bank("IMAGES")
    store.add_entries("IMAGES", [NewEntry("gradgrid144", b"\x01" * 144)])
    before = store.revision()
    store.add_entries(
        "IMAGES", [NewEntry("gradgrid144", b"\x01" * 144, regions=(("centre60", b"\x05" * 144),))]
    )
    assert store.revision() > before
    assert store.count_regions("IMAGES") == 1

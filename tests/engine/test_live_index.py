"""A live matcher follows the store's change log and answers exactly as a freshly built one.

Random interleavings of every kind of change (entries added from images and from lists, deleted,
disabled and re-enabled, left to run out their disabling, quarantined and reinstated, moved to a
suppression bank; banks re-thresholded, disabled, enabled, deleted; imports large enough to be
noted as a whole bank) are applied to one matcher as deltas; after each, its indexes and its
answers equal those of a matcher built from scratch. Where a delta cannot carry a change, the
matcher says so and a new one is built, as the service does.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mediamatch.algorithms import HashResult, default_registry
from mediamatch.engine.bank_images import add_images
from mediamatch.engine.matching import Matcher
from mediamatch.samples import detailed_photo, encode
from mediamatch.store import NewEntry, Store, changes
from mediamatch.store.feedback import FeedbackStore

REGISTRY = default_registry()
PDQ = REGISTRY.get("pdq")


def _pdq(rng: random.Random) -> bytes:
    return rng.randbytes(16) + bytes(16)  # weight well inside the bounds, no degenerate pattern


def _near(raw: bytes, rng: random.Random, bits: int) -> bytes:
    value = int.from_bytes(raw, "big")
    for bit in rng.sample(range(256), bits):
        value ^= 1 << bit
    return value.to_bytes(32, "big")


def _picture(tmp_path: Path, seed: int) -> Path:
    path = tmp_path / f"picture-{seed}.png"
    path.write_bytes(encode(detailed_photo(seed, 320, 240), "PNG"))
    return path


def _answers(matcher: Matcher, queries: list[bytes], pictures: list[Path]) -> list[object]:
    """What the matcher says of hash queries and of picture files, in a comparable form."""
    said: list[object] = []
    for raw in queries:
        found = matcher.match_results("q", {"pdq": HashResult(PDQ.from_bytes(raw), 100)})
        said.append(
            sorted((m.bank, m.entry_id, m.distance, m.variant) for m in found.matches + found.suppressed)
        )
    for path in pictures:
        found = matcher.match_file(path)
        said.append(sorted((m.bank, m.entry_id, m.algorithm, m.distance, m.verified) for m in found.matches))
    return said


def _contents(matcher: Matcher) -> dict[str, set[int]]:
    """The ids each index holds (every entry lies within the widest radius of some query)."""
    held: dict[str, set[int]] = {}
    for name, index in matcher.indexes.items():
        if name == "pdq":
            held[name] = {m.id for m in index.search(PDQ.from_bytes(bytes(32)), 256)}
        else:
            held[name] = {len(index)}
    for (name, region), index in matcher.region_indexes.items():
        held[f"{name}~{region}"] = {len(index)}
    return {name: ids for name, ids in held.items() if ids and ids != {0}}  # an emptied index is none


@pytest.mark.parametrize("seed", [16, 17, 18])
def test_random_interleavings_of_changes_keep_the_live_matcher_exact(  # noqa: C901 (one branch per change)
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(changes, "ENTRY_CHANGES_MAX", 6)  # so imports of 7+ are noted as whole banks
    rng = random.Random(seed)
    store = Store(f"sqlite:///{tmp_path / 'live.sqlite3'}")
    feedback = FeedbackStore(store)
    for name in ("ALPHA", "BETA"):
        store.create_bank(name)
    store.create_bank("KNOWN_FALSE", suppression=True)
    pictures = [_picture(tmp_path, seed) for seed in range(4)]
    add_images(store, REGISTRY, "ALPHA", pictures[:2])
    store.add_entries("BETA", [NewEntry("pdq", _pdq(rng), quality=100) for _ in range(5)])
    live = Matcher(store, REGISTRY)
    rebuilt = 0
    for step in range(45):
        ids = [e.id for bank in ("ALPHA", "BETA", "KNOWN_FALSE") for e in store.entries(bank)]
        action = rng.choice(
            [
                "add",
                "add",
                "bulk",
                "delete",
                "disable",
                "expire",
                "enable",
                "quarantine",
                "reinstate",
                "threshold",
                "bank_off",
                "bank_on",
                "picture",
                "suppress",
            ]
        )
        if action == "add" or (action in ("delete", "disable", "quarantine", "suppress") and not ids):
            store.add_entries(
                rng.choice(["ALPHA", "BETA"]), [NewEntry("pdq", _pdq(rng), quality=100) for _ in range(2)]
            )
        elif action == "bulk":
            store.add_entries("BETA", [NewEntry("pdq", _pdq(rng), quality=100) for _ in range(8)])
        elif action == "delete":
            store.delete_entries(rng.sample(ids, min(2, len(ids))))
        elif action == "disable":
            store.set_entry_disabled_until(rng.choice(ids), datetime.now(UTC) + timedelta(days=1))
        elif action == "expire":
            store.set_entry_disabled_until(rng.choice(ids), datetime.now(UTC) + timedelta(seconds=0.3))
            time.sleep(0.35)  # its disabling runs out without any write
        elif action == "enable":
            store.set_entry_disabled_until(rng.choice(ids), None) if ids else None
        elif action == "quarantine":
            feedback.quarantine(rng.choice(ids), 2, datetime.now(UTC))
        elif action == "reinstate":
            held = [q.entry.id for q in feedback.quarantined()]
            if held:
                feedback.reinstate(rng.choice(held))
        elif action == "threshold":
            store.update_bank(rng.choice(["ALPHA", "BETA"]), thresholds={"pdq": rng.choice([10, 31, 60])})
        elif action == "bank_off":
            store.update_bank(rng.choice(["ALPHA", "BETA"]), enabled=False)
        elif action == "bank_on":
            store.update_bank(rng.choice(["ALPHA", "BETA"]), enabled=True)
        elif action == "picture":
            add_images(store, REGISTRY, "ALPHA", [pictures[2 + step % 2]])
        elif action == "suppress" and ids:
            movable = [e.id for bank in ("ALPHA", "BETA") for e in store.entries(bank)]
            if movable:
                feedback.suppress(rng.choice(movable), "KNOWN_FALSE")
        found = store.changes(live.revision, store.revision())
        if found is None or not live.apply_changes(found):
            live, rebuilt = Matcher(store, REGISTRY), rebuilt + 1
        fresh = Matcher(store, REGISTRY)
        stored = [
            e.hash
            for bank in ("ALPHA", "BETA", "KNOWN_FALSE")
            for e in store.entries(bank)
            if e.algorithm == "pdq"
        ]
        queries = stored + [_near(raw, rng, 12) for raw in stored[:4]]
        assert _contents(live) == _contents(fresh), (step, action)
        shown = pictures if step % 6 == 0 or action in ("picture", "suppress", "quarantine") else []
        assert _answers(live, queries, shown) == _answers(fresh, queries, shown), (step, action)
    assert 0 < rebuilt < 45  # some changes needed a new matcher, most did not

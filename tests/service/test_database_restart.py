"""PostgreSQL stops and starts again under ``mediamatch serve --workers 2``.

The service must keep every thread alive, answer only with JSON (200 from the last index,
or 503 with ``Retry-After``), audit every request it answered once the database is back,
report readiness without failing, and match an entry added after the restart within its
refresh interval. The server is the test's own (``private_postgres``), so stopping it
disturbs nothing else.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from sqlalchemy import select

from mediamatch.algorithms import PdqAlgorithm
from mediamatch.model import RGBPixels
from mediamatch.samples import encode, synthetic_photo
from mediamatch.service.settings import DEVELOPMENT_PEPPER
from mediamatch.store import NewEntry, Store
from mediamatch.store.accounts import AccountStore, Environment
from mediamatch.store.models import AuditRow
from tests.service import private_postgres
from tests.service.live_server import CLI, Answer, Client, serving, wait
from tests.service.private_postgres import postgres

REFRESH_SECONDS = 1.0
MAX_AGE_SECONDS = 4.0
OUTAGE_SECONDS = 6.0
KNOWN, ADDED = synthetic_photo(1), synthetic_photo(2)
__all__ = ["postgres"]


def _matched(body: bytes) -> list[str]:
    return [m["external_id"] for m in json.loads(body)["results"][0]["matches"]]


def _bank(url: str) -> str:
    """A bank holding KNOWN's PDQ hash, and a match key; the key's secret."""
    store = Store(url)
    accounts = AccountStore(store, DEVELOPMENT_PEPPER.encode())
    accounts.create_organisation("acme")
    key = accounts.create_key("acme", "uploads", ["match"], Environment.LIVE)[1]
    store.create_bank("KNOWN")
    pdq = PdqAlgorithm().hash_pixels(KNOWN).value.data
    store.add_entries("KNOWN", [NewEntry("pdq", pdq, external_id="known")])
    store.close()
    return key


def _add_images(url: str, folder: Path) -> None:
    command = [
        *CLI,
        "--db",
        url,
        "bank",
        "add-images",
        "KNOWN",
        str(folder),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def _unaudited(url: str, tracking_ids: list[str]) -> list[str]:
    store = Store(url)
    with store.engine.connect() as connection:
        audited = set(connection.execute(select(AuditRow.tracking_id)).scalars())
    store.close()
    return [t for t in tracking_ids if t not in audited]


def test_a_database_restart_loses_no_audit_record_and_kills_no_thread(
    postgres: private_postgres.PrivatePostgres, tmp_path: Path
) -> None:
    key = _bank(postgres.url)
    log_path = tmp_path / "serve.log"
    answered: list[str] = []
    settings = {"index_refresh_seconds": str(REFRESH_SECONDS), "index_max_age_seconds": str(MAX_AGE_SECONDS)}
    with serving(postgres.url, log_path, workers=2, **settings) as (port, _):
        client = Client(port, key)

        def match(pixels: RGBPixels) -> Answer:
            status, headers, body = client.call("POST", "/v1/match", encode(pixels, "PNG"))
            assert headers.get("content-type", "").startswith("application/json"), (status, body[:200])
            assert status in (200, 503), (status, body[:300])
            if status == 503:
                assert headers.get("retry-after"), headers
            answered.append(headers["x-tracking-id"])
            return status, headers, body

        def added_matches() -> bool:
            status, _, body = match(ADDED)
            return status == 200 and set(_matched(body)) == {"added.png"}

        def both_workers_match() -> bool:  # readiness answers for one worker at a time
            return all(match(KNOWN)[0] == 200 for _ in range(6))

        wait(client.ready, 60, "the service never became ready")
        wait(both_workers_match, 60, "a worker never loaded its index")
        status, _, body = match(KNOWN)
        assert (status, _matched(body)) == (200, ["known"])

        postgres.stop()
        statuses, readiness = set(), set()
        outage_ends = time.monotonic() + OUTAGE_SECONDS
        while time.monotonic() < outage_ends:
            statuses.add(match(KNOWN)[0])
            status, headers, body = client.call("GET", "/status/ready")
            assert headers.get("content-type", "").startswith("application/json"), body[:200]
            readiness.add((status, json.loads(body)["status"]))
            time.sleep(0.2)
        assert 503 in statuses  # a key is verified again after KEY_CACHE_SECONDS
        assert (503, "stale") in readiness  # past INDEX_MAX_AGE_SECONDS without the database
        postgres.start()

        wait(client.ready, 30, "the service never became ready again after the restart")
        status, _, body = match(KNOWN)
        assert (status, _matched(body)) == (200, ["known"])
        added = tmp_path / "added"
        added.mkdir()
        (added / "added.png").write_bytes(encode(ADDED, "PNG"))
        _add_images(postgres.url, added)
        took = wait(added_matches, 30, "an entry added after the restart was never matched")
        # a few refresh intervals: the bound is generous so a loaded machine does not fail it
        assert took <= 10 * REFRESH_SECONDS, f"the new entry took {took:.1f} s to be matched"
        # Written by the running workers themselves, not by the flush at shutdown.
        lost = "audit records held in the outage were lost"
        wait(lambda: not _unaudited(postgres.url, answered), 15, lost)

    log_text = log_path.read_text(errors="replace")
    assert "Exception in thread" not in log_text, log_text[-3000:]
    assert "audit writing resumed" in log_text, log_text[-3000:]
    missing = _unaudited(postgres.url, answered)
    assert missing == [], f"{len(missing)} of {len(answered)} answered requests were never audited"

"""``/metrics`` of a two-worker server counts every worker's requests, whichever worker answers."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from pathlib import Path

from mediamatch.algorithms import PdqAlgorithm
from mediamatch.service.settings import DEVELOPMENT_PEPPER
from mediamatch.store import NewEntry, Store
from mediamatch.store.accounts import AccountStore, Environment
from tests.service.live_server import Client, serving, wait

PDQ = PdqAlgorithm()


def test_consecutive_scrapes_agree_across_workers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'metrics.sqlite3'}"
    store = Store(url)
    known = bytes(range(32))
    store.create_bank("KNOWN")
    store.add_entries("KNOWN", [NewEntry("pdq", known)])
    accounts = AccountStore(store, DEVELOPMENT_PEPPER.encode())
    accounts.create_organisation("acme")
    _, token = accounts.create_key("acme", "k", ["match"], Environment.LIVE, rate_per_minute=10**6)
    store.close()
    body = json.dumps({"hashes": {"pdq": PDQ.format(PDQ.from_bytes(known))}}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with serving(url, tmp_path / "serve.log", 2, index_dir=str(tmp_path / "snapshots")) as (port, _):
        client = Client(port, token)
        wait(lambda: all(client.ready() for _ in range(12)), 60, "the workers never all became ready")
        for _ in range(30):  # a fresh connection each: both workers answer some
            request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/match", data=body, headers=headers)
            with urllib.request.urlopen(request, timeout=30) as answer:
                assert answer.status == 200
        time.sleep(2.5)  # every worker has published since
        scrapes = []
        for _ in range(8):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as answer:
                scrapes.append(answer.read().decode())
    for text in scrapes:
        assert 'mediamatch_requests_total{route="/v1/match",status="200"} 30' in text
        assert 'mediamatch_bank_matches_total{bank="KNOWN"} 30' in text
        assert "mediamatch_workers 2" in text
        assert re.search(r"^# HELP mediamatch_bank_matches_total .+$", text, re.MULTILINE)

"""``/metrics`` of a two-worker server counts every worker's requests, whichever worker answers."""

from __future__ import annotations

import json
import re
import time
import urllib.error
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
        wait(Client(port, token).every_worker_ready, 60, "a worker never became ready")
        answered = 0
        deadline = time.monotonic() + 120
        while answered < 30 and time.monotonic() < deadline:  # a fresh connection each: both workers answer
            request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/match", data=body, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    answered += answer.status == 200
            except urllib.error.HTTPError as refused:  # a worker still loading its index: 503, retry
                if refused.code != 503:
                    raise
                time.sleep(0.1)
        assert answered == 30
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

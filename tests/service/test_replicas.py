"""Two replicas (separate ``mediamatch serve`` processes) over one PostgreSQL database answer the
same, and a change made through either is matchable (or withheld) through the other without
either leaving readiness. Needs ``MEDIAMATCH_TEST_POSTGRES_URL`` (its public schema is made anew)."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from mediamatch.algorithms import PdqAlgorithm
from mediamatch.service.settings import DEVELOPMENT_PEPPER
from mediamatch.store import Store
from mediamatch.store.accounts import AccountStore, Environment
from mediamatch.store.store import engine_url
from tests.service.live_server import Client, serving, wait

POSTGRES_URL = os.environ.get("MEDIAMATCH_TEST_POSTGRES_URL", "")
pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="MEDIAMATCH_TEST_POSTGRES_URL is not set: PostgreSQL replica test skipped"
)
PDQ = PdqAlgorithm()


def _call(port: int, token: str, method: str, path: str, body: object | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=data, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _matches(port: int, token: str, value: str) -> list[int]:
    status, body = _call(port, token, "POST", "/v1/match", {"hashes": {"pdq": value}})
    assert status == 200, body
    return [m["entry_id"] for m in body["results"][0].get("matches", [])]


def test_a_change_through_one_replica_reaches_the_other(tmp_path: Path) -> None:
    engine = create_engine(engine_url(POSTGRES_URL))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    store = Store(POSTGRES_URL)
    accounts = AccountStore(store, DEVELOPMENT_PEPPER.encode())
    owner = accounts.create_organisation("acme")
    store.create_bank("ACME_KNOWN", organisation_id=owner.id)
    _, token = accounts.create_key("acme", "k", ["match", "curate"], Environment.LIVE, rate_per_minute=10**6)
    store.close()
    value = PDQ.format(PDQ.from_bytes(bytes(range(32))))
    with (
        serving(POSTGRES_URL, tmp_path / "one.log", 1) as (first, _),
        serving(POSTGRES_URL, tmp_path / "two.log", 1) as (second, _),
    ):
        for port in (first, second):
            wait(Client(port, token).ready, 60, f"replica on {port} never became ready")
        entries = {"entries": [{"algorithm": "pdq", "hash": value}]}
        assert _call(first, token, "POST", "/v1/banks/ACME_KNOWN/entries", entries)[0] == 201
        started = time.monotonic()
        wait(
            lambda: bool(_matches(second, token, value)), 30, "the other replica never matched the new entry"
        )
        took = time.monotonic() - started
        wait(lambda: bool(_matches(first, token, value)), 30, "the first replica never matched it")
        (entry_id,) = _matches(first, token, value)  # each replica applies the change when it polls
        assert _call(second, token, "DELETE", f"/v1/banks/ACME_KNOWN/entries/{entry_id}")[0] == 200
        wait(lambda: not _matches(first, token, value), 30, "the first replica kept matching a deleted entry")
        for port in (first, second):  # both ready all along, and both catch up with the store
            assert _call(port, token, "GET", "/status/ready")[0] == 200
            wait(
                lambda port=port: _call(port, token, "GET", "/status/ready?current=true")[0] == 200,
                30,
                "stuck",
            )
    print(f"new entry matchable through the other replica after {took:.2f} s")

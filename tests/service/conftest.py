"""An app on a temporary SQLite database, with an organisation, keys and a bank."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient

from mediamatch.algorithms import PdqAlgorithm
from mediamatch.samples import synthetic_photo
from mediamatch.service.app import create_app
from mediamatch.service.settings import Settings
from mediamatch.store import Classification, NewEntry, Store
from mediamatch.store.accounts import AccountStore, Environment

PDQ = PdqAlgorithm()


@dataclass
class Service:
    client: TestClient
    store: Store
    keys: dict[str, str]
    folder: Path

    def headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[key]}"}

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while self.client.get("/status/ready?current=true").status_code != 200:
            assert time.monotonic() < deadline, "index never became ready"
            time.sleep(0.05)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    settings = Settings(
        db=f"sqlite:///{tmp_path / 'service.sqlite3'}",
        index_refresh_seconds=0.05,
        fetch_allowed_hosts="127.0.0.1/32",
        webhook_allowed_hosts="127.0.0.1/32",
        webhook_poll_seconds=0.05,
        webhook_retry_seconds=0.1,
    )
    store = Store(settings.db)
    accounts = AccountStore(store, settings.key_pepper.encode())
    accounts.create_organisation("acme")
    accounts.create_organisation("rival")
    keys = {
        "matcher": accounts.create_key("acme", "m", ["match"], Environment.LIVE)[1],
        "distances": accounts.create_key("acme", "d", ["match", "match:distance"], Environment.LIVE)[1],
        "hasher": accounts.create_key("acme", "h", ["hash"], Environment.LIVE)[1],
        "rival": accounts.create_key("rival", "r", ["match"], Environment.LIVE)[1],
        "test": accounts.create_key("acme", "t", ["match"], Environment.TEST)[1],
        "slow": accounts.create_key("acme", "s", ["match"], Environment.LIVE, rate_per_minute=2)[1],
        "quota": accounts.create_key("acme", "q", ["match"], Environment.LIVE, monthly_quota=3)[1],
        "curator": accounts.create_key("acme", "c", ["curate", "match"], Environment.LIVE)[1],
        "rival_curator": accounts.create_key("rival", "rc", ["curate"], Environment.LIVE)[1],
        "admin": accounts.create_key("acme", "a", ["admin"], Environment.LIVE)[1],
    }
    store.create_bank("SHARED")
    store.add_entries(
        "SHARED",
        [NewEntry("pdq", PDQ.hash_pixels(synthetic_photo(1)).value.data, classification=Classification.A1)],
    )
    app = create_app(settings, store)
    with TestClient(app) as client:
        running = Service(client, store, keys, tmp_path)
        running.wait_ready()
        yield running


class _Fixtures(http.server.BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {}

    def do_GET(self) -> None:
        status, headers, body = self.routes.get(self.path, (404, {}, b"missing"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fixture_server() -> Iterator[tuple[str, dict[str, tuple[int, dict[str, str], bytes]]]]:
    """An HTTP server on 127.0.0.1:0 serving ``routes`` (path -> status, headers, body)."""
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    handler = type("Handler", (_Fixtures,), {"routes": routes})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", routes
    server.shutdown()
    server.server_close()

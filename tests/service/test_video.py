"""Video uploads: /v1/hash and /v1/match take videos, within the size limit, without temporary files."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mediamatch.algorithms import VpdqAlgorithm
from mediamatch.engine.video import hash_video
from mediamatch.media.video import VideoOptions
from mediamatch.service.app import create_app
from mediamatch.service.settings import Settings
from mediamatch.store import NewEntry, Store
from mediamatch.store.accounts import AccountStore, Environment
from tests.service.conftest import Service
from tests.videosamples import encode_video, moving_frames

VPDQ = VpdqAlgorithm()
VIDEO = encode_video(moving_frames(30, seed=2, size=(240, 180)), fps=10)
BROKEN = VIDEO[:64] + bytes(4096)


@pytest.fixture
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every temporary file Python or FFmpeg's callers would make lands here; it must stay empty."""
    folder = tmp_path / "spool"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    assert sorted(folder.iterdir()) == []


def post(service: Service, path: str, key: str, body: bytes) -> dict[str, object]:
    headers = {**service.headers(key), "Content-Type": "video/mp4"}
    response = service.client.post(path, content=body, headers=headers)
    return {"status": response.status_code, **response.json()}


def test_hash_a_video_upload(service: Service, spool: Path) -> None:
    reply = post(service, "/v1/hash", "hasher", VIDEO)
    assert reply["status"] == 200
    (result,) = reply["results"]  # type: ignore[misc]
    assert set(result["hashes"]) == {"vpdq", "md5"}
    frames = VPDQ.frames(VPDQ.parse(result["hashes"]["vpdq"]["hash"]))
    assert sorted({f.timestamp for f in frames}) == [0.0, 1.0, 2.0]


def add_video_to_bank(service: Service) -> list[dict[str, Any]]:
    """Put VIDEO (hashed at every frame) in the shared bank; the matches once the index has it."""
    bank_hash = hash_video(VIDEO, [VPDQ], VideoOptions(sample_interval=None))[0]["vpdq"].value
    service.store.add_entries("SHARED", [NewEntry("vpdq", bank_hash.data, external_id="clip-1")])
    deadline = time.monotonic() + 30
    while True:
        reply = post(service, "/v1/match", "distances", VIDEO)
        matches: list[dict[str, Any]] = reply["results"][0]["matches"]  # type: ignore[index]
        if matches or time.monotonic() > deadline:
            return matches
        time.sleep(0.1)


def test_match_a_video_upload_with_shares_for_distance_keys_only(service: Service, spool: Path) -> None:
    (match,) = add_video_to_bank(service)
    assert (match["external_id"], match["algorithm"]) == ("clip-1", "vpdq")
    assert match["video"]["query_pct"] == match["video"]["bank_pct"] == 100
    assert match["video"]["query_ranges"] == [[0.0, 2.0]]
    plain = post(service, "/v1/match", "matcher", VIDEO)["results"][0]["matches"][0]  # type: ignore[index]
    assert "distance" not in plain
    assert set(plain["video"]) == {"query_ranges", "bank_ranges"}


@pytest.mark.parametrize("path", ["/v1/hash", "/v1/match"])
def test_broken_video_is_422_and_leaves_nothing_behind(service: Service, spool: Path, path: str) -> None:
    key = "hasher" if path == "/v1/hash" else "matcher"
    if path == "/v1/match":
        assert add_video_to_bank(service), "the service never matched the good video"
    reply = post(service, path, key, BROKEN)
    assert reply["status"] == 422
    assert reply["error"]["kind"] == "CorruptMedia"  # type: ignore[index]


def test_oversized_video_is_413_before_decoding(tmp_path: Path, spool: Path) -> None:
    settings = Settings(
        db=f"sqlite:///{tmp_path / 'small.sqlite3'}", max_item_bytes=4096, max_request_bytes=8192
    )
    store = Store(settings.db)
    accounts = AccountStore(store, settings.key_pepper.encode())
    accounts.create_organisation("acme")
    key = accounts.create_key("acme", "h", ["hash"], Environment.LIVE)[1]
    with TestClient(create_app(settings, store)) as client:
        for body in (VIDEO[:6000], VIDEO):
            response = client.post(
                "/v1/hash",
                content=body,
                headers={"Authorization": f"Bearer {key}", "Content-Type": "video/mp4"},
            )
            assert response.status_code == 413, response.text

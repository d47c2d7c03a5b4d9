"""The service matches uploads through the resilience stage unless its setting turns it off."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from mediamatch.samples import encode, synthetic_photo
from mediamatch.service.app import create_app
from mediamatch.service.settings import Settings
from mediamatch.store import NewEntry, Store
from mediamatch.store.accounts import AccountStore, Environment
from tests.engine.test_layout import form
from tests.service.conftest import PDQ, Service

MIRRORED = encode(np.ascontiguousarray(synthetic_photo(1)[:, ::-1]), "PNG")


def test_a_mirrored_upload_matches_and_distance_keys_see_how(service: Service) -> None:
    headers = {"Content-Type": "image/png"}
    plain = service.client.post(
        "/v1/match", content=MIRRORED, headers={**service.headers("matcher"), **headers}
    )
    (match,) = plain.json()["results"][0]["matches"]
    assert match["bank"] == "SHARED"
    assert "variant" not in match
    detailed = service.client.post(
        "/v1/match", content=MIRRORED, headers={**service.headers("distances"), **headers}
    )
    (match,) = detailed.json()["results"][0]["matches"]
    assert match["variant"] == "flipy"
    assert match["distance"] <= PDQ.threshold


def test_the_setting_turns_the_stage_off(tmp_path: Path) -> None:
    settings = Settings(db=f"sqlite:///{tmp_path / 'off.sqlite3'}", resilience=False)
    store = Store(settings.db)
    accounts = AccountStore(store, settings.key_pepper.encode())
    accounts.create_organisation("acme")
    key = accounts.create_key("acme", "m", ["match"], Environment.LIVE)[1]
    store.create_bank("SHARED")
    store.add_entries("SHARED", [NewEntry("pdq", PDQ.hash_pixels(synthetic_photo(1)).value.data)])
    with TestClient(create_app(settings, store)) as client:
        deadline = time.monotonic() + 30
        while client.get("/status/ready").status_code != 200:
            assert time.monotonic() < deadline, "index never became ready"
            time.sleep(0.05)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "image/png"}
        response = client.post("/v1/match", content=MIRRORED, headers=headers)
        assert response.json()["results"][0]["matches"] == []
        original = encode(synthetic_photo(1), "PNG")
        assert (
            len(client.post("/v1/match", content=original, headers=headers).json()["results"][0]["matches"])
            == 1
        )


def test_on_a_layout_dominated_upload_what_a_hash_list_meets_is_held_not_matched(service: Service) -> None:
    page = np.ascontiguousarray(form(1))
    listed = NewEntry("pdq", PDQ.hash_pixels(page).value.data, external_id="form")
    service.store.add_entries("SHARED", [listed])
    deadline = time.monotonic() + 30
    while service.client.get("/status/ready?current=true").status_code != 200:
        assert time.monotonic() < deadline, "the index never took the entry"
        time.sleep(0.05)
    headers = {**service.headers("distances"), "Content-Type": "image/png"}
    answer = service.client.post("/v1/match", content=encode(page, "PNG"), headers=headers)
    (result,) = answer.json()["results"]
    assert result["matches"] == []
    (lead,) = result["held"]
    assert (lead["bank"], lead["external_id"], lead["distance"]) == ("SHARED", "form", 0)

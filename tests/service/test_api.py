"""The REST API in process: input forms, batches, scopes, errors, tracking ids, audit."""

from __future__ import annotations

import base64
import contextlib
import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import update

from mediamatch.samples import encode, synthetic_photo
from mediamatch.service.settings import Settings
from mediamatch.store.accounts import AccountStore
from mediamatch.store.models import BankRow
from tests.hostile import png_declaring
from tests.service.conftest import PDQ, Service

PHOTO = encode(synthetic_photo(1), "JPEG", quality=85)
OTHER = encode(synthetic_photo(2), "PNG")


def test_liveness_readiness_and_openapi(service: Service) -> None:
    assert service.client.get("/status/live").json() == {"status": "live"}
    ready = service.client.get("/status/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert (body["status"], body["database"]) == ("ready", "ok")
    assert 0 <= body["index_age_seconds"] <= 60
    paths = service.client.get("/openapi.json").json()["paths"]
    assert {"/v1/hash", "/v1/match", "/status/live", "/status/ready"} <= set(paths)


def test_match_a_raw_image_body(service: Service) -> None:
    response = service.client.post(
        "/v1/match", content=PHOTO, headers={**service.headers("matcher"), "Content-Type": "image/jpeg"}
    )
    assert response.status_code == 200
    body = response.json()
    assert response.headers["X-Tracking-Id"] == body["tracking_id"]
    (result,) = body["results"]
    (match,) = result["matches"]
    assert (match["bank"], match["classification"], match["algorithm"]) == ("SHARED", "A1", "pdq")
    assert "distance" not in match


def test_distances_need_their_own_scope(service: Service) -> None:
    response = service.client.post(
        "/v1/match", content=PHOTO, headers={**service.headers("distances"), "Content-Type": "image/jpeg"}
    )
    (match,) = response.json()["results"][0]["matches"]
    assert 0 <= match["distance"] <= PDQ.threshold


def test_multipart_batches_and_json_batches_report_per_item(service: Service) -> None:
    files = [("file", ("a.jpg", PHOTO, "image/jpeg")), ("file", ("b.png", OTHER, "image/png"))]
    files.append(("file", ("c.txt", b"not an image", "text/plain")))
    response = service.client.post("/v1/match", files=files, headers=service.headers("matcher"))
    results = response.json()["results"]
    assert [len(r.get("matches", [])) for r in results] == [1, 0, 0]
    assert results[2]["error"]["kind"] == "UnsupportedMedia"
    assert results[2]["error"]["status"] == 415
    pdq_text = PDQ.format(PDQ.hash_pixels(synthetic_photo(1)).value)
    items = [
        {"image": base64.b64encode(OTHER).decode()},
        {"hashes": {"pdq": pdq_text}},
        {"hashes": {"pdq": "xyz"}},
    ]
    results = service.client.post(
        "/v1/match", json={"items": items}, headers=service.headers("matcher")
    ).json()
    assert [len(r.get("matches", [])) for r in results["results"]] == [0, 1, 0]
    assert results["results"][2]["error"]["kind"] == "InvalidHash"


def test_hash_endpoint_returns_hashes_with_quality(service: Service) -> None:
    response = service.client.post(
        "/v1/hash?algorithm=pdq&algorithm=md5",
        content=PHOTO,
        headers={**service.headers("hasher"), "Content-Type": "application/octet-stream"},
    )
    hashes = response.json()["results"][0]["hashes"]
    assert set(hashes) == {"pdq", "md5"}
    assert hashes["pdq"]["quality"] == 100


def test_missing_wrong_and_unscoped_keys(service: Service) -> None:
    assert service.client.post("/v1/match", content=PHOTO).status_code == 401
    bad = {"Authorization": "Bearer mm_live_000000000000_" + "x" * 40}
    response = service.client.post("/v1/match", content=PHOTO, headers=bad)
    assert response.status_code == 401
    assert response.json()["error"]["kind"] == "AuthenticationFailed"
    assert (
        service.client.post("/v1/match", content=PHOTO, headers=service.headers("hasher")).status_code == 403
    )
    assert (
        service.client.post("/v1/hash", content=PHOTO, headers=service.headers("matcher")).status_code == 403
    )


def test_bad_bodies_get_clear_errors(service: Service) -> None:
    headers = service.headers("matcher")
    assert (
        service.client.post(
            "/v1/match", content=b"{", headers={**headers, "Content-Type": "application/json"}
        ).status_code
        == 400
    )
    too_many = {"items": [{"image": base64.b64encode(OTHER).decode()}] * 101}
    response = service.client.post("/v1/match", json=too_many, headers=headers)
    assert response.status_code == 400
    assert "at most 100" in response.json()["error"]["message"]
    huge = b"\xff\xd8\xff" + b"\0" * (33 * 1024 * 1024)
    assert (
        service.client.post(
            "/v1/match", content=huge, headers={**headers, "Content-Type": "image/jpeg"}
        ).status_code
        == 413
    )


def test_organisations_see_shared_and_their_own_banks_only(service: Service) -> None:
    acme = service.store.bank("SHARED")
    with service.store.transaction() as connection:
        connection.execute(update(BankRow).where(BankRow.id == acme.id).values(organisation_id=1))
    service.wait_ready()
    own = service.client.post(
        "/v1/match", content=PHOTO, headers={**service.headers("matcher"), "Content-Type": "image/jpeg"}
    )
    other = service.client.post(
        "/v1/match", content=PHOTO, headers={**service.headers("rival"), "Content-Type": "image/jpeg"}
    )
    test = service.client.post(
        "/v1/match", content=PHOTO, headers={**service.headers("test"), "Content-Type": "image/jpeg"}
    )
    assert len(own.json()["results"][0]["matches"]) == 1
    assert other.json()["results"][0]["matches"] == []
    assert test.json()["results"][0]["matches"] == []


def test_every_api_call_is_audited_without_image_bytes(service: Service) -> None:
    started = time.time() - 1
    big = encode(synthetic_photo(1, 1600, 1200), "PNG")  # above the 1 MB a spooling parser keeps in memory
    service.client.post(
        "/v1/match", files=[("file", ("big.png", big, "image/png"))], headers=service.headers("matcher")
    )
    service.client.post(
        "/v1/match", content=PHOTO, headers={**service.headers("matcher"), "Content-Type": "image/jpeg"}
    )
    service.client.post("/v1/match", content=PHOTO)
    service.client.app.state.mediamatch.audit.flush()  # type: ignore[attr-defined]
    log = AccountStore(service.store, b"").audit_log()
    assert [row["outcome"] for row in log[:2]] == ["401", "200"]
    assert log[1]["matches"] == 1
    assert log[1]["items"] == 1
    needles = [data[len(data) // 2 : len(data) // 2 + 64] for data in (PHOTO, big)]
    for stored in service.folder.iterdir():
        assert not any(needle in stored.read_bytes() for needle in needles), stored.name
    for needle in needles:
        assert_not_in_temp_files(needle, since=started)


def assert_not_in_temp_files(needle: bytes, since: float) -> None:
    """No file written in the temp directory since ``since`` holds ``needle``."""
    for folder, _, files in os.walk(tempfile.gettempdir()):
        for name in files:
            path = Path(folder) / name
            with contextlib.suppress(OSError):
                if path.is_file() and path.stat().st_mtime >= since and path.stat().st_size < 256 * 2**20:
                    assert needle not in path.read_bytes(), path


def test_a_single_item_that_fails_sets_the_http_status(service: Service) -> None:
    headers = {**service.headers("matcher"), "Content-Type": "application/octet-stream"}
    not_image = service.client.post("/v1/match", content=b"%PDF-1.7 not an image", headers=headers)
    assert not_image.status_code == 415
    assert not_image.json()["error"]["kind"] == "UnsupportedMedia"
    assert not_image.json()["tracking_id"] == not_image.headers["X-Tracking-Id"]
    too_big = service.client.post("/v1/match", content=png_declaring(60_000, 60_000), headers=headers)
    assert too_big.status_code == 413  # refused from the header, before any pixel is decoded
    assert too_big.json()["error"]["kind"] == "ImageTooLarge"
    truncated = png_declaring(60_000, 60_000)[:33] + b"\0" * 64  # a header, then no valid chunk
    assert service.client.post("/v1/match", content=truncated, headers=headers).status_code == 422
    single_json = service.client.post(
        "/v1/match", json={"hashes": {"pdq": "zz"}}, headers=service.headers("matcher")
    )
    assert single_json.status_code == 422


def test_metrics_count_requests_without_customer_data(service: Service) -> None:
    service.client.post(
        "/v1/match", content=PHOTO, headers={**service.headers("matcher"), "Content-Type": "image/jpeg"}
    )
    text = service.client.get("/metrics").text
    assert 'mediamatch_requests_total{route="/v1/match",status="200"} 1' in text
    assert "mediamatch_matches_total 1" in text
    assert 'mediamatch_bank_matches_total{bank="SHARED"} 1' in text
    assert "# HELP mediamatch_requests_total " in text
    assert "mediamatch_index_ready 1" in text
    assert 'mediamatch_indexed_entries{algorithm="pdq"}' in text
    assert PDQ.format(PDQ.hash_pixels(synthetic_photo(1)).value) not in text


def test_a_revoked_key_is_refused_once_the_key_cache_expires(service: Service) -> None:
    headers = {**service.headers("matcher"), "Content-Type": "image/jpeg"}
    assert service.client.post("/v1/match", content=PHOTO, headers=headers).status_code == 200
    key_id = service.keys["matcher"].split("_")[2]
    AccountStore(service.store, b"").revoke(key_id)
    keys = service.client.app.state.mediamatch.keys  # type: ignore[attr-defined]
    assert service.client.post("/v1/match", content=PHOTO, headers=headers).status_code == 200  # cached
    started = keys.clock()
    keys.clock = lambda: started + keys.ttl + 0.001  # the cache's time has passed
    assert service.client.post("/v1/match", content=PHOTO, headers=headers).status_code == 401


def test_a_disabled_organisation_is_refused_with_403_until_enabled(service: Service) -> None:
    headers = {**service.headers("matcher"), "Content-Type": "image/jpeg"}
    accounts = AccountStore(service.store, Settings().key_pepper.encode())
    keys = service.client.app.state.mediamatch.keys  # type: ignore[attr-defined]
    started = keys.clock()
    accounts.disable_organisation("acme", "vetting lapsed")
    keys.clock = lambda: started + keys.ttl + 0.001
    refused = service.client.post("/v1/match", content=PHOTO, headers=headers)
    assert refused.status_code == 403
    assert "organisation of this API key is disabled" in refused.json()["error"]["message"]
    assert "vetting lapsed" not in refused.text  # the operator's reason stays with the operator
    assert (
        service.client.post(
            "/v1/match", content=PHOTO, headers=service.headers("rival") | {"Content-Type": "image/jpeg"}
        ).status_code
        == 200
    )
    accounts.enable_organisation("acme")
    keys.clock = lambda: started + 2 * keys.ttl + 0.002
    assert service.client.post("/v1/match", content=PHOTO, headers=headers).status_code == 200

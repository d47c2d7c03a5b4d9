"""The built-in Test bank: test keys hit it with the listed images; live keys never see it."""

from __future__ import annotations

from mediamatch.algorithms import default_registry
from mediamatch.engine.testbank import ensure_test_bank
from tests.service.conftest import Service


def test_test_images_hit_only_for_test_keys(service: Service) -> None:
    listing = service.client.get("/v1/test-images", headers=service.headers("test")).json()["images"]
    assert len(listing) == 5
    image = service.client.get(listing[0]["url"], headers=service.headers("test"))
    assert image.headers["content-type"] == "image/png"
    headers = {"Content-Type": "image/png"}
    hit = service.client.post(
        "/v1/match", content=image.content, headers={**service.headers("test"), **headers}
    )
    (match,) = [m for m in hit.json()["results"][0]["matches"] if m["algorithm"] == "pdq"]
    assert (match["bank"], match["external_id"]) == ("TEST", "test-image-1")
    live = service.client.post(
        "/v1/match", content=image.content, headers={**service.headers("matcher"), **headers}
    )
    assert live.json()["results"][0]["matches"] == []
    assert service.client.get("/v1/test-images/9", headers=service.headers("test")).status_code == 404


def test_restarting_the_service_leaves_the_store_revision_alone(service: Service) -> None:
    before = service.store.revision()
    ensure_test_bank(service.store, default_registry())
    assert service.store.revision() == before

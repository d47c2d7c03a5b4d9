"""Feedback through the app: own matches only; two organisations' disputes quarantine an entry, the
service stops matching it, and a curator reinstates it or moves it to a suppression bank."""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from mediamatch.algorithms import default_registry
from mediamatch.engine.bank_images import image_entries
from mediamatch.samples import detailed_photo, encode, synthetic_photo
from tests.service.conftest import Service

HIT = encode(synthetic_photo(1), "PNG")


def _match(service: Service, key: str) -> dict[str, Any]:
    headers = {**service.headers(key), "Content-Type": "image/png"}
    answer: dict[str, Any] = service.client.post("/v1/match", content=HIT, headers=headers).json()
    return answer


def _feedback(service: Service, key: str, tracking_id: str, entry_id: int, verdict: str) -> Any:
    body = {"entry_id": entry_id, "verdict": verdict, "note": "looks benign"}
    return service.client.post(f"/v1/matches/{tracking_id}/feedback", json=body, headers=service.headers(key))


def _matches_soon(service: Service, expected: int) -> None:
    deadline = time.monotonic() + 20
    while len(_match(service, "matcher")["results"][0]["matches"]) != expected:
        assert time.monotonic() < deadline, "the service never picked up the change"
        time.sleep(0.05)


def test_disputes_quarantine_an_entry_until_an_admin_reinstates_it(service: Service) -> None:
    ours, theirs = _match(service, "matcher"), _match(service, "rival")
    entry_id = ours["results"][0]["matches"][0]["entry_id"]
    first = _feedback(service, "matcher", ours["tracking_id"], entry_id, "dispute")
    assert first.status_code == 200
    assert first.json() == {"entry_id": entry_id, "verdict": "dispute", "disputes": 1, "quarantined": False}
    second = _feedback(service, "rival", theirs["tracking_id"], entry_id, "dispute")
    assert second.json()["quarantined"] is True
    _matches_soon(service, 0)
    admin, curator = service.headers("admin"), service.headers("curator")
    listed = service.client.get("/v1/banks/SHARED/quarantine", headers=curator).json()["entries"]
    assert [(e["id"], e["disputes"]) for e in listed] == [(entry_id, 2)]
    reinstate = {"action": "reinstate"}
    url = f"/v1/banks/SHARED/entries/{entry_id}/curate"
    assert service.client.post(url, json=reinstate, headers=curator).status_code == 403  # a shared bank
    assert service.client.post(url, json=reinstate, headers=admin).status_code == 200
    _matches_soon(service, 1)
    assert service.client.post(url, json=reinstate, headers=admin).status_code == 422  # not quarantined


def test_a_curator_moves_a_disputed_entry_to_a_suppression_bank(service: Service) -> None:
    answer = _match(service, "matcher")
    entry_id = answer["results"][0]["matches"][0]["entry_id"]
    admin = service.headers("admin")
    service.client.post("/v1/banks", json={"name": "FALSE_POSITIVES", "suppression": True}, headers=admin)
    service.client.post("/v1/banks", json={"name": "PLAIN"}, headers=admin)
    url = f"/v1/banks/SHARED/entries/{entry_id}/curate"
    assert service.client.post(url, json={"action": "suppress"}, headers=admin).status_code == 422
    refused = service.client.post(url, json={"action": "suppress", "bank": "PLAIN"}, headers=admin)
    assert refused.status_code == 422
    assert "not a suppression bank" in refused.json()["error"]["message"]
    moved = service.client.post(url, json={"action": "suppress", "bank": "FALSE_POSITIVES"}, headers=admin)
    assert moved.status_code == 200
    assert moved.json()["new_entry_id"] != entry_id
    _matches_soon(service, 0)
    assert service.client.post(url, json={"action": "reinstate"}, headers=admin).status_code == 404


def test_feedback_is_refused_on_other_organisations_requests_and_unmatched_entries(service: Service) -> None:
    ours, theirs = _match(service, "matcher"), _match(service, "rival")
    entry_id = ours["results"][0]["matches"][0]["entry_id"]
    assert _feedback(service, "matcher", theirs["tracking_id"], entry_id, "dispute").status_code == 404
    assert _feedback(service, "matcher", ours["tracking_id"], entry_id + 1, "dispute").status_code == 404
    assert _feedback(service, "matcher", ours["tracking_id"], entry_id, "wrong").status_code == 422
    assert _feedback(service, "hasher", ours["tracking_id"], entry_id, "dispute").status_code == 403
    test_answer = _match(service, "test")
    test_entry = test_answer["results"][0]["matches"]
    assert _feedback(service, "test", test_answer["tracking_id"], entry_id, "dispute").status_code == 403
    assert test_entry == []  # the SHARED photo is not in the Test bank
    assert _feedback(service, "matcher", ours["tracking_id"], entry_id, "confirm").json()["disputes"] == 0


def _soon(check: Any, failure: str) -> None:
    deadline = time.monotonic() + 20
    while not check():
        assert time.monotonic() < deadline, failure
        time.sleep(0.05)


def test_a_disputed_image_built_entry_stops_matching_cropped_uploads(service: Service) -> None:
    """The service's default path: a centre crop of a banked picture meets the entry's stored
    region hash through the crop windows (verified), and once the disputes quarantine the
    entries it must meet none of them."""
    picture = detailed_photo(17, 480, 360)
    registry = default_registry()
    service.store.create_bank("IMAGES")
    algorithms = [registry.get("pdq"), registry.get("gradgrid144")]
    service.store.add_entries("IMAGES", image_entries(picture, algorithms, external_id="banked"))  # type: ignore[arg-type]
    crop = encode(picture[36:324, 48:432].copy(), "JPEG", quality=85)  # keeps 80 % of each side

    def banked(key: str) -> tuple[str, list[dict[str, Any]]]:
        headers = {**service.headers(key), "Content-Type": "image/jpeg"}
        answer = service.client.post("/v1/match", content=crop, headers=headers).json()
        return answer["tracking_id"], [m for m in answer["results"][0]["matches"] if m["bank"] == "IMAGES"]

    _soon(lambda: banked("distances")[1], "the service never indexed the new bank")
    assert any("~" in m["variant"] for m in banked("distances")[1])  # met through a stored region
    for key in ("matcher", "rival"):
        tracking_id, found = banked(key)
        assert found
        for match in found:  # the audit record is written within 0.2 s: retry until it is
            dispute = partial(_feedback, service, key, tracking_id, match["entry_id"], "dispute")
            _soon(lambda call=dispute: call().status_code == 200, "the dispute was never accepted")
    _soon(lambda: not banked("matcher")[1], "a quarantined entry still matches a cropped upload")

"""Malformed JSON bodies get a typed 4xx JSON error on every route that reads JSON, never a 500."""

from __future__ import annotations

import pytest

from tests.service.conftest import Service

DEEP_LIST = b"[" * 100_000 + b"]" * 100_000
DEEP_ITEMS = b'{"items": ' + DEEP_LIST + b"}"
DEEP_OBJECT = b'{"items": [' + b'{"a":' * 50_000 + b"1" + b"}" * 50_000 + b"]}"
ROUTES = [
    ("/v1/match", "matcher"),
    ("/v1/hash", "hasher"),
    ("/v1/banks", "curator"),
    ("/v1/matches/abc/feedback", "matcher"),
    ("/v1/reports", "admin"),
]


@pytest.mark.parametrize("body", [DEEP_LIST, DEEP_ITEMS, DEEP_OBJECT, b'{"items": [', b"\xff\xfe"])
@pytest.mark.parametrize(("path", "key"), ROUTES)
def test_malformed_json_is_a_typed_client_error(service: Service, path: str, key: str, body: bytes) -> None:
    headers = {**service.headers(key), "Content-Type": "application/json"}
    answer = service.client.post(path, content=body, headers=headers)
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:200])
    assert answer.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("body", [DEEP_LIST, DEEP_OBJECT, b"{"])
def test_the_photodna_route_answers_malformed_json_in_its_own_shape(service: Service, body: bytes) -> None:
    headers = {"Ocp-Apim-Subscription-Key": service.keys["matcher"], "Content-Type": "application/json"}
    answer = service.client.post("/photodna/v1.0/Match", content=body, headers=headers)
    assert answer.status_code == 200  # as the API answers every status code
    assert answer.json()["Status"]["Code"] == 3002

"""The API described offline: the documentation page and its assets come from the package, and
``/openapi.json`` names the key schemes and describes the bodies and replies of the routes that
read their bodies themselves, closely enough to validate real replies."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from mediamatch.samples import encode, synthetic_photo
from tests.service.conftest import Service

jsonschema_rs = pytest.importorskip(
    "jsonschema_rs", reason="jsonschema-rs comes with schemathesis (dev extra)"
)


def test_the_documentation_page_needs_nothing_from_outside(service: Service) -> None:
    page = service.client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources, page.text
    assert all(source.startswith("/") for source in sources), sources  # no CDN
    for source in sources:
        assert service.client.get(source).status_code == 200, source
    assert service.client.get("/redoc", follow_redirects=False).headers["location"] == "/docs"


def _schema(spec: dict[str, Any], path: str, status: str) -> Any:
    body = spec["paths"][path]["post"]["responses"][status]["content"]["application/json"]["schema"]
    return jsonschema_rs.validator_for(body)


def test_the_schema_names_the_key_schemes_and_describes_match_and_hash(service: Service) -> None:
    spec = service.client.get("/openapi.json").json()
    assert set(spec["components"]["securitySchemes"]) == {"Bearer", "ApiKey", "SubscriptionKey"}
    for path in ("/v1/match", "/v1/hash"):
        operation = spec["paths"][path]["post"]
        assert {"Bearer": []} in operation["security"]
        assert {"application/json", "multipart/form-data", "image/*"} <= set(
            operation["requestBody"]["content"]
        )
    image = encode(synthetic_photo(3), "PNG")
    headers = service.headers("distances")
    raw = service.client.post("/v1/match", content=image, headers=headers | {"Content-Type": "image/png"})
    assert raw.status_code == 200
    _schema(spec, "/v1/match", "200").validate(raw.json())
    batch = {"items": [{"image": base64.b64encode(image).decode()}, {"hashes": {"pdq": "0" * 64}}]}
    listed = service.client.post("/v1/match", json=batch, headers=headers)
    _schema(spec, "/v1/match", "200").validate(listed.json())
    hashed = service.client.post("/v1/hash", content=image, headers=service.headers("admin"))
    _schema(spec, "/v1/hash", "200").validate(hashed.json())
    refused = service.client.post("/v1/match", content=b"not an image", headers=headers)
    assert refused.status_code == 415
    _schema(spec, "/v1/match", "415").validate(refused.json())


def test_the_photodna_route_is_described_and_its_answers_fit(service: Service) -> None:
    spec = service.client.get("/openapi.json").json()
    operation = spec["paths"]["/photodna/v1.0/Match"]["post"]
    assert {"application/json", "application/octet-stream"} <= set(operation["requestBody"]["content"])
    assert [p["name"] for p in operation["parameters"]] == ["ContentId"]
    headers = {"Ocp-Apim-Subscription-Key": service.keys["distances"]}
    image = encode(synthetic_photo(1), "PNG")
    inline = {"DataRepresentation": "Inline", "Value": base64.b64encode(image).decode()}
    found = service.client.post("/photodna/v1.0/Match?ContentId=c1", json=inline, headers=headers)
    assert (found.status_code, found.json()["Status"]["Code"], found.json()["IsMatch"]) == (200, 3000, True)
    refused = service.client.post("/photodna/v1.0/Match", content=b"not an image", headers=headers)
    invalid = service.client.post("/photodna/v1.0/Match", json={"DataRepresentation": "fax"}, headers=headers)
    assert (refused.json()["Status"]["Code"], invalid.status_code) == (3206, 200)
    unknown = service.client.post(
        "/photodna/v1.0/Match", json=inline, headers={"Ocp-Apim-Subscription-Key": "x"}
    )
    for answer, status in ((found, "200"), (refused, "200"), (invalid, "200"), (unknown, "401")):
        assert answer.status_code == int(status)
        _schema(spec, "/photodna/v1.0/Match", status).validate(answer.json())

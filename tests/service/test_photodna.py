"""The PhotoDNA-compatible route answers in PhotoDNA Cloud's shape, as its clients read it.

The shapes follow Microsoft's documentation of the Match operation (developer.microsoftmoderator.com,
PhotoDNA Cloud Service: ``Status`` with ``Code``, ``Description`` and ``Exception``; ``MatchDetails``
with ``AdvancedInfo`` and ``MatchFlags``, each flag's ``AdvancedInfo`` naming a ``MatchId``; every
status code with HTTP 200; 3208 under 160 x 160 pixels or over 4 MB) and the answers of its API
gateway to a bad key or a rate limit (``statusCode`` and ``message``).
"""

from __future__ import annotations

import base64

import numpy as np

from mediamatch.samples import encode, synthetic_photo
from tests.service.conftest import Service

PHOTO = encode(synthetic_photo(1), "JPEG", quality=90)
URL = "/photodna/v1.0/Match"


def subscription(service: Service, key: str) -> dict[str, str]:
    return {"Ocp-Apim-Subscription-Key": service.keys[key]}


def test_inline_and_raw_requests_match_in_the_api_shape(service: Service) -> None:
    inline = {"DataRepresentation": "inline", "Value": base64.b64encode(PHOTO).decode()}
    answer = service.client.post(
        URL + "?ContentId=upload-17", json=inline, headers=subscription(service, "distances")
    )
    body = answer.json()
    assert answer.status_code == 200
    assert body["Status"] == {"Code": 3000, "Description": "OK", "Exception": None}
    assert body["IsMatch"] is True
    assert body["ContentId"] == "upload-17"
    assert body["XPartnerCustomerId"] is None
    assert body["MatchDetails"]["AdvancedInfo"] == []
    (flag,) = body["MatchDetails"]["MatchFlags"]
    assert (flag["Source"], flag["Violations"]) == ("SHARED", ["A1"])
    ((key, value),) = [(info["Key"], info["Value"]) for info in flag["AdvancedInfo"]]
    assert key == "MatchId"
    assert value.isdigit()
    assert flag["MatchDistance"] >= 0
    assert body["TrackingId"]
    raw = service.client.post(
        URL, content=PHOTO, headers={**subscription(service, "matcher"), "Content-Type": "image/jpeg"}
    )
    flags = raw.json()["MatchDetails"]["MatchFlags"]
    assert "MatchDistance" not in flags[0]
    assert raw.json()["ContentId"] is None


def test_a_content_id_in_the_body_is_echoed(service: Service) -> None:
    inline = {
        "DataRepresentation": "Inline",
        "Value": base64.b64encode(PHOTO).decode(),
        "ContentId": "body-id",
    }
    assert (
        service.client.post(URL, json=inline, headers=subscription(service, "matcher")).json()["ContentId"]
        == "body-id"
    )


def test_every_status_code_comes_with_http_200(service: Service) -> None:
    headers = subscription(service, "matcher")
    not_image = {"DataRepresentation": "inline", "Value": base64.b64encode(b"plain text").decode()}
    private = {"DataRepresentation": "URL", "Value": "http://10.0.0.1/a.jpg"}
    cases = [
        (3206, service.client.post(URL, json=not_image, headers=headers)),
        (3002, service.client.post(URL, json={"DataRepresentation": "fax"}, headers=headers)),
        (3002, service.client.post(URL, json=private, headers=headers)),
    ]
    for code, answer in cases:
        assert (answer.status_code, answer.json()["Status"]["Code"]) == (200, code)
        assert answer.json()["Status"]["Exception"] is None
    other = encode(synthetic_photo(9), "PNG")
    miss = service.client.post(URL, content=other, headers={**headers, "Content-Type": "image/png"}).json()
    assert (miss["Status"]["Code"], miss["IsMatch"], miss["MatchDetails"]["MatchFlags"]) == (3000, False, [])


def test_pictures_outside_the_allowed_range_are_3208(service: Service) -> None:
    headers = {**subscription(service, "matcher"), "Content-Type": "image/png"}
    small = encode(synthetic_photo(1, 150, 200), "PNG")
    assert service.client.post(URL, content=small, headers=headers).json()["Status"]["Code"] == 3208
    noise = np.random.default_rng(3).integers(0, 256, (1300, 1300, 3), dtype=np.uint8)
    large = encode(noise, "PNG")
    assert len(large) > 4 * 1024 * 1024
    assert service.client.post(URL, content=large, headers=headers).json()["Status"]["Code"] == 3208


def test_key_and_rate_errors_come_in_the_gateway_shape(service: Service) -> None:
    missing = service.client.post(URL, content=PHOTO)
    assert missing.status_code == 401
    assert set(missing.json()) == {"statusCode", "message"}
    assert missing.json()["statusCode"] == 401
    unknown = service.client.post(URL, content=PHOTO, headers={"Ocp-Apim-Subscription-Key": "nope"})
    assert (unknown.status_code, unknown.json()["statusCode"]) == (401, 401)
    hasher = service.client.post(URL, content=PHOTO, headers=subscription(service, "hasher"))
    assert (hasher.status_code, hasher.json()["statusCode"]) == (403, 403)
    headers = {**subscription(service, "slow"), "Content-Type": "image/jpeg"}
    answers = [service.client.post(URL, content=PHOTO, headers=headers) for _ in range(3)]
    limited = answers[-1]
    assert (limited.status_code, limited.json()["statusCode"]) == (429, 429)
    assert limited.headers["Retry-After"]
    assert service.client.post("/v1/match", content=PHOTO).json()["error"]["kind"] == "AuthenticationFailed"

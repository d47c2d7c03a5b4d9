"""The PhotoDNA-compatible route answers in PhotoDNA Cloud's shape."""

from __future__ import annotations

import base64

from mediamatch.samples import encode, synthetic_photo
from tests.service.conftest import Service

PHOTO = encode(synthetic_photo(1), "JPEG", quality=90)
URL = "/photodna/v1.0/Match"


def subscription(service: Service, key: str) -> dict[str, str]:
    return {"Ocp-Apim-Subscription-Key": service.keys[key]}


def test_inline_and_raw_requests_match(service: Service) -> None:
    inline = {"DataRepresentation": "inline", "Value": base64.b64encode(PHOTO).decode()}
    body = service.client.post(
        URL + "?ContentId=upload-17", json=inline, headers=subscription(service, "distances")
    ).json()
    assert body["Status"] == {"Code": 3000, "Description": "OK"}
    assert body["IsMatch"] is True
    assert body["ContentId"] == "upload-17"
    (flag,) = [f for f in body["MatchDetails"]["MatchFlags"]]
    assert (flag["Source"], flag["Violations"]) == ("SHARED", ["A1"])
    assert flag["MatchDistance"] >= 0
    assert body["TrackingId"]
    raw = service.client.post(
        URL, content=PHOTO, headers={**subscription(service, "matcher"), "Content-Type": "image/jpeg"}
    )
    flags = raw.json()["MatchDetails"]["MatchFlags"]
    assert "MatchDistance" not in flags[0]


def test_error_codes(service: Service) -> None:
    headers = subscription(service, "matcher")
    not_image = {"DataRepresentation": "inline", "Value": base64.b64encode(b"plain text").decode()}
    assert service.client.post(URL, json=not_image, headers=headers).json()["Status"]["Code"] == 3206
    bad = service.client.post(URL, json={"DataRepresentation": "fax"}, headers=headers)
    assert (bad.status_code, bad.json()["Status"]["Code"]) == (400, 3002)
    private = {"DataRepresentation": "URL", "Value": "http://10.0.0.1/a.jpg"}
    assert service.client.post(URL, json=private, headers=headers).json()["Status"]["Code"] == 3002
    assert service.client.post(URL, content=PHOTO).status_code == 401
    other = encode(synthetic_photo(9), "PNG")
    miss = service.client.post(URL, content=other, headers={**headers, "Content-Type": "image/png"}).json()
    assert (miss["Status"]["Code"], miss["IsMatch"], miss["MatchDetails"]["MatchFlags"]) == (3000, False, [])

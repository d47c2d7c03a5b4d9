"""An upload that cannot be decoded is never answered "no match" because a digest was checked.

The organisation's bank holds PDQ, gradgrid144 and MD5 entries. Empty, truncated and bomb
uploads get their error and status (raw body, multipart, JSON and the PhotoDNA route), with the
algorithms that were applied; a corrupt file whose MD5 is banked still reports that match.
"""

from __future__ import annotations

import base64
import hashlib

import pytest

from mediamatch.algorithms import default_registry
from mediamatch.engine.bank_images import image_entries
from mediamatch.samples import encode, synthetic_photo
from mediamatch.store import NewEntry
from tests.hostile import png_declaring
from tests.service.conftest import Service

REGISTRY = default_registry()
PHOTO = encode(synthetic_photo(5, 400, 300), "JPEG", quality=90)
BANKED_CORRUPT = PHOTO[: len(PHOTO) // 2]


@pytest.fixture
def banked(service: Service) -> Service:
    algorithms = [REGISTRY.get("pdq"), REGISTRY.get("gradgrid144")]
    entries = image_entries(synthetic_photo(6, 400, 300), algorithms, external_id="photo")  # type: ignore[arg-type]
    entries.append(NewEntry("md5", hashlib.md5(BANKED_CORRUPT).digest(), external_id="corrupt-file"))
    service.store.create_bank("MIXED")
    service.store.add_entries("MIXED", entries)
    service.wait_ready()
    return service


UNDECODABLE = {
    "empty": (b"", (415, 422)),
    "truncated JPEG": (PHOTO[:300], (422,)),
    "truncated PNG": (encode(synthetic_photo(7), "PNG")[:200], (422,)),
    "50,000 x 50,000 PNG": (png_declaring(50_000, 50_000), (413,)),
}


@pytest.mark.parametrize("name", list(UNDECODABLE))
def test_an_undecodable_upload_carries_its_error_in_every_form(banked: Service, name: str) -> None:
    data, statuses = UNDECODABLE[name]
    headers = banked.headers("matcher")
    raw = banked.client.post("/v1/match", content=data, headers={**headers, "Content-Type": "image/jpeg"})
    assert raw.status_code in statuses, raw.text
    assert raw.json()["error"]["kind"]
    assert raw.json().get("matches", []) == []
    multipart = banked.client.post(
        "/v1/match", files=[("file", ("x.jpg", data, "image/jpeg"))], headers=headers
    )
    assert multipart.status_code == 200  # multipart is a batch: each item carries its own error
    assert multipart.json()["results"][0]["error"]["status"] == raw.status_code
    items = {
        "items": [{"image": base64.b64encode(data).decode()}, {"image": base64.b64encode(PHOTO).decode()}]
    }
    batch = banked.client.post("/v1/match", json=items, headers=headers)
    assert batch.status_code == 200
    first, second = batch.json()["results"]
    assert first["error"]["status"] == raw.status_code
    assert "error" not in second
    photodna = banked.client.post(
        "/photodna/v1.0/Match",
        json={"DataRepresentation": "inline", "Value": base64.b64encode(data).decode()},
        headers={"Ocp-Apim-Subscription-Key": banked.keys["matcher"]},
    ).json()
    assert photodna["Status"]["Code"] != 3000, photodna


def test_a_corrupt_file_still_reports_its_digest_match_and_what_was_applied(banked: Service) -> None:
    headers = {**banked.headers("matcher"), "Content-Type": "image/jpeg"}
    answer = banked.client.post("/v1/match", content=BANKED_CORRUPT, headers=headers)
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"]["kind"] == "CorruptMedia"
    assert [m["external_id"] for m in body["matches"]] == ["corrupt-file"]
    assert body["algorithms"] == ["md5"]
    photodna = banked.client.post(
        "/photodna/v1.0/Match",
        content=BANKED_CORRUPT,
        headers={"Ocp-Apim-Subscription-Key": banked.keys["matcher"], "Content-Type": "image/jpeg"},
    ).json()
    assert (photodna["Status"]["Code"], photodna["IsMatch"]) == (3000, True)


def test_what_is_not_an_image_says_so_even_when_its_digest_is_banked(banked: Service) -> None:
    """Random bytes and a CSV: 415 with the digest checked named; the PhotoDNA route 3206."""
    csv_text = b"path,md5\nx.jpg,0123\n"
    banked.store.add_entries("MIXED", [NewEntry("md5", hashlib.md5(csv_text).digest(), external_id="csv")])
    banked.wait_ready()
    headers = {**banked.headers("matcher"), "Content-Type": "application/octet-stream"}
    for data, expected in ((bytes(range(256)) * 4, []), (csv_text, ["csv"])):
        answer = banked.client.post("/v1/match", content=data, headers=headers)
        assert answer.status_code == 415
        assert answer.json()["algorithms"] == ["md5"]
        assert [m["external_id"] for m in answer.json()["matches"]] == expected
        photodna = banked.client.post(
            "/photodna/v1.0/Match",
            content=data,
            headers={
                "Ocp-Apim-Subscription-Key": banked.keys["matcher"],
                "Content-Type": "application/octet-stream",
            },
        ).json()
        assert photodna["Status"]["Code"] == 3206

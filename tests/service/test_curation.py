"""Curation endpoints: organisations own their banks; shared banks need admin; bad input gets 4xx."""

from __future__ import annotations

from mediamatch.samples import encode, synthetic_photo
from tests.service.conftest import PDQ, Service

PHOTO = encode(synthetic_photo(7), "PNG")
HASH = PDQ.format(PDQ.hash_pixels(synthetic_photo(7)).value)


def test_a_curator_builds_a_bank_that_only_its_organisation_matches(service: Service) -> None:
    client, curator = service.client, service.headers("curator")
    created = client.post("/v1/banks", json={"name": "ACME_KNOWN", "description": "ours"}, headers=curator)
    assert created.status_code == 201
    assert created.json()["shared"] is False
    entries = {"entries": [{"algorithm": "pdq", "hash": HASH, "classification": "B1", "external_id": "e1"}]}
    assert client.post("/v1/banks/ACME_KNOWN/entries", json=entries, headers=curator).json() == {
        "added": 1,
        "already_present": 0,
    }
    listed = client.get("/v1/banks/ACME_KNOWN/entries", headers=curator).json()["entries"]
    assert [(e["hash"], e["classification"]) for e in listed] == [(HASH, "B1")]
    service.wait_ready()
    upload = {"Content-Type": "image/png"}
    own = client.post("/v1/match", content=PHOTO, headers={**service.headers("curator"), **upload})
    assert [m["bank"] for m in own.json()["results"][0]["matches"]] == ["ACME_KNOWN"]
    assert client.get("/v1/banks/ACME_KNOWN", headers=service.headers("rival_curator")).status_code == 404
    names = [
        b["name"] for b in client.get("/v1/banks", headers=service.headers("rival_curator")).json()["banks"]
    ]
    assert names == ["SHARED"]


def test_shared_banks_need_admin_and_matching_keys_cannot_curate(service: Service) -> None:
    client = service.client
    assert client.post("/v1/banks/SHARED/disable", headers=service.headers("curator")).status_code == 403
    assert (
        client.post(
            "/v1/banks", json={"name": "GLOBAL", "shared": True}, headers=service.headers("curator")
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/v1/banks", json={"name": "GLOBAL", "shared": True}, headers=service.headers("admin")
        ).status_code
        == 201
    )
    assert client.get("/v1/banks/SHARED/entries", headers=service.headers("matcher")).status_code == 403


def test_imports_are_all_or_nothing_and_errors_are_4xx(service: Service) -> None:
    client, curator = service.client, service.headers("curator")
    client.post("/v1/banks", json={"name": "ACME_LIST"}, headers=curator)
    good = f"signal_type,signal_value\npdq,{HASH}\n".encode()
    imported = client.post("/v1/banks/ACME_LIST/import", content=good, headers=curator)
    assert imported.json()["added"] == 1
    bad = f"signal_type,signal_value\npdq,{HASH}\npdq,nothex\n".encode()
    refused = client.post("/v1/banks/ACME_LIST/import?format=hma-csv", content=bad, headers=curator)
    assert refused.status_code == 422
    assert "line 3" in refused.json()["error"]["message"]
    assert client.post("/v1/banks", json={"name": "lower"}, headers=curator).status_code == 422
    assert client.post("/v1/banks", json={"name": "ACME_LIST"}, headers=curator).status_code == 409
    bad_entry = {"entries": [{"algorithm": "pdq", "hash": "zz"}]}
    assert client.post("/v1/banks/ACME_LIST/entries", json=bad_entry, headers=curator).status_code == 422
    assert client.delete("/v1/banks/ACME_LIST/entries/999999", headers=curator).status_code == 404
    assert client.delete("/v1/banks/ACME_LIST", headers=curator).json() == {
        "deleted": "ACME_LIST",
        "entries": 1,
    }


def test_an_organisations_suppression_bank_cancels_only_its_own_matches(service: Service) -> None:
    client, curator = service.client, service.headers("curator")
    client.post("/v1/banks", json={"name": "ACME_FALSE_POSITIVES", "suppression": True}, headers=curator)
    shared_hash = PDQ.format(PDQ.hash_pixels(synthetic_photo(1)).value)
    entries = {"entries": [{"algorithm": "pdq", "hash": shared_hash}]}
    client.post("/v1/banks/ACME_FALSE_POSITIVES/entries", json=entries, headers=curator)
    service.wait_ready()
    photo = {"Content-Type": "image/png"}
    body = encode(synthetic_photo(1), "PNG")
    acme = client.post("/v1/match", content=body, headers={**service.headers("matcher"), **photo}).json()
    rival = client.post("/v1/match", content=body, headers={**service.headers("rival"), **photo}).json()
    assert acme["results"][0]["matches"] == []
    # not a bare "no hit": the cancelled hit and the suppression bank's hit that cancelled it
    assert [m["bank"] for m in acme["results"][0]["suppressed"]] == ["SHARED"]
    assert [m["bank"] for m in acme["results"][0]["suppressed_by"]] == ["ACME_FALSE_POSITIVES"]
    assert [m["bank"] for m in rival["results"][0]["matches"]] == ["SHARED"]
    assert "suppressed" not in rival["results"][0]


def test_degenerate_hashes_are_refused_unless_allowed(service: Service) -> None:
    client, curator = service.client, service.headers("curator")
    client.post("/v1/banks", json={"name": "ACME_JUNK"}, headers=curator)
    zeros = {"entries": [{"algorithm": "pdq", "hash": HASH}, {"algorithm": "pdq", "hash": "0" * 64}]}
    refused = client.post("/v1/banks/ACME_JUNK/entries", json=zeros, headers=curator)
    assert refused.status_code == 422
    assert refused.json()["error"]["kind"] == "DegenerateHash"
    assert refused.json()["error"]["message"].startswith("entry 1: degenerate pdq hash: 0 of 256 bits set")
    allowed = client.post(
        "/v1/banks/ACME_JUNK/entries", json={**zeros, "allow_degenerate": True}, headers=curator
    )
    assert allowed.json() == {"added": 2, "already_present": 0}
    empty_md5 = b"signal_type,signal_value\nmd5,d41d8cd98f00b204e9800998ecf8427e\n"
    listed = client.post("/v1/banks/ACME_JUNK/import", content=empty_md5, headers=curator)
    assert listed.status_code == 422
    assert "line 2: degenerate md5 hash: the digest of an empty file" in listed.json()["error"]["message"]
    kept = client.post("/v1/banks/ACME_JUNK/import?allow_degenerate=true", content=empty_md5, headers=curator)
    assert kept.json()["added"] == 1

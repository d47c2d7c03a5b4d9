"""URL inputs: only public http(s) unless allow-listed, redirects bounded, bodies capped."""

from __future__ import annotations

import pytest

from mediamatch.errors import ImageTooLarge
from mediamatch.samples import encode, synthetic_photo
from mediamatch.service.fetch import FetchFailed, FetchPolicy, check_destination, fetch
from tests.service.conftest import Service

PHOTO = encode(synthetic_photo(1), "PNG")
LOCAL = FetchPolicy(max_bytes=len(PHOTO) + 10, allowed_hosts=("127.0.0.1/32",))


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/a.png",
        "file:///etc/passwd",
        "http://127.0.0.1/x",
        "http://10.0.0.1/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://localhost/x",
    ],
)
def test_non_public_destinations_are_refused(url: str) -> None:
    with pytest.raises(FetchFailed):
        check_destination(url, FetchPolicy(max_bytes=100))


def test_allow_listed_fixtures_are_fetched_with_bounded_redirects_and_size(fixture_server) -> None:  # type: ignore[no-untyped-def]
    base, routes = fixture_server
    routes["/photo.png"] = (200, {"Content-Type": "image/png"}, PHOTO)
    routes["/moved"] = (302, {"Location": "/photo.png"}, b"")
    routes["/loop"] = (302, {"Location": "/loop"}, b"")
    routes["/big"] = (200, {}, b"\0" * (len(PHOTO) + 11))
    assert fetch(f"{base}/photo.png", LOCAL) == PHOTO
    assert fetch(f"{base}/moved", LOCAL) == PHOTO
    with pytest.raises(FetchFailed, match="redirects"):
        fetch(f"{base}/loop", LOCAL)
    with pytest.raises(ImageTooLarge):
        fetch(f"{base}/big", LOCAL)
    with pytest.raises(FetchFailed, match="404"):
        fetch(f"{base}/nothing", LOCAL)
    with pytest.raises(FetchFailed):
        fetch(f"{base}/photo.png", FetchPolicy(max_bytes=10**6))


def test_match_by_url(service: Service, fixture_server) -> None:  # type: ignore[no-untyped-def]
    base, routes = fixture_server
    routes["/photo.png"] = (200, {"Content-Type": "image/png"}, PHOTO)
    body = {"items": [{"url": f"{base}/photo.png"}, {"url": "http://10.1.2.3/x.png"}]}
    results = service.client.post("/v1/match", json=body, headers=service.headers("matcher")).json()[
        "results"
    ]
    assert [m["bank"] for m in results[0]["matches"]] == ["SHARED"]
    assert results[1]["error"]["kind"] == "FetchFailed"
